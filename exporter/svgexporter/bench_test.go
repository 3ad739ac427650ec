package svgexporter

import (
	"context"
	"encoding/binary"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/metadata"
	"github.com/tracemap/tracemap/internal/tracetest"
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
	e, err := newSVGExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	if err != nil {
		b.Fatal(err)
	}
	if err := e.start(context.Background(), componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
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
