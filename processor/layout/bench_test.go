package layout

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/tracemap/tracemap/internal/tracetest"
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
			p, err := newProcessor(processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
			if err != nil {
				b.Fatal(err)
			}
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

func removeTracemapAttributes(td ptrace.Traces) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				spans.At(k).Attributes().RemoveIf(func(k string, _ pcommon.Value) bool {
					return strings.HasPrefix(k, "tracemap.")
				})
			}
		}
	}
}
