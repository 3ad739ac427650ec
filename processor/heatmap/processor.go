package heatmap

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/processor/heatmap/internal/metadata"
)

type heatmapProcessor struct {
	cfg       *Config
	logger    *zap.Logger
	tracker   *heat.Tracker
	telemetry *metadata.Telemetry
}

func newProcessor(set processor.Settings, cfg *Config) (*heatmapProcessor, error) {
	tel, err := metadata.NewTelemetry(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	p := &heatmapProcessor{
		cfg:       cfg,
		logger:    set.Logger,
		tracker:   heat.NewTracker(cfg.Config, nil),
		telemetry: tel,
	}
	p.tracker.SetOverflowHandler(p.logOverflow)
	return p, nil
}

// processTraces counts the batch, then writes the window's values (this
// batch included) onto it and passes it on. It never fails.
func (p *heatmapProcessor) processTraces(_ context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	p.tracker.Annotate(td)
	return td, nil
}

func (p *heatmapProcessor) start(context.Context, component.Host) error {
	return p.telemetry.RegisterCallback(p.observe)
}

func (p *heatmapProcessor) shutdown(context.Context) error {
	err := p.telemetry.Shutdown()
	p.tracker.Close()
	return err
}

// logOverflow is called once per kind, the first time a cap is reached.
func (p *heatmapProcessor) logOverflow(kind, key string) {
	limit := map[string]int{
		heat.KindService:   p.cfg.MaxServices,
		heat.KindOperation: p.cfg.MaxOperations,
		heat.KindEdge:      p.cfg.MaxEdges,
	}[kind]
	p.logger.Warn("heatmap cap reached; this and further new keys are counted under "+heat.OverflowKey+
		" (logged once; see tracemap_heatmap_overflow)",
		zap.String("kind", kind), zap.String("first_key", key), zap.Int("cap", limit))
}

var (
	kindService   = metric.WithAttributes(attribute.String("kind", heat.KindService))
	kindOperation = metric.WithAttributes(attribute.String("kind", heat.KindOperation))
	kindEdge      = metric.WithAttributes(attribute.String("kind", heat.KindEdge))
	kindStore     = metric.WithAttributes(attribute.String("kind", "edge_store"))
	viaBatch      = metric.WithAttributes(attribute.String("resolution", "batch"))
	viaStore      = metric.WithAttributes(attribute.String("resolution", "store"))
	viaVirtual    = metric.WithAttributes(attribute.String("resolution", "virtual"))
	sideCaller    = metric.WithAttributes(attribute.String("side", "caller"))
	sideCallee    = metric.WithAttributes(attribute.String("side", "callee"))
)

// observe reports the tracker's counters and the per-service heat, so a
// Prometheus scrape of the collector shows the heat map as metrics.
func (p *heatmapProcessor) observe(_ context.Context, o metric.Observer) error {
	t := p.telemetry
	c := p.tracker.Counters()
	o.ObserveInt64(t.Spans, c.Spans)
	o.ObserveInt64(t.Errors, c.Errors)
	o.ObserveInt64(t.Overflow, c.ServiceOverflows, kindService)
	o.ObserveInt64(t.Overflow, c.OperationOverflows, kindOperation)
	o.ObserveInt64(t.Overflow, c.EdgeOverflows, kindEdge)
	o.ObserveInt64(t.Edges, c.EdgesInBatch, viaBatch)
	o.ObserveInt64(t.Edges, c.EdgesAcross, viaStore)
	o.ObserveInt64(t.Edges, c.VirtualEdges, viaVirtual)
	o.ObserveInt64(t.EdgeExpired, c.ExpiredCallers, sideCaller)
	o.ObserveInt64(t.EdgeExpired, c.ExpiredCallees, sideCallee)
	o.ObserveInt64(t.EdgeRefused, c.EdgeStoreRefused)

	k := p.tracker.Keys()
	o.ObserveInt64(t.Keys, int64(k.Services), kindService)
	o.ObserveInt64(t.Keys, int64(k.Operations), kindOperation)
	o.ObserveInt64(t.Keys, int64(k.Edges), kindEdge)
	o.ObserveInt64(t.Keys, int64(k.EdgeStore), kindStore)

	p.tracker.ServiceStats(func(name string, st heat.Stats, hot bool) {
		svc := metric.WithAttributeSet(attribute.NewSet(attribute.String("service.name", name)))
		o.ObserveInt64(t.ServiceSpans, st.Spans, svc)
		o.ObserveInt64(t.ServiceErrors, st.Errors, svc)
		o.ObserveFloat64(t.ServiceRate, st.ErrorRate, svc)
		o.ObserveFloat64(t.ServiceP99, st.P99Ms, svc)
		hotVal := int64(0)
		if hot {
			hotVal = 1
		}
		o.ObserveInt64(t.ServiceHot, hotVal, svc)
	})
	return nil
}
