package spantree

import "go.opentelemetry.io/collector/pdata/pcommon"

// Span attributes written by WriteAttributes (docs/attributes.md).
const (
	AttrDepth    = "tracemap.depth"
	AttrOffset   = "tracemap.offset_ns"
	AttrSkew     = "tracemap.skew_ns"
	AttrCritical = "tracemap.critical"
	AttrSelf     = "tracemap.self_ns"
	AttrOrphan   = "tracemap.orphan"
)

// AlwaysWritten is how many attributes WriteAttributes puts on every span
// (depth, offset and self time).
const AlwaysWritten = 3

// Room is what a stage before WriteAttributes leaves for it on each span:
// AlwaysWritten and tracemap.critical. The critical path is a good share of
// a trace's spans, and each of them would otherwise have its attributes
// copied once more; a span off the path wastes one slot.
const Room = AlwaysWritten + 1

// WriteAttributes writes what the tree computed onto every span's
// attributes, replacing earlier values (a trace may pass two tracemap
// collectors). tracemap.skew_ns is absent when the span was not shifted;
// tracemap.critical and tracemap.orphan are present (true) only on critical
// and orphan spans: each attribute costs an allocation per span in pdata.
func (t *Tree) WriteAttributes() {
	for i := range t.Spans {
		s := &t.Spans[i]
		attrs := s.Source.Attributes()
		// Every Put and Remove scans the attributes; a span without
		// tracemap.depth has not been through tracemap, so the Removes are
		// skipped for it. GetOrPutEmpty finds that out and puts depth in one
		// scan (after EnsureCapacity, which may move the attributes).
		// The attribute slice grows once, by exactly what is added: room is
		// left on ERROR spans for tracemap.error.own (internal/culprit).
		attrs.EnsureCapacity(attrs.Len() + AlwaysWritten + count(s.Skew != 0) + count(s.Critical) + count(s.Orphan) + count(s.Error))
		depth, seen := attrs.GetOrPutEmpty(AttrDepth)
		depth.SetInt(int64(s.Depth))
		attrs.PutInt(AttrOffset, s.Offset)
		attrs.PutInt(AttrSelf, s.Self)
		switch {
		case s.Skew != 0:
			attrs.PutInt(AttrSkew, s.Skew)
		case seen:
			attrs.Remove(AttrSkew)
		}
		putFlag(attrs, seen, AttrCritical, s.Critical)
		putFlag(attrs, seen, AttrOrphan, s.Orphan)
	}
}

func count(b bool) int {
	if b {
		return 1
	}
	return 0
}

func putFlag(attrs pcommon.Map, seen bool, key string, on bool) {
	switch {
	case on:
		attrs.PutBool(key, true)
	case seen:
		attrs.Remove(key)
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
