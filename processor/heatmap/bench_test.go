package heatmap

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/tracemap/tracemap/internal/testutil/heattest"
	"github.com/tracemap/tracemap/processor/heatmap/internal/metadata"
)

// BenchmarkProcessor runs ConsumeTraces on realistic batches: 20 services,
// one ResourceSpans of 100 spans each, decoded from OTLP protobuf. The
// window fills during the first batches.
func BenchmarkProcessor(b *testing.B) {
	proc, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type),
		createDefaultConfig(), consumertest.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	if err := proc.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = proc.Shutdown(context.Background()) }()
	heattest.RunBatches(b, func(td ptrace.Traces) {
		if err := proc.ConsumeTraces(context.Background(), td); err != nil {
			b.Fatal(err)
		}
	})
}
