package heatmap

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"sync"
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
	id        component.ID
	cfg       *Config
	logger    *zap.Logger
	tracker   *heat.Tracker
	telemetry *metadata.TelemetryBuilder
	attrs     attrs
	// unread warns once when service_attributes: hot leaves values for an
	// annotate stage that does not exist. Checked at the first batch: by
	// then every stage of the collector has started.
	unread sync.Once
}

func newProcessor(set processor.Settings, cfg *Config) (*heatmapProcessor, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	p := &heatmapProcessor{
		id:        set.ID,
		cfg:       cfg,
		logger:    set.Logger,
		tracker:   heat.NewTracker(cfg.Config, nil),
		telemetry: tel,
		attrs:     newAttrs(set.ID),
	}
	p.tracker.SetOverflowHandler(p.logOverflow)
	register(set.ID, p.tracker)
	return p, nil
}

// processTraces counts the batch, then writes the window's values (this
// batch included) onto it and passes it on. It never fails.
func (p *heatmapProcessor) processTraces(_ context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	switch {
	case p.cfg.SpanAttributes:
		p.tracker.Annotate(td)
	case p.cfg.ServiceAttributes == ServiceAttributesHot:
		p.unread.Do(p.warnIfUnread)
		p.tracker.AnnotateHot(td)
	default:
		p.tracker.AnnotateResources(td)
	}
	return td, nil
}

func (p *heatmapProcessor) start(context.Context, component.Host) error {
	return p.registerCallbacks()
}

// shutdown may run twice, or without start.
func (p *heatmapProcessor) shutdown(context.Context) error {
	unregister(p.id, p.tracker)
	p.telemetry.Shutdown()
	p.tracker.Close()
	return nil
}

// annotateStage is a heatmap stage with mode annotate: after sampling, it
// writes the per-span values from the window of its source stage.
type annotateStage struct {
	source  component.ID
	tracker *heat.Tracker
}

func (a *annotateStage) start(context.Context, component.Host) error {
	t, err := lookup(a.source)
	if err != nil {
		return err
	}
	a.tracker = t
	return nil
}

func (a *annotateStage) processTraces(_ context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	a.tracker.AnnotateSpans(td)
	return td, nil
}

func (p *heatmapProcessor) warnIfUnread() {
	if isRead(p.tracker) {
		return
	}
	p.logger.Warn("service_attributes: hot writes only "+heat.AttrServiceHot+
		" here, and no heatmap stage with mode annotate reads this stage's window to write the other tracemap.service.* values after sampling:"+
		" add one (mode: annotate, source: "+p.id.String()+") after the sampler, or set service_attributes: all",
		zap.String("processor", p.id.String()))
}

// logOverflow is called once per kind, the first time a cap is reached.
func (p *heatmapProcessor) logOverflow(kind, key string) {
	limit := map[string]int{
		heat.KindService:   p.cfg.MaxServices,
		heat.KindOperation: p.cfg.MaxOperations,
		heat.KindEdge:      p.cfg.MaxEdges,
	}[kind]
	p.logger.Warn("heatmap cap reached; this and further new keys are counted under "+heat.OverflowKey+
		" (logged once; see otelcol_processor_heatmap_overflow)",
		zap.String("kind", kind), zap.String("first_key", key), zap.Int("cap", limit))
}

// attrs are the attribute sets of one processor instance's observations;
// every set carries the component ID, as the collector's own processor
// metrics do, so two heatmap instances report apart.
type attrs struct {
	plain, kindService, kindOperation, kindEdge, kindStore, kindWaiting,
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
		kindWaiting:   with("kind", "waiting"),
		viaBatch:      with("resolution", "batch"),
		viaStore:      with("resolution", "store"),
		viaVirtual:    with("resolution", "virtual"),
		sideCaller:    with("side", "caller"),
		sideCallee:    with("side", "callee"),
		id:            kv,
	}
}

