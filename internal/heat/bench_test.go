package heat

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/heattest"
)

// warmTracker returns a tracker whose window is already full, as in
// production, with the clock advancing 1ms per batch afterwards.
func warmTracker() (*Tracker, *clock) {
	c := newClock()
	tr := NewTracker(DefaultConfig(), c.now)
	src := heattest.Batch(heattest.BenchServices, heattest.BenchSpansPer, 1)
	for range 500 {
		tr.Observe(src)
		c.advance(120 * time.Millisecond) // 500 batches fill the 60s window
	}
	return tr, c
}

func BenchmarkObserve(b *testing.B) {
	tr, c := warmTracker()
	heattest.RunBatches(b, func(td ptrace.Traces) {
		tr.Observe(td)
		c.advance(time.Millisecond)
	})
}

func BenchmarkAnnotate(b *testing.B) {
	tr, c := warmTracker()
	heattest.RunBatches(b, func(td ptrace.Traces) {
		tr.Annotate(td)
		c.advance(time.Millisecond)
	})
}

// BenchmarkAttributeFloor writes the same attributes as Annotate without any
// counting: the cost pdata itself puts on every annotated span (growing the
// attribute slice, one value wrapper per attribute), the floor under
// BenchmarkAnnotate.
func BenchmarkAttributeFloor(b *testing.B) {
	heattest.RunBatches(b, func(td ptrace.Traces) {
		rss := td.ResourceSpans()
		for r := 0; r < rss.Len(); r++ {
			writeService(rss.At(r).Resource().Attributes(), Stats{}, false, false)
			spans := rss.At(r).ScopeSpans().At(0).Spans()
			for s := 0; s < spans.Len(); s++ {
				writeSpan(spans.At(s).Attributes(), &Stats{}, nil)
			}
		}
	})
}
