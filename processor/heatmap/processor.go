package heatmap

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"unicode/utf8"

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
	attrs     attrs
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
		attrs:     newAttrs(set.ID),
	}
	p.tracker.SetOverflowHandler(p.logOverflow)
	return p, nil
}

// processTraces counts the batch, then writes the window's values (this
// batch included) onto it and passes it on. It never fails.
func (p *heatmapProcessor) processTraces(_ context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	if p.cfg.SpanAttributes {
		p.tracker.Annotate(td)
	} else {
		p.tracker.AnnotateResources(td)
	}
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

// attrs are the attribute sets of one processor instance's observations;
// every set carries the component ID, as the collector's own processor
// metrics do, so two heatmap instances report apart.
type attrs struct {
	plain, kindService, kindOperation, kindEdge, kindStore,
	viaBatch, viaStore, viaVirtual, sideCaller, sideCallee metric.MeasurementOption
	id attribute.KeyValue
}

// service is the attribute set of one service's gauges. Service names come
// from data: a label value that is not valid UTF-8 makes the Prometheus
// endpoint refuse the whole scrape, so such names (and very long ones) are
// made valid, with a hash of the original so that two names never collide
// into one series, which would break the scrape too.
func (a *attrs) service(name string) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(a.id, attribute.String("service.name", labelValue(name))))
}

const maxLabel = 128

func labelValue(name string) string {
	if len(name) <= maxLabel && utf8.ValidString(name) {
		return name
	}
	valid := strings.ToValidUTF8(name, "\uFFFD")
	if len(valid) > maxLabel {
		cut := maxLabel
		for cut > 0 && !utf8.RuneStart(valid[cut]) {
			cut--
		}
		valid = valid[:cut]
	}
	sum := fnv.New32a()
	sum.Write([]byte(name))
	return fmt.Sprintf("%s~%08x", valid, sum.Sum32())
}

func newAttrs(id component.ID) attrs {
	kv := attribute.String("processor", id.String())
	with := func(k, v string) metric.MeasurementOption {
		return metric.WithAttributeSet(attribute.NewSet(kv, attribute.String(k, v)))
	}
	return attrs{
		plain:         metric.WithAttributeSet(attribute.NewSet(kv)),
		kindService:   with("kind", heat.KindService),
		kindOperation: with("kind", heat.KindOperation),
		kindEdge:      with("kind", heat.KindEdge),
		kindStore:     with("kind", "edge_store"),
		viaBatch:      with("resolution", "batch"),
		viaStore:      with("resolution", "store"),
		viaVirtual:    with("resolution", "virtual"),
		sideCaller:    with("side", "caller"),
		sideCallee:    with("side", "callee"),
		id:            kv,
	}
}

// observe reports the tracker's counters and the per-service heat, so a
// Prometheus scrape of the collector shows the heat map as metrics.
func (p *heatmapProcessor) observe(_ context.Context, o metric.Observer) error {
	t, a := p.telemetry, &p.attrs
	c := p.tracker.Counters()
	o.ObserveInt64(t.Spans, c.Spans, a.plain)
	o.ObserveInt64(t.Errors, c.Errors, a.plain)
	o.ObserveInt64(t.Overflow, c.ServiceOverflows, a.kindService)
	o.ObserveInt64(t.Overflow, c.OperationOverflows, a.kindOperation)
	o.ObserveInt64(t.Overflow, c.EdgeOverflows, a.kindEdge)
	o.ObserveInt64(t.Edges, c.EdgesInBatch, a.viaBatch)
	o.ObserveInt64(t.Edges, c.EdgesAcross, a.viaStore)
	o.ObserveInt64(t.Edges, c.VirtualEdges, a.viaVirtual)
	o.ObserveInt64(t.EdgeExpired, c.ExpiredCallers, a.sideCaller)
	o.ObserveInt64(t.EdgeExpired, c.ExpiredCallees, a.sideCallee)
	o.ObserveInt64(t.EdgeRefused, c.EdgeStoreRefused, a.plain)

	k := p.tracker.Keys()
	o.ObserveInt64(t.Keys, int64(k.Services), a.kindService)
	o.ObserveInt64(t.Keys, int64(k.Operations), a.kindOperation)
	o.ObserveInt64(t.Keys, int64(k.Edges), a.kindEdge)
	o.ObserveInt64(t.Keys, int64(k.EdgeStore), a.kindStore)

	p.tracker.ServiceStats(func(name string, st heat.Stats, hot bool) {
		svc := a.service(name)
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
	p.tracker.ServiceTotals(func(name string, spans, errors int64) {
		svc := a.service(name)
		o.ObserveInt64(t.ServiceSpansTotal, spans, svc)
		o.ObserveInt64(t.ServiceErrorsTotal, errors, svc)
	})
	return nil
}
