package heat

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracemap/tracemap/internal/spanindex"
)

// The edge store finds every span it took, however its trace came: whole
// in one batch, a span at a time between other traces' spans, in more runs
// or with more spans than a scan covers; and it refuses a span repeated the
// way it came (an exporter's retry repeats a whole batch).
func TestGenerationFindsEveryRememberedSpan(t *testing.T) {
	type run struct{ trace, first, n int }
	batches := [][]run{
		{{0, 0, 40}}, // one run
		{{1, 0, 1}, {2, 0, 1}, {1, 1, 1}, {2, 1, 1}}, // runs of one
		{{3, 0, 200}},                     // more than a scan covers
		{{1, 2, 1}, {4, 0, 2}, {2, 2, 1}}, // runs of two
	}
	// Trace 4 in runs of two past maxRuns (trace 5 between them, or they
	// would make one run).
	for k := range maxRuns {
		batches = append(batches, []run{{5, k, 1}, {4, 2 + 2*k, 2}})
	}
	mix := func(tr int) uint64 { return spanindex.TraceMix(pcommon.TraceID{byte(tr + 1)}) }
	key := func(tr, sp int) uint64 {
		return spanindex.TraceSpanKey(mix(tr), pcommon.SpanID{byte(sp), byte(sp >> 8), 1})
	}
	g := newGeneration(1000)
	if g.find(mix(0), key(0, 0)) != nil {
		t.Fatal("an empty generation finds nothing")
	}
	// feed adds a batch and reports how many of its spans were taken.
	feed := func(batch []run) (taken int) {
		start := int32(len(g.spans))
		for _, r := range batch {
			for sp := r.first; sp < r.first+r.n; sp++ {
				if g.add(mix(r.trace), key(r.trace, sp), int32(r.n), start, seenSpan{durNs: int64(r.trace*1000 + sp)}) >= 0 {
					taken++
				}
			}
		}
		return taken
	}
	spans := map[int]int{} // trace -> spans sent
	for _, b := range batches {
		n := 0
		for _, r := range b {
			n += r.n
			spans[r.trace] = max(spans[r.trace], r.first+r.n)
		}
		if got := feed(b); got != n {
			t.Fatalf("batch %v: %d of %d spans taken", b, got, n)
		}
	}
	for tr, n := range spans {
		for sp := range n {
			if s := g.find(mix(tr), key(tr, sp)); s == nil || s.durNs != int64(tr*1000+sp) {
				t.Fatalf("trace %d span %d: found %+v", tr, sp, s)
			}
		}
		if g.find(mix(tr), key(tr, n)) != nil {
			t.Fatalf("trace %d: found a span it does not have", tr)
		}
	}
	// Runs: trace 0's; traces 1 and 2's three runs of one; trace 4's first
	// maxRuns, of which one came in batch 4; trace 5's maxRuns of one.
	// Indexed by themselves: trace 3's spans and the last run of trace 4.
	if len(g.runs) != 1+3+3+maxRuns+maxRuns || g.single.Len() != 200+2 {
		t.Fatalf("%d runs, %d spans alone", len(g.runs), g.single.Len())
	}
	for _, b := range batches {
		if got := feed(b); got != 0 {
			t.Fatalf("batch %v sent again: %d spans taken", b, got)
		}
	}
	g.reset(0)
	if g.find(mix(0), key(0, 0)) != nil || g.find(mix(1), key(1, 0)) != nil || len(g.spans) != 0 {
		t.Fatal("reset must forget every span")
	}
	if feed(batches[0]) != 40 || g.find(mix(0), key(0, 39)) == nil {
		t.Fatal("after reset")
	}
	small := newGeneration(3)
	for sp := range 4 {
		if i := small.add(mix(0), key(0, sp), 4, 0, seenSpan{}); (i >= 0) != (sp < 3) {
			t.Fatalf("span %d of a generation for 3: index %d", sp, i)
		}
	}
}
