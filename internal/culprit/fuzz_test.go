package culprit

import (
	"testing"

	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// FuzzAnalyze checks the verdict on random trees (see tracetest.FromFuzz)
// against the rules stated naively.
func FuzzAnalyze(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 0, 10, 1, 2, 1, 1, 1, 0, 5, 1})
	f.Add([]byte{1, 2, 0, 0, 0, 10, 3, 2, 1, 1, 0, 0, 5, 1, 3, 3, 2, 9, 0, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, tr := range spantree.FromTraces(tracetest.FromFuzz(data)) {
			check(t, tr, Analyze(tr))
		}
	})
}

func check(t *testing.T, tr *spantree.Tree, v Verdict) {
	t.Helper()
	failing := -1 // some own error that fails the trace
	for i := range tr.Spans {
		s := &tr.Spans[i]
		childErr := false
		for _, c := range s.Children {
			childErr = childErr || tr.Spans[c].Error
		}
		if v.Own[i] != (s.Error && !childErr) || v.Propagated[i] != (s.Error && childErr) {
			t.Fatalf("span %d: own %v propagated %v, error %v child error %v", i, v.Own[i], v.Propagated[i], s.Error, childErr)
		}
		if !v.Own[i] {
			continue
		}
		for j := i; tr.Spans[j].Error; j = tr.Spans[j].Parent {
			if tr.Spans[j].Parent < 0 || tr.Spans[j].Async {
				failing = i
				break
			}
		}
	}
	switch {
	case (failing < 0) != (v.ErrorSpan < 0):
		t.Fatalf("error span %d, a failing own error %d", v.ErrorSpan, failing)
	case v.ErrorSpan >= 0 && (!v.Own[v.ErrorSpan] || v.Error == ""):
		t.Fatalf("error span %d own %v culprit %q", v.ErrorSpan, v.Own[v.ErrorSpan], v.Error)
	case v.ErrorSpan < 0 && v.Error != "":
		t.Fatalf("culprit %q without an error span", v.Error)
	case v.LatencyShare < 0 || v.LatencyShare > 1 || (v.Latency == "") != (v.LatencyShare == 0):
		t.Fatalf("latency %q share %v", v.Latency, v.LatencyShare)
	}
}