// registerCallbacks reports the tracker's counters and the per-service
// heat through the component's instruments, so a Prometheus scrape of the
// collector shows the heat map as metrics.
func (p *heatmapProcessor) registerCallbacks() error {
	t, a, tr := p.telemetry, &p.attrs, p.tracker
	counters := func(fn func(heat.Counters, metric.Int64Observer)) metric.Int64Callback {
		return func(_ context.Context, o metric.Int64Observer) error {
			fn(tr.Counters(), o)
			return nil
		}
	}
	perService := func(fn func(st heat.Stats, hot bool, svc metric.ObserveOption)) func() {
		return func() {
			tr.ServiceStats(func(name string, st heat.Stats, hot bool) { fn(st, hot, a.service(name)) })
		}
	}
	intService := func(fn func(st heat.Stats, hot bool) int64) metric.Int64Callback {
		return func(_ context.Context, o metric.Int64Observer) error {
			perService(func(st heat.Stats, hot bool, svc metric.ObserveOption) { o.Observe(fn(st, hot), svc) })()
			return nil
		}
	}
	floatService := func(fn func(st heat.Stats) float64) metric.Float64Callback {
		return func(_ context.Context, o metric.Float64Observer) error {
			perService(func(st heat.Stats, _ bool, svc metric.ObserveOption) { o.Observe(fn(st), svc) })()
			return nil
		}
	}
	totals := func(errorsOnly bool) metric.Int64Callback {
		return func(_ context.Context, o metric.Int64Observer) error {
			tr.ServiceTotals(func(name string, spans, errors int64) {
				if errorsOnly {
					spans = errors
				}
				o.Observe(spans, a.service(name))
			})
			return nil
		}
	}
	return errors.Join(
		t.RegisterProcessorHeatmapSpansCallback(counters(func(c heat.Counters, o metric.Int64Observer) { o.Observe(c.Spans, a.plain) })),
		t.RegisterProcessorHeatmapErrorsCallback(counters(func(c heat.Counters, o metric.Int64Observer) { o.Observe(c.Errors, a.plain) })),
		t.RegisterProcessorHeatmapOverflowCallback(counters(func(c heat.Counters, o metric.Int64Observer) {
			o.Observe(c.ServiceOverflows, a.kindService)
			o.Observe(c.OperationOverflows, a.kindOperation)
			o.Observe(c.EdgeOverflows, a.kindEdge)
		})),
		t.RegisterProcessorHeatmapEdgesCallback(counters(func(c heat.Counters, o metric.Int64Observer) {
			o.Observe(c.EdgesInBatch, a.viaBatch)
			o.Observe(c.EdgesAcross, a.viaStore)
			o.Observe(c.VirtualEdges, a.viaVirtual)
		})),
		t.RegisterProcessorHeatmapEdgeCandidatesExpiredCallback(counters(func(c heat.Counters, o metric.Int64Observer) {
			o.Observe(c.ExpiredCallers, a.sideCaller)
			o.Observe(c.ExpiredCallees, a.sideCallee)
		})),
		t.RegisterProcessorHeatmapEdgeStoreRefusedCallback(counters(func(c heat.Counters, o metric.Int64Observer) { o.Observe(c.EdgeStoreRefused, a.plain) })),
		t.RegisterProcessorHeatmapKeysCallback(func(_ context.Context, o metric.Int64Observer) error {
			k := tr.Keys()
			o.Observe(int64(k.Services), a.kindService)
			o.Observe(int64(k.Operations), a.kindOperation)
			o.Observe(int64(k.Edges), a.kindEdge)
			o.Observe(int64(k.EdgeStore), a.kindStore)
			o.Observe(int64(k.Waiting), a.kindWaiting)
			return nil
		}),
		t.RegisterProcessorHeatmapServiceWindowSpansCallback(intService(func(st heat.Stats, _ bool) int64 { return st.Spans })),
		t.RegisterProcessorHeatmapServiceWindowErrorsCallback(intService(func(st heat.Stats, _ bool) int64 { return st.Errors })),
		t.RegisterProcessorHeatmapServiceErrorRateCallback(floatService(func(st heat.Stats) float64 { return st.ErrorRate })),
		t.RegisterProcessorHeatmapServiceOwnErrorRateCallback(floatService(func(st heat.Stats) float64 { return st.OwnErrorRate })),
		t.RegisterProcessorHeatmapServiceLatencyP99Callback(floatService(func(st heat.Stats) float64 { return math.Round(st.P99Ms*1e6) / 1e9 })),
		t.RegisterProcessorHeatmapServiceHotCallback(intService(func(_ heat.Stats, hot bool) int64 {
			if hot {
				return 1
			}
			return 0
		})),
		t.RegisterProcessorHeatmapServiceSpansCallback(totals(false)),
		t.RegisterProcessorHeatmapServiceErrorsCallback(totals(true)),
	)
}
