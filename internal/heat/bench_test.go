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

// fresh returns n unannotated batches decoded from OTLP protobuf, as a
// receiver hands them on, so every iteration writes new attributes.
func fresh(b *testing.B, n int) []ptrace.Traces {
	raw, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(heattest.Batch(benchServices, benchSpansPer, 2))
	if err != nil {
		b.Fatal(err)
	}
	out := make([]ptrace.Traces, n)
	for i := range out {
		if out[i], err = (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(raw); err != nil {
			b.Fatal(err)
		}
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
	const copies = 64
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
