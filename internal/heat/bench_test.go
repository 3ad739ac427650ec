package heat

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/heat/heattest"
)

const (
	benchServices = 20
	benchSpansPer = 100
	benchSpans    = benchServices * benchSpansPer
)

// warmTracker returns a tracker whose window is already full, as in
// production, with the clock advancing 1ms per batch.
func warmTracker(b *testing.B) (*Tracker, *clock) {
	c := newClock()
	tr := NewTracker(DefaultConfig(), c.now)
	src := heattest.Batch(benchServices, benchSpansPer, 1)
	for range 500 {
		tr.Observe(src)
		c.advance(120 * time.Millisecond) // 500 batches fill the 60s window
	}
	return tr, c
}

// fresh returns n unannotated batches decoded from OTLP protobuf.
func fresh(b *testing.B, n int) []ptrace.Traces {
	out, err := heattest.Decoded(benchServices, benchSpansPer, 2, n)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

func reportPerSpan(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchSpans), "ns/span")
}

func BenchmarkObserve(b *testing.B) {
	tr, c := warmTracker(b)
	td := heattest.Batch(benchServices, benchSpansPer, 2)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		tr.Observe(td)
		c.advance(time.Millisecond)
	}
	reportPerSpan(b)
}

func BenchmarkAnnotate(b *testing.B) {
	tr, c := warmTracker(b)
	const copies = 16
	batches := fresh(b, copies)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if i == copies {
			b.StopTimer()
			batches, i = fresh(b, copies), 0
			b.StartTimer()
		}
		tr.Annotate(batches[i])
		i++
		c.advance(time.Millisecond)
	}
	reportPerSpan(b)
}

// BenchmarkAttributeFloor writes the same attributes as Annotate without any
// counting: the cost pdata itself puts on every annotated span (growing the
// attribute slice, one value wrapper per attribute), the floor under
// BenchmarkAnnotate.
func BenchmarkAttributeFloor(b *testing.B) {
	const copies = 16
	batches := fresh(b, copies)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if i == copies {
			b.StopTimer()
			batches, i = fresh(b, copies), 0
			b.StartTimer()
		}
		rss := batches[i].ResourceSpans()
		for r := 0; r < rss.Len(); r++ {
			writeService(rss.At(r).Resource().Attributes(), Stats{}, false)
			spans := rss.At(r).ScopeSpans().At(0).Spans()
			for s := 0; s < spans.Len(); s++ {
				writeSpan(spans.At(s).Attributes(), Stats{}, -1, nil)
			}
		}
		i++
	}
	reportPerSpan(b)
}
