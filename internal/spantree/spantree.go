// Package spantree turns the spans of one trace into a tree with a
// skew-corrected time axis, depths, self times and the critical path.
//
// It is shared by the layout processor, the svg exporter and the offline
// renderer, so that every picture of a trace is computed one way.
package spantree

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Span is one span of a Tree together with what the tree says about it.
type Span struct {
	Source   ptrace.Span      // the pdata span (attributes, events, links)
	Resource pcommon.Resource // its resource
	Service  string           // service.name of the resource ("unknown" when absent)
	Name     string
	Kind     ptrace.SpanKind
	Start    int64 // unix ns as recorded
	End      int64 // unix ns as recorded, never before Start
	Error    bool  // status ERROR

	Parent   int   // index in Tree.Spans; -1 for roots and orphans
	Children []int // indices, ordered by corrected start
	Depth    int   // 0 for roots and orphans
	Offset   int64 // ns from the trace start, after skew correction
	Skew     int64 // shift applied by skew correction, 0 when none
	Self     int64 // ns not covered by children
	Critical bool  // on the critical path
	Orphan   bool  // parent span ID set but not found in the trace
}

// Tree is one trace.
type Tree struct {
	TraceID  pcommon.TraceID
	Spans    []Span
	Roots    []int // roots first, then orphans, each ordered by start
	Start    int64 // unix ns of the earliest corrected start
	Duration int64 // ns from Start to the latest corrected end
}
