package heatmap

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/tracemap/tracemap/processor/heatmap/internal/metadata"
)

// NewFactory returns the factory of the heatmap processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithTraces(createTraces, metadata.TracesStability),
	)
}

func createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	c := cfg.(*Config)
	if c.Mode == ModeAnnotate {
		a := &annotateStage{source: c.sourceID()}
		return processorhelper.NewTraces(ctx, set, cfg, next, a.processTraces,
			processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
			processorhelper.WithStart(a.start),
		)
	}
	p, err := newProcessor(set, c)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewTraces(ctx, set, cfg, next, p.processTraces,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		processorhelper.WithStart(p.start),
		processorhelper.WithShutdown(p.shutdown),
	)
}
