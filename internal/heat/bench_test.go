package heat

import (
	"encoding/binary"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/heattest"
	"github.com/tracemap/tracemap/internal/testutil/loadgen"
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

// BenchmarkObserveGatewayShape counts the load harness's traces (29 spans
// over 8 services, 10 traces a batch, each service's spans in a resource of
// their own) with the clock advancing as at 60k spans/s, after a full
// window of them: the counting stage as `make loadtest-gateway` runs it,
// without the collector around it. per-service sends each service's spans
// as a batch of its own, as SDKs export them, so that parents and children
// meet through the edge store.
func BenchmarkObserveGatewayShape(b *testing.B) {
	for _, split := range []bool{false, true} {
		name := "batch"
		if split {
			name = "per-service"
		}
		b.Run(name, func(b *testing.B) { benchGatewayShape(b, split) })
	}
}

func benchGatewayShape(b *testing.B, split bool) {
	gen, err := loadgen.NewGenerator(loadgen.DefaultShape)
	if err != nil {
		b.Fatal(err)
	}
	const traces = 10
	batches := make([]ptrace.Traces, 64)
	for i := range batches {
		batches[i] = gen.Traces(traces)
	}
	spans := batches[0].SpanCount()
	step := time.Duration(float64(time.Second) * float64(spans) / 60000)
	c := newClock()
	tr := NewTracker(DefaultConfig(), c.now)
	// Every batch gets trace IDs of its own (a repeated span is refused by
	// the edge store, which a real load does not exercise), split per
	// service if asked.
	fresh := func(i int) []ptrace.Traces {
		td := batches[i%len(batches)]
		rss := td.ResourceSpans()
		for r := 0; r < rss.Len(); r++ {
			spans := rss.At(r).ScopeSpans().At(0).Spans()
			for k := 0; k < spans.Len(); k++ {
				id := spans.At(k).TraceID()
				binary.LittleEndian.PutUint64(id[8:], uint64(i))
				spans.At(k).SetTraceID(id)
			}
		}
		if !split {
			return []ptrace.Traces{td}
		}
		out := make([]ptrace.Traces, rss.Len())
		for r := range out {
			out[r] = ptrace.NewTraces()
			rss.At(r).CopyTo(out[r].ResourceSpans().AppendEmpty())
		}
		return out
	}
	observe := func(tds []ptrace.Traces) {
		for _, td := range tds {
			tr.Observe(td)
		}
		c.advance(step)
	}
	for i := range int(time.Minute / step) {
		observe(fresh(i))
	}
	// In a gateway, decoding, sampling and the garbage collector stream
	// megabytes through the caches between two batches; so does this, off
	// the clock, so that the stage's own cache misses are measured.
	evict := make([]byte, 16<<20)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		tds := fresh(1<<32 + i)
		for j := 0; j < len(evict); j += 64 {
			evict[j]++
		}
		b.StartTimer()
		observe(tds)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*spans), "ns/span")
	cn := tr.Counters()
	b.ReportMetric(float64(cn.EdgesAcross)/float64(cn.EdgesAcross+cn.EdgesInBatch), "across/edge")
}
