package spantree

import (
	"reflect"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// FuzzBuild builds trees from random span sets (see tracetest.FromFuzz),
// with every third span linked to another span of the trace (so linked
// top-level spans, link cycles and links to themselves occur), and checks
// the invariants every tree must keep.
func FuzzBuild(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 0, 10, 0, 2, 1, 1, 1, 0, 5, 0})
	f.Add([]byte{1, 2, 0, 0, 0, 10, 0, 2, 1, 1, 0, 0, 5, 0, 3, 3, 2, 9, 0, 1, 1})
	f.Add([]byte{1, 0, 0, 0, 0, 10, 0x80, 2, 1, 1, 0xff, 0xff, 5, 0x40})
	f.Fuzz(func(t *testing.T, data []byte) {
		td := tracetest.FromFuzz(data)
		var ids []pcommon.SpanID
		ForEachSpan(td, func(sp ptrace.Span, _ pcommon.Resource) { ids = append(ids, sp.SpanID()) })
		k := 0
		ForEachSpan(td, func(sp ptrace.Span, _ pcommon.Resource) {
			if k%3 == 0 {
				l := sp.Links().AppendEmpty()
				l.SetTraceID(sp.TraceID())
				l.SetSpanID(ids[(k*7+1)%len(ids)])
			}
			k++
		})
		// Rebuild into a tree that held a larger trace gives Build's tree.
		reused := Build(tracetest.TraceID(9), GroupByTrace(tracetest.Generate(tracetest.TraceID(9), 300, 7, 1))[0].Refs)
		for _, g := range GroupByTrace(td) {
			tr := Build(g.TraceID, g.Refs)
			checkInvariants(t, tr)
			reused.Rebuild(g.TraceID, g.Refs)
			if !reflect.DeepEqual(reused.Spans, tr.Spans) || !slices.Equal(reused.Roots, tr.Roots) || !slices.Equal(reused.Path, tr.Path) ||
				reused.TraceID != tr.TraceID || reused.Start != tr.Start || reused.Duration != tr.Duration {
				t.Fatalf("Rebuild differs from Build:\n%+v\n%+v", reused, tr)
			}
		}
	})
}
