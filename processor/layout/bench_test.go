package layout

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/testutil/loadgen"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
	"github.com/tracemap/tracemap/processor/layout/internal/metadata"
)

// BenchmarkLayoutTrace lays out one whole real-shaped trace per operation,
// everything the processor does for it: grouping, span tree, skew, critical
// path, attributes on every span, service DAG, its layout and encoding.
// The attributes written by the previous operation are removed first (not
// timed), so every operation adds them anew.
// cpu-ns/span is process CPU time, which stays honest on a shared machine.
func BenchmarkLayoutTrace(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		td := tracetest.Generate(tracetest.TraceID(1), n, 20, 1)
		b.Run(fmt.Sprintf("spans=%d", n), func(b *testing.B) {
			cfg := createDefaultConfig()
			cfg.MaxSpansPerTrace = n
			cfg.MaxSpans = n
			p := nopProcessor(b, cfg)
			var cpu time.Duration
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				removeTracemapAttributes(td)
				b.StartTimer()
				c0 := tracetest.CPUTime()
				p.layoutBatch(context.Background(), td)
				cpu += tracetest.CPUTime() - c0
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/span")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/span")
		})
	}
}

// BenchmarkBatch is the collector's everyday case: batches of 100 traces of
// 20 spans over 5 services each, laid out as they come (wait 0) or held in
// the store and released (wait > 0: moving spans into the store and out is
// included). What comes out is the next operation's input, with the
// attributes of the previous round removed (not timed).
func BenchmarkBatch(b *testing.B) {
	for _, wait := range []time.Duration{0, time.Minute} {
		b.Run(fmt.Sprintf("wait=%v", wait), func(b *testing.B) {
			td := everydayBatch()
			spans := td.SpanCount()
			out := ptrace.NewTraces()
			next, _ := consumer.NewTraces(func(_ context.Context, released ptrace.Traces) error {
				released.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
				return nil
			})
			cfg := createDefaultConfig()
			cfg.Wait = wait
			cfg.MaxTraces = 1 << 20 // remembering released IDs must not make the rounds late
			p, err := newProcessor(processortest.NewNopSettings(metadata.Type), cfg, next)
			if err != nil {
				b.Fatal(err)
			}
			var cpu time.Duration
			b.ReportAllocs()
			for round := uint64(0); b.Loop(); round++ {
				b.StopTimer()
				removeTracemapAttributes(td)
				if p.store != nil {
					newTraceIDs(td, round) // released IDs would make the spans late
				}
				b.StartTimer()
				c0 := tracetest.CPUTime()
				if _, err := p.processTraces(context.Background(), td); err != nil && p.store == nil {
					b.Fatal(err)
				}
				if p.store != nil {
					p.forward(context.Background(), p.store.Drain())
					td, out = out, td
				}
				cpu += tracetest.CPUTime() - c0
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*spans), "ns/span")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*spans), "cpu-ns/span")
		})
	}
}

// everydayBatch is 100 traces of 20 spans over 5 services.
func everydayBatch() ptrace.Traces {
	td := ptrace.NewTraces()
	for i := range 100 {
		tracetest.Generate(tracetest.TraceID(uint64(i+1)), 20, 5, uint64(i)).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	return td
}

func nopProcessor(b *testing.B, cfg *Config) *layoutProcessor {
	p, err := newProcessor(processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func removeTracemapAttributes(td ptrace.Traces) {
	spantree.ForEachSpan(td, func(sp ptrace.Span, _ pcommon.Resource) {
		sp.Attributes().RemoveIf(func(k string, _ pcommon.Value) bool {
			return strings.HasPrefix(k, "tracemap.")
		})
	})
}

// newTraceIDs gives every trace of td a new ID for this round.
func newTraceIDs(td ptrace.Traces, round uint64) {
	spantree.ForEachSpan(td, func(sp ptrace.Span, _ pcommon.Resource) {
		id := sp.TraceID()
		binary.BigEndian.PutUint64(id[:8], round+1)
		sp.SetTraceID(id)
	})
}

// BenchmarkAfterAnnotate annotates fresh batches as heatmap/annotate does
// and lays them out (as BenchmarkBatch, wait 0), as in a gateway: the two
// stages' attribute writes together, since the room one leaves for the
// other costs the first and saves the second.
func BenchmarkAfterAnnotate(b *testing.B) {
	src := everydayBatch()
	tr := heat.NewTracker(heat.DefaultConfig(), nil)
	tr.Observe(src)
	benchAnnotateLayout(b, []ptrace.Traces{src}, func(td ptrace.Traces) { tr.Annotate(td) })
}

// BenchmarkAfterSampling is the kept traces' path in the gateway:
// tail_sampling releases each trace as its own Traces (one resource per
// service), heatmap/annotate writes the span and service values from the
// state the counting stage built (AnnotateSpans) and layout lays it out.
// Traces of the load harness's shape (29 spans over 8 services).
func BenchmarkAfterSampling(b *testing.B) {
	gen, err := loadgen.NewGenerator(loadgen.DefaultShape)
	if err != nil {
		b.Fatal(err)
	}
	tr := heat.NewTracker(heat.DefaultConfig(), nil)
	traces := make([]ptrace.Traces, 200)
	for i := range traces {
		traces[i] = gen.Traces(1)
		tr.Observe(traces[i])
	}
	benchAnnotateLayout(b, traces, tr.AnnotateSpans)
}

// benchAnnotateLayout runs annotate then layout on a fresh copy of each
// input in turn (the copy not timed), reporting CPU per span.
func benchAnnotateLayout(b *testing.B, inputs []ptrace.Traces, annotate func(ptrace.Traces)) {
	p := nopProcessor(b, createDefaultConfig())
	var cpu time.Duration
	spans := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		td := ptrace.NewTraces()
		inputs[i%len(inputs)].CopyTo(td)
		spans += td.SpanCount()
		b.StartTimer()
		c0 := tracetest.CPUTime()
		annotate(td)
		if _, err := p.processTraces(context.Background(), td); err != nil {
			b.Fatal(err)
		}
		cpu += tracetest.CPUTime() - c0
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(spans), "cpu-ns/span")
}
