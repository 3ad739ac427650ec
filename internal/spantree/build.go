package spantree

import (
	"cmp"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/spanindex"
)

// Build makes the Tree of one trace from its spans. The spans' order only
// breaks ties, so the result is deterministic for a given input order.
func Build(id pcommon.TraceID, refs []Ref) *Tree {
	t := new(Tree)
	t.Rebuild(id, refs)
	return t
}

// Rebuild is Build into t, reusing the memory of the tree t held (its
// spans, child lists, roots and path): for a caller done with that tree,
// such as the layout processor laying out trace after trace.
func (t *Tree) Rebuild(id pcommon.TraceID, refs []Ref) {
	t.TraceID, t.Start, t.Duration = id, 0, 0
	t.Spans, t.Roots, t.Path = resize(&t.Spans, len(refs)), t.Roots[:0], t.Path[:0]
	if len(refs) == 0 {
		return
	}
	sc := getScratch()
	defer sc.put(len(refs))
	fill(t.Spans, refs)
	link(t.Spans, refs, sc.index(len(refs)))
	breakCycles(t.Spans, resize(&sc.stamp, len(refs)))
	b := newBuilder(t, sc)
	b.correctSkew()
	b.sortChildren()
	b.selfTimes()
	b.pathTree()
	b.criticalPath()
}

// Reset lets go of the spans t was built from, so that a tree kept for
// Rebuild does not keep their batch alive; t is then empty.
func (t *Tree) Reset() {
	clear(t.Spans[:cap(t.Spans)])
	*t = Tree{Spans: t.Spans[:0], Roots: t.Roots[:0], Path: t.Path[:0], kids: t.kids}
}

// fill copies what the tree needs from pdata, clamping timestamps.
func fill(spans []Span, refs []Ref) {
	var lastRes pcommon.Resource
	lastSvc := ""
	for i, r := range refs {
		switch {
		case r.Service != "":
			lastRes, lastSvc = r.Resource, r.Service
		case i == 0 || r.Resource != lastRes:
			lastRes, lastSvc = r.Resource, ServiceName(r.Resource)
		}
		src := r.Span
		start, end := Times(src)
		spans[i] = Span{
			Source:   src,
			Resource: r.Resource,
			Service:  lastSvc,
			Name:     src.Name(),
			Kind:     src.Kind(),
			Start:    start,
			End:      end,
			Error:    src.Status().Code() == ptrace.StatusCodeError,
			Parent:   -1,
		}
	}
}

// ServiceName is the resource's service.name, or UnknownService.
func ServiceName(res pcommon.Resource) string {
	if v, ok := res.Attributes().Get("service.name"); ok {
		if s := v.AsString(); s != "" {
			return s
		}
	}
	return UnknownService
}

// Times is a span's start and end as a Tree holds them (Span.Start,
// Span.End): clamped to 0..MaxTime, the end never before the start.
func Times(sp ptrace.Span) (start, end int64) {
	start, end = clampTime(sp.StartTimestamp()), clampTime(sp.EndTimestamp())
	return start, max(start, end)
}

func clampTime(ts pcommon.Timestamp) int64 {
	if uint64(ts) > uint64(MaxTime) {
		return MaxTime
	}
	return int64(ts)
}

// link resolves parent span IDs. The first span with a given ID owns it;
// later ones are marked Duplicate but keep their own parent.
func link(spans []Span, refs []Ref, byID *spanindex.Index) {
	for i, r := range refs {
		id := r.Span.SpanID()
		if !id.IsEmpty() && !byID.Add(spanindex.SpanKey(id), i) {
			spans[i].Duplicate = true
		}
	}
	for i, r := range refs {
		if links := r.Span.Links(); links.Len() > 0 {
			spans[i].Links = linked(links, r.Span.TraceID(), byID)
		}
		pid := r.Span.ParentSpanID()
		if pid.IsEmpty() {
			continue
		}
		p := byID.Find(spanindex.SpanKey(pid))
		switch {
		case p < 0:
			spans[i].Orphan = true
		case p == i:
			spans[i].Orphan = true // its own parent: a cycle of one
		default:
			spans[i].Parent = p
		}
	}
}

func linked(links ptrace.SpanLinkSlice, trace pcommon.TraceID, byID *spanindex.Index) []int {
	var out []int
	for k := 0; k < links.Len(); k++ {
		l := links.At(k)
		if l.TraceID() != trace || l.SpanID().IsEmpty() {
			continue
		}
		if j := byID.Find(spanindex.SpanKey(l.SpanID())); j >= 0 {
			out = append(out, j)
		}
	}
	return out
}

// breakCycles cuts every parent cycle at its earliest span, which becomes
// an orphan. Each span is walked once: a walk stops at the first span seen
// before, and a cycle is a walk that meets its own stamp.
func breakCycles(spans []Span, stamp []int32) {
	for i := range spans {
		if stamp[i] != 0 {
			continue
		}
		walk := int32(i + 1)
		j := i
		for j >= 0 && stamp[j] == 0 {
			stamp[j] = walk
			j = spans[j].Parent
		}
		if j < 0 || stamp[j] != walk {
			continue
		}
		cut := j
		for k := spans[j].Parent; k != j; k = spans[k].Parent {
			if spans[k].Start < spans[cut].Start || (spans[k].Start == spans[cut].Start && k < cut) {
				cut = k
			}
		}
		spans[cut].Parent = -1
		spans[cut].Orphan = true
	}
}

