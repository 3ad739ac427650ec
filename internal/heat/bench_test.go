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
	benchCopies   = 16
)

// warmTracker returns a tracker whose window is already full, as in
// production, with the clock advancing 1ms per batch afterwards.
func warmTracker() (*Tracker, *clock) {
	c := newClock()
	tr := NewTracker(DefaultConfig(), c.now)
	src := heattest.Batch(benchServices, benchSpansPer, 1)
	for range 500 {
		tr.Observe(src)
		c.advance(120 * time.Millisecond) // 500 batches fill the 60s window
	}
	return tr, c
}

// runBatches calls fn on fresh batches decoded from OTLP protobuf (as a
// receiver hands them on), replacing them outside the timer when used up, and
// reports wall and CPU time and allocations per span.
func runBatches(b *testing.B, fn func(ptrace.Traces)) {
	batches, err := heattest.Decoded(benchServices, benchSpansPer, 2, benchCopies)
	if err != nil {
		b.Fatal(err)
	}
	var cpu heattest.CPUMeter
	b.ReportAllocs()
	b.ResetTimer()
	cpu.Start()
	i := 0
	for b.Loop() {
		if i == benchCopies {
			b.StopTimer()
			cpu.Stop()
			if batches, err = heattest.Decoded(benchServices, benchSpansPer, 2, benchCopies); err != nil {
				b.Fatal(err)
			}
			i = 0
			cpu.Start()
			b.StartTimer()
		}
		fn(batches[i])
		i++
	}
	cpu.Stop()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchSpans), "ns/span")
	b.ReportMetric(cpu.PerOp(b.N*benchSpans), "cpu-ns/span")
}

func BenchmarkObserve(b *testing.B) {
	tr, c := warmTracker()
	runBatches(b, func(td ptrace.Traces) {
		tr.Observe(td)
		c.advance(time.Millisecond)
	})
}

func BenchmarkAnnotate(b *testing.B) {
	tr, c := warmTracker()
	runBatches(b, func(td ptrace.Traces) {
		tr.Annotate(td)
		c.advance(time.Millisecond)
	})
}

// BenchmarkAttributeFloor writes the same attributes as Annotate without any
// counting: the cost pdata itself puts on every annotated span (growing the
// attribute slice, one value wrapper per attribute), the floor under
// BenchmarkAnnotate.
func BenchmarkAttributeFloor(b *testing.B) {
	runBatches(b, func(td ptrace.Traces) {
		rss := td.ResourceSpans()
		for r := 0; r < rss.Len(); r++ {
			writeService(rss.At(r).Resource().Attributes(), Stats{}, false)
			spans := rss.At(r).ScopeSpans().At(0).Spans()
			for s := 0; s < spans.Len(); s++ {
				writeSpan(spans.At(s).Attributes(), Stats{}, -1, nil)
			}
		}
	})
}
