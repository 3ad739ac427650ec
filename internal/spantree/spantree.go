// Package spantree turns the spans of one trace into a tree with a
// skew-corrected time axis, depths, self times and the critical path.
//
// It is shared by the layout processor, the svg exporter and the offline
// renderer, so that every picture of a trace is computed one way.
//
// Build never panics and never loops on hostile input: missing parents,
// duplicate span IDs, parent cycles, inverted or zero-length timestamps and
// timestamps near the int64 limit all give a well-formed Tree.
package spantree

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// UnknownService is the Service of spans whose resource has no service.name.
const UnknownService = "unknown_service"

// Span is one span of a Tree together with what the tree says about it.
// (The small fields come last, together, so that a Span is not padded.)
type Span struct {
	Source   ptrace.Span      // the pdata span (attributes, events, links)
	Resource pcommon.Resource // its resource
	Service  string           // service.name of the resource (UnknownService when absent)
	Name     string
	Start    int64 // unix ns as recorded (clamped to 0..MaxTime)
	End      int64 // unix ns as recorded, never before Start

	Parent   int   // index in Tree.Spans; -1 for roots and orphans
	Children []int // indices, ordered by corrected start
	Depth    int   // 0 for roots and orphans
	Offset   int64 // ns from the trace start, after skew correction
	Skew     int64 // shift applied by skew correction, 0 when none
	Self     int64 // ns not covered by children
	// CriticalSelf is the time of the critical path spent in this span
	// itself, not in one of its critical children (0 off the path). Over
	// all spans it sums to the part of the trace the path covers.
	CriticalSelf int64
	// Links are the spans of this trace that the span links to (links never
	// make parents); links to other traces or missing spans are left out.
	Links []int

	Kind     ptrace.SpanKind
	Error    bool // status ERROR
	Critical bool // on the critical path
	// Async: the span outlives its parent (it ends, or even starts, after
	// its parent ended: fire-and-forget work, a message consumer), or it
	// is a top-level span that follows from a span of this trace by a
	// link. Its parent did not wait for it, so its failure is not its
	// parent's and the critical path follows it beyond its parent's end.
	Async bool
	// Orphan: the span names a parent that is not in the trace, or its parent
	// chain loops (the span where the loop was cut). Orphans hang under the
	// virtual root next to the real roots.
	Orphan bool
	// Duplicate: an earlier span of the trace has the same span ID; children
	// naming that ID hang under the earlier one.
	Duplicate bool
}

// CorrectedStart is the start after skew correction (unix ns).
func (s *Span) CorrectedStart() int64 { return s.Start + s.Skew }

// CorrectedEnd is the end after skew correction (unix ns).
func (s *Span) CorrectedEnd() int64 { return s.End + s.Skew }

// Duration is End - Start.
func (s *Span) Duration() int64 { return s.End - s.Start }

// Tree is one trace.
type Tree struct {
	TraceID pcommon.TraceID
	Spans   []Span
	Roots   []int // roots first, then orphans, each ordered by corrected start
	// Path is the critical spans in the order the walk entered them: each
	// after the span it descended from, from the trace's end backwards.
	Path     []int
	Start    int64 // unix ns of the earliest corrected start
	Duration int64 // ns from Start to the latest corrected end

	kids []int // the array the child lists are carved from
}

// Ref is one input span with its resource.
type Ref struct {
	Span     ptrace.Span
	Resource pcommon.Resource
	// Service is the resource's service.name when the caller knows it
	// (GroupByTrace does); empty means Build looks it up.
	Service string
}

// MaxTime bounds every timestamp (year 2116) so that sums and differences
// of timestamps never overflow int64.
const MaxTime int64 = 1 << 62

// Rebase moves the start of the time axis back to start (unix ns), e.g. to
// the start of the rest of the trace when these are late spans of it:
// offsets and duration grow by the difference. A start after t.Start
// changes nothing.
func (t *Tree) Rebase(start int64) {
	if start >= t.Start {
		return
	}
	d := t.Start - start
	for i := range t.Spans {
		t.Spans[i].Offset += d
	}
	t.Start, t.Duration = start, t.Duration+d
}

