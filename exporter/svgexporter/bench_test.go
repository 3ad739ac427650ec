package svgexporter

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"gocloud.dev/blob"

	"github.com/tracemap/tracemap/internal/testutil/loadgen"
	"github.com/tracemap/tracemap/internal/testutil/s3test"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
	"github.com/tracemap/tracemap/processor/heatmap"
	"github.com/tracemap/tracemap/processor/layout"
)

// benchBatch is 100 checkout traces of 7 spans across five services.
func benchBatch() ptrace.Traces {
	td := ptrace.NewTraces()
	for i := uint64(1); i <= 100; i++ {
		tracetest.Append(td, tracetest.TraceID(i), tracetest.FiveServices()...)
	}
	return td
}

// renumber gives every trace of td a fresh ID, so each round is new data
// to the exporter (and counted in its window and statistics).
func renumber(td ptrace.Traces, round uint64) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				id := spans.At(k).TraceID()
				binary.BigEndian.PutUint64(id[:8], round)
				spans.At(k).SetTraceID(id)
			}
		}
	}
}

func benchExporter(b *testing.B, cfg *Config) *svgExporter {
	e := startExporter(b, cfg)
	b.Cleanup(func() { _ = e.shutdown(context.Background()) })
	return e
}

// BenchmarkPushTraces: draw and write every trace of a batch (mem://).
func BenchmarkPushTraces(b *testing.B) {
	e := benchExporter(b, testConfig("mem://"))
	td := benchBatch()
	runPush(b, e, td)
}

// BenchmarkPushTracesFiltered: a busy gateway that draws only errors; the
// batch above has one error span per trace, so this one has none.
func BenchmarkPushTracesFiltered(b *testing.B) {
	cfg := testConfig("mem://")
	cfg.Render.Errors = true
	e := benchExporter(b, cfg)
	td := benchBatch()
	td.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
		v, _ := rs.Resource().Attributes().Get("service.name")
		return v.Str() == "payment"
	})
	runPush(b, e, td)
}

// runPush pushes td each round under new trace IDs. Besides wall time it
// reports the process's CPU time per op, which the shared test machines
// (often far more runnable threads than cores) do not distort.
func runPush(b *testing.B, e *svgExporter, td ptrace.Traces) {
	b.ReportAllocs()
	cpu0 := cpuTime()
	for round := uint64(1); b.Loop(); round++ {
		renumber(td, round)
		if err := e.pushTraces(context.Background(), td); err != nil {
			b.Fatal(err)
		}
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(b.N*td.SpanCount())/cpu.Seconds(), "spans/cpu-s")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPushHugeTrace: one trace of 100,000 spans (ten children per
// span, 20 services) through the whole exporter path to mem://.
func BenchmarkPushHugeTrace(b *testing.B) {
	const n = 100_000
	spans := make([]tracetest.Span, n)
	services := make([]string, 20)
	for i := range services {
		services[i] = fmt.Sprintf("service-%02d", i)
	}
	for i := range spans {
		id := uint64(i + 1)
		parent := uint64(0)
		if i > 0 {
			parent = uint64(i-1)/10 + 1
		}
		start := int64(i) * 1000
		spans[i] = tracetest.S(id, parent, services[i%len(services)], fmt.Sprintf("op-%d", i%7), start, start+int64(n-i)*1000)
	}
	e := benchExporter(b, testConfig("mem://"))
	runPush(b, e, tracetest.Traces(tracetest.TraceID(1), spans...))
	var size int64
	iter := e.bucket.List(nil)
	for {
		obj, err := iter.Next(context.Background())
		if err != nil {
			break
		}
		size = max(size, obj.Size)
	}
	if size == 0 {
		b.Fatal("no picture written")
	}
	b.ReportMetric(float64(size), "picture-bytes")
}

// BenchmarkPushExemplars: the default mode's cost per batch of the load
// generator's shape: grouping, DAG, culprits, window and the online
// exemplar choice; nothing is drawn until the window settles.
func BenchmarkPushExemplars(b *testing.B) {
	benchExemplars(b, generated(b, 100))
}

// BenchmarkPushExemplarsLaidOut is BenchmarkPushExemplars behind the
// heatmap and layout processors, as in the gateway: the traces carry the
// service figures, layout's culprits and tracemap.dag.
func BenchmarkPushExemplarsLaidOut(b *testing.B) {
	benchExemplars(b, processed(b, generated(b, 100), heatmap.NewFactory(), layout.NewFactory()))
}

func benchExemplars(b *testing.B, td ptrace.Traces) {
	cfg := testConfig("mem://")
	cfg.Mode = ModeExemplars
	runPush(b, benchExporter(b, cfg), td)
}

// generated is n traces of the load generator's default shape.
func generated(tb testing.TB, n int) ptrace.Traces {
	gen, err := loadgen.NewGenerator(loadgen.DefaultShape)
	if err != nil {
		tb.Fatal(err)
	}
	return gen.Traces(n)
}

// processed is td after a pipeline of processors with default configs.
func processed(tb testing.TB, td ptrace.Traces, pipeline ...processor.Factory) ptrace.Traces {
	ctx := context.Background()
	sink := new(consumertest.TracesSink)
	next := consumer.Traces(sink)
	for _, f := range slices.Backward(pipeline) {
		p, err := f.CreateTraces(ctx, processortest.NewNopSettings(f.Type()), f.CreateDefaultConfig(), next)
		if err != nil {
			tb.Fatal(err)
		}
		if err := p.Start(ctx, componenttest.NewNopHost()); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = p.Shutdown(ctx) })
		next = p
	}
	if err := next.ConsumeTraces(ctx, td); err != nil {
		tb.Fatal(err)
	}
	return sink.AllTraces()[0]
}