// builder holds the state of one Build.
type builder struct {
	t       *Tree
	spans   []Span
	sc      *scratch
	backing []int   // children of all spans, one segment per parent
	off     []int32 // segment of span i: backing[off[i]:off[i+1]]
	order   []int   // parents before children
	// The critical path's tree (critical.go): top-level spans hung under a
	// linked span, per span and per hung span (nil when none), and an order
	// with parents before children.
	extra      map[int][]int
	linkParent map[int]int
	pathOrder  []int
}

func newBuilder(t *Tree, sc *scratch) *builder {
	n := len(t.Spans)
	// The child lists are the tree's, so their array is too.
	b := &builder{t: t, spans: t.Spans, sc: sc, backing: resize(&t.kids, n), off: resize(&sc.off, n+1)}
	for i := range b.spans {
		if p := b.spans[i].Parent; p >= 0 {
			b.off[p+1]++
		}
	}
	for i := 0; i < n; i++ {
		b.off[i+1] += b.off[i]
	}
	next := resize(&sc.next, n)
	copy(next, b.off[:n])
	for i := range b.spans {
		if p := b.spans[i].Parent; p >= 0 {
			b.backing[next[p]] = i
			next[p]++
		}
	}
	// Breadth-first order from the top-level spans; after breakCycles every
	// span is reachable from one.
	b.order = resize(&sc.order, n)[:0]
	for i := range b.spans {
		if b.spans[i].Parent < 0 {
			b.order = append(b.order, i)
		}
	}
	for q := 0; q < len(b.order); q++ {
		i := b.order[q]
		for _, c := range b.backing[b.off[i]:b.off[i+1]] {
			b.spans[c].Depth = b.spans[i].Depth + 1
			b.order = append(b.order, c)
		}
	}
	return b
}

// correctSkew shifts spans whose service's clock disagrees with their
// parent's, the way Jaeger's adjuster does: a child in another service that
// starts before its parent or ends after it is moved inside the parent,
// leaving equal slack on both sides (a child longer than its parent is only
// moved to start with it). Every span first takes its parent's shift, so a
// subtree moves as a whole; same-service children are never moved relative
// to their parent, nor are message consumers (a CONSUMER span, or any child
// of a PRODUCER span): a consumer may run long after its producer ended, so
// its place outside the producer says nothing about clocks.
func (b *builder) correctSkew() {
	for _, i := range b.order {
		s := &b.spans[i]
		p := s.Parent
		if p < 0 {
			continue
		}
		par := &b.spans[p]
		dur := s.End - s.Start
		cs := clampStart(s.Start+par.Skew, dur)
		if s.Service != par.Service && s.Kind != ptrace.SpanKindConsumer && par.Kind != ptrace.SpanKindProducer {
			ps, pe := par.CorrectedStart(), par.CorrectedEnd()
			pd := pe - ps
			switch {
			case dur > pd:
				if cs < ps {
					cs = ps
				}
			case cs < ps || cs+dur > pe:
				cs = ps + (pd-dur)/2
			}
			cs = clampStart(cs, dur)
		}
		s.Skew = cs - s.Start
	}
	t := b.t
	t.Start, t.Duration = b.spans[0].CorrectedStart(), 0
	end := b.spans[0].CorrectedEnd()
	for i := range b.spans {
		t.Start = min(t.Start, b.spans[i].CorrectedStart())
		end = max(end, b.spans[i].CorrectedEnd())
	}
	t.Duration = end - t.Start
	for i := range b.spans {
		b.spans[i].Offset = b.spans[i].CorrectedStart() - t.Start
	}
}

// clampStart keeps [start, start+dur] inside [0, MaxTime].
func clampStart(start, dur int64) int64 {
	return max(0, min(start, MaxTime-dur))
}

// sortChildren orders every child list and Roots (roots, then orphans) by
// corrected start, input order breaking ties. Lists are sorted one by one:
// with the small fan-out of real traces that is close to linear, where one
// sort of all spans would not be.
func (b *builder) sortChildren() {
	n := len(b.spans)
	starts := resize(&b.sc.starts, n)
	for i := range b.spans {
		starts[i] = b.spans[i].CorrectedStart()
	}
	byStart := func(x, y int) int {
		if c := cmp.Compare(starts[x], starts[y]); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	}
	for i := range b.spans {
		if lo, hi := b.off[i], b.off[i+1]; lo < hi {
			kids := b.backing[lo:hi:hi]
			slices.SortFunc(kids, byStart)
			b.spans[i].Children = kids
		}
	}
	roots := b.t.Roots[:0]
	for i := range b.spans {
		if b.spans[i].Parent < 0 {
			roots = append(roots, i)
		}
	}
	slices.SortFunc(roots, func(x, y int) int {
		if ox, oy := b.spans[x].Orphan, b.spans[y].Orphan; ox != oy {
			if oy {
				return -1
			}
			return 1
		}
		return byStart(x, y)
	})
	b.t.Roots = roots
}

// selfTimes sets Self: the span's duration minus the union of its children's
// corrected intervals clipped to the span.
func (b *builder) selfTimes() {
	for i := range b.spans {
		s := &b.spans[i]
		start, end := s.CorrectedStart(), s.CorrectedEnd()
		covered, reach := int64(0), start
		for _, c := range s.Children {
			cs := max(b.spans[c].CorrectedStart(), reach)
			ce := min(b.spans[c].CorrectedEnd(), end)
			if ce > cs {
				covered += ce - cs
				reach = ce
			}
		}
		s.Self = end - start - covered
	}
}
