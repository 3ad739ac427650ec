package heat

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracemap/tracemap/internal/spanindex"
)

// The edge store finds every span it took, whether its trace came in one
// run, in runs interleaved with other traces, or with more spans than a
// scan covers; it refuses a repeated span wherever the first copy went.
func TestGenerationFindsEveryRememberedSpan(t *testing.T) {
	const traces, perTrace = 5, 3 * scanMax
	g := newGeneration(traces * perTrace)
	mix := func(tr int) uint64 { return spanindex.TraceMix(pcommon.TraceID{byte(tr + 1)}) }
	key := func(tr, sp int) uint64 {
		return spanindex.TraceSpanKey(mix(tr), pcommon.SpanID{byte(sp), byte(sp >> 8), 1})
	}
	// Trace 0 whole, then traces 1..4 interleaved a span at a time, so
	// they are split into runs of one span.
	add := func(tr, sp int) {
		if i := g.add(mix(tr), key(tr, sp), int32(len(g.spans)), seenSpan{durNs: int64(tr*1000 + sp)}); i < 0 {
			t.Fatalf("trace %d span %d refused", tr, sp)
		}
	}
	for sp := range perTrace {
		add(0, sp)
	}
	for sp := range perTrace {
		for tr := 1; tr < traces; tr++ {
			add(tr, sp)
		}
	}
	for tr := range traces {
		for sp := range perTrace {
			s := g.find(mix(tr), key(tr, sp))
			if s == nil || s.durNs != int64(tr*1000+sp) {
				t.Fatalf("trace %d span %d: found %+v", tr, sp, s)
			}
			if g.add(mix(tr), key(tr, sp), int32(len(g.spans)), seenSpan{}) >= 0 {
				t.Fatalf("trace %d span %d: a repeat was taken", tr, sp)
			}
		}
		if g.find(mix(tr), key(tr, perTrace)) != nil || g.find(mix(tr), key((tr+1)%traces, 0)) != nil {
			t.Fatalf("trace %d: found a span it does not have", tr)
		}
	}
	if !g.full() || g.add(mix(9), key(9, 0), int32(len(g.spans)), seenSpan{}) >= 0 {
		t.Fatal("a full generation must refuse")
	}
	// Trace 0 took one run and the rest its own index; the others one run
	// per span up to the scan bound.
	if want := 1 + (traces-1)*scanMax; len(g.runs) != want || g.big.Len() != traces*(perTrace-scanMax) {
		t.Fatalf("runs %d (want %d), indexed one by one %d", len(g.runs), want, g.big.Len())
	}
	g.reset(0, traces*perTrace)
	if g.find(mix(0), key(0, 0)) != nil || g.find(mix(1), key(1, perTrace-1)) != nil || len(g.spans) != 0 {
		t.Fatal("reset must forget every span")
	}
	add(1, 0)
	if g.find(mix(1), key(1, 0)) == nil {
		t.Fatal("after reset")
	}
}
