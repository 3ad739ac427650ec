package spantree

// Span attributes written by WriteAttributes (docs/attributes-layout.md).
const (
	AttrDepth    = "tracemap.depth"
	AttrOffset   = "tracemap.offset_ns"
	AttrSkew     = "tracemap.skew_ns"
	AttrCritical = "tracemap.critical"
	AttrSelf     = "tracemap.self_ns"
	AttrOrphan   = "tracemap.orphan"
)

// WriteAttributes writes what the tree computed onto every span's
// attributes, replacing earlier values (a trace may pass two tracemap
// collectors). tracemap.skew_ns is absent when the span was not shifted.
func (t *Tree) WriteAttributes() {
	for i := range t.Spans {
		s := &t.Spans[i]
		attrs := s.Source.Attributes()
		attrs.EnsureCapacity(attrs.Len() + 6)
		attrs.PutInt(AttrDepth, int64(s.Depth))
		attrs.PutInt(AttrOffset, s.Offset)
		if s.Skew != 0 {
			attrs.PutInt(AttrSkew, s.Skew)
		} else {
			attrs.Remove(AttrSkew)
		}
		attrs.PutBool(AttrCritical, s.Critical)
		attrs.PutInt(AttrSelf, s.Self)
		attrs.PutBool(AttrOrphan, s.Orphan)
	}
}

// Root is the span that carries the trace-level attributes: the earliest
// real root, or -1 when the trace has none (only orphans).
func (t *Tree) Root() int {
	if len(t.Roots) == 0 || t.Spans[t.Roots[0]].Orphan {
		return -1
	}
	return t.Roots[0]
}