// BenchmarkSettleWindow: what a window costs when it settles, per bucket
// kind: max_pictures_per_window exemplars (picture and trace data), the
// service map, the summary and the page, written with exemplars::writers
// in parallel. Reported per picture.
func BenchmarkSettleWindow(b *testing.B) {
	gen, err := loadgen.NewGenerator(loadgen.DefaultShape)
	if err != nil {
		b.Fatal(err)
	}
	td := gen.Traces(200)
	kinds := []struct {
		name string
		url  func(b *testing.B) string
	}{
		{"mem", func(*testing.B) string { return "mem://" }},
		{"file", func(b *testing.B) string { return "file://" + b.TempDir() }},
		{"s3", func(b *testing.B) string {
			srv := s3test.Start(b)
			return srv.URL()
		}},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			cfg := testConfig(k.url(b))
			cfg.Mode = ModeExemplars
			e := benchExporter(b, cfg)
			b.ReportAllocs()
			var pictures int64
			var cpu time.Duration
			for round := uint64(1); b.Loop(); round++ {
				renumber(td, round)
				if err := e.pushTraces(context.Background(), td); err != nil {
					b.Fatal(err)
				}
				e.mu.Lock()
				n := len(e.ex.chooser.Choose())
				e.mu.Unlock()
				cpu0 := cpuTime()
				if err := e.rotate(context.Background(), e.now()); err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime() - cpu0
				pictures += int64(n)
			}
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(pictures), "cpu-ms/picture")
			b.ReportMetric(float64(pictures)/float64(b.N), "pictures/window")
			b.ReportMetric(float64(windowBytes(b, e)), "bytes/window")
		})
	}
}

// windowBytes is the stored size of one window's objects: every round of
// a benchmark settles a window of the same wall-clock minute, whose
// exemplars (fresh trace IDs each round) add up while the map, summary and
// page are overwritten, so the exemplars are divided by the rounds.
func windowBytes(b *testing.B, e *svgExporter) int64 {
	var exemplars, rest int64
	iter := e.bucket.List(&blob.ListOptions{Prefix: "windows/"})
	for {
		obj, err := iter.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if strings.Contains(obj.Key, "/exemplars/") {
			exemplars += obj.Size
		} else {
			rest += obj.Size
		}
	}
	return exemplars/int64(b.N) + rest
}