// Walk calls fn for every span in depth-first order: each root (then each
// orphan) followed by its subtree, children in corrected start order. It uses
// an explicit stack, so deep trees cannot overflow the goroutine stack.
func (t *Tree) Walk(fn func(i int)) {
	stack := make([]int, 0, 64)
	for r := len(t.Roots) - 1; r >= 0; r-- {
		stack = append(stack, t.Roots[r])
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		fn(i)
		ch := t.Spans[i].Children
		for c := len(ch) - 1; c >= 0; c-- {
			stack = append(stack, ch[c])
		}
	}
}

// Group is the spans of one trace in a batch.
type Group struct {
	TraceID pcommon.TraceID
	Refs    []Ref
}

// GroupByTrace collects the spans of td per trace ID, in the order in which
// the traces first appear in td. All groups share one backing array.
func GroupByTrace(td ptrace.Traces) []Group { return new(Grouper).Group(td) }

// Grouper is GroupByTrace reusing its memory from one batch to the next,
// for a caller done with the groups of the last batch.
type Grouper struct {
	index  map[pcommon.TraceID]int32
	groups []Group
	counts []int
	of     []int32
	refs   []Ref
}

// Group is GroupByTrace(td); the groups are valid until the next Group or
// Reset.
func (gr *Grouper) Group(td ptrace.Traces) []Group {
	// First pass: the group of every span (runs of one trace skip the map).
	if gr.index == nil {
		gr.index = make(map[pcommon.TraceID]int32)
	}
	clear(gr.index)
	groups, counts, of := gr.groups[:0], gr.counts[:0], gr.of[:0]
	if n := td.SpanCount(); cap(of) < n {
		of = make([]int32, 0, n)
	}
	last := int32(-1)
	ForEachSpan(td, func(sp ptrace.Span, _ pcommon.Resource) {
		id := sp.TraceID()
		if last < 0 || groups[last].TraceID != id {
			g, ok := gr.index[id]
			if !ok {
				g = int32(len(groups))
				gr.index[id] = g
				groups = append(groups, Group{TraceID: id})
				counts = append(counts, 0)
			}
			last = g
		}
		counts[last]++
		of = append(of, last)
	})
	refs := resize(&gr.refs, len(of))
	next := 0
	for g := range groups {
		groups[g].Refs = refs[next : next : next+counts[g]]
		next += counts[g]
	}
	// Spans of one trace interleave resources: name each resource once.
	k := 0
	var lastRes pcommon.Resource
	svc := ""
	ForEachSpan(td, func(sp ptrace.Span, res pcommon.Resource) {
		if k == 0 || res != lastRes {
			lastRes, svc = res, ServiceName(res)
		}
		g := &groups[of[k]]
		g.Refs = append(g.Refs, Ref{Span: sp, Resource: res, Service: svc})
		k++
	})
	gr.groups, gr.counts, gr.of = groups, counts, of
	return groups
}

// Reset lets go of the spans of the last batch, so that a Grouper kept
// for the next one does not keep the last one's data alive.
func (gr *Grouper) Reset() { clear(gr.refs[:cap(gr.refs)]) }

// ForEachSpan calls fn for every span of td with its resource, in order.
func ForEachSpan(td ptrace.Traces, fn func(ptrace.Span, pcommon.Resource)) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := rs.Resource()
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				fn(spans.At(k), res)
			}
		}
	}
}

// FromTraces builds one Tree per trace of td, in the order in which the
// traces first appear in td.
func FromTraces(td ptrace.Traces) []*Tree {
	groups := GroupByTrace(td)
	trees := make([]*Tree, len(groups))
	for i, g := range groups {
		trees[i] = Build(g.TraceID, g.Refs)
	}
	return trees
}
