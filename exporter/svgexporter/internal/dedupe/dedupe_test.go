package dedupe

import (
	"testing"

	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

func TestSetForgetsOldest(t *testing.T) {
	s := New(2)
	for _, c := range []struct {
		fp   uint64
		want bool
	}{{1, true}, {1, false}, {2, true}, {3, true}, {1, true}, {3, false}, {2, true}} {
		if got := s.Add(c.fp); got != c.want {
			t.Fatalf("Add(%d) = %v, want %v", c.fp, got, c.want)
		}
	}
	if len(s.set) != 2 {
		t.Fatalf("holds %d fingerprints, want 2", len(s.set))
	}
}

func TestFingerprint(t *testing.T) {
	tid := tracetest.TraceID(7)
	fp := func(spans ...tracetest.Span) uint64 {
		g := spantree.GroupByTrace(tracetest.Traces(tid, spans...))[0]
		return Fingerprint(g.TraceID, g.Refs)
	}
	a := fp(tracetest.Span{ID: 1, Service: "a", Name: "x", End: 5})
	again := fp(tracetest.Span{ID: 1, Service: "a", Name: "x", End: 5})
	other := fp(tracetest.Span{ID: 2, Parent: 1, Service: "a", Name: "x", End: 5})
	if a != again {
		t.Fatal("same spans, different fingerprints")
	}
	if a == other {
		t.Fatal("another part of the trace has the same fingerprint")
	}
}
