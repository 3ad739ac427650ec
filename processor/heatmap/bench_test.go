package heatmap

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/tracemap/tracemap/internal/heat/heattest"
	"github.com/tracemap/tracemap/processor/heatmap/internal/metadata"
)

// BenchmarkProcessor runs ConsumeTraces on realistic batches: 20 services,
// one ResourceSpans of 100 spans each. The window fills during the first
// batches; ns/span and allocs/span are per span of the batch.
func BenchmarkProcessor(b *testing.B) {
	const services, spansPer, copies = 20, 100, 16
	const spans = services * spansPer
	proc, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type),
		createDefaultConfig(), consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	if err := proc.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = proc.Shutdown(context.Background()) }()
	batches, err := heattest.Decoded(services, spansPer, 1, copies)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if i == copies {
			b.StopTimer()
			if batches, err = heattest.Decoded(services, spansPer, 1, copies); err != nil {
				b.Fatal(err)
			}
			i = 0
			b.StartTimer()
		}
		if err := proc.ConsumeTraces(context.Background(), batches[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*spans), "ns/span")
}
