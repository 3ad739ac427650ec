// Package metadata holds the heatmap processor's component metadata and its
// own telemetry instruments (written by hand: mdatagen is not available).
package metadata

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

var Type = component.MustNewType("heatmap")

const (
	ScopeName       = "github.com/tracemap/tracemap/processor/heatmap"
	TracesStability = component.StabilityLevelAlpha
)

// Telemetry holds the processor's instruments. They are all observable: the
// values live in the heat tracker and are read by one callback per
// collection, so the hot path never touches a meter.
type Telemetry struct {
	meter metric.Meter
	reg   metric.Registration

	Spans         metric.Int64ObservableCounter
	Errors        metric.Int64ObservableCounter
	Overflow      metric.Int64ObservableCounter
	Edges         metric.Int64ObservableCounter
	EdgeExpired   metric.Int64ObservableCounter
	EdgeRefused   metric.Int64ObservableCounter
	Keys          metric.Int64ObservableGauge
	ServiceSpans  metric.Int64ObservableGauge
	ServiceErrors metric.Int64ObservableGauge
	ServiceRate   metric.Float64ObservableGauge
	ServiceP99    metric.Float64ObservableGauge
	ServiceHot    metric.Int64ObservableGauge
	// Monotonic per service, since start: rate() and sums across gateways.
	ServiceSpansTotal  metric.Int64ObservableCounter
	ServiceErrorsTotal metric.Int64ObservableCounter
}

// NewTelemetry creates the instruments on set's MeterProvider.
func NewTelemetry(set component.TelemetrySettings) (*Telemetry, error) {
	m := set.MeterProvider.Meter(ScopeName)
	t := &Telemetry{meter: m}
	var errs, err error
	t.Spans, err = m.Int64ObservableCounter("tracemap_heatmap_spans",
		metric.WithDescription("Spans counted by the heatmap processor."), metric.WithUnit("{span}"))
	errs = errors.Join(errs, err)
	t.Errors, err = m.Int64ObservableCounter("tracemap_heatmap_errors",
		metric.WithDescription("Counted spans classified as errors."), metric.WithUnit("{span}"))
	errs = errors.Join(errs, err)
	t.Overflow, err = m.Int64ObservableCounter("tracemap_heatmap_overflow",
		metric.WithDescription("Lookups of keys beyond a cap, counted under tracemap.overflow instead, by kind (services per ResourceSpans, operations and edges per span)."), metric.WithUnit("{key}"))
	errs = errors.Join(errs, err)
	t.Edges, err = m.Int64ObservableCounter("tracemap_heatmap_edges",
		metric.WithDescription("Caller -> callee calls resolved, by resolution (batch, store, virtual)."), metric.WithUnit("{call}"))
	errs = errors.Join(errs, err)
	t.EdgeExpired, err = m.Int64ObservableCounter("tracemap_heatmap_edge_candidates_expired",
		metric.WithDescription("Edge candidates that expired from the edge store unmatched, by side (caller, callee)."), metric.WithUnit("{span}"))
	errs = errors.Join(errs, err)
	t.EdgeRefused, err = m.Int64ObservableCounter("tracemap_heatmap_edge_store_refused",
		metric.WithDescription("Edge candidates not stored because the edge store was full or the key taken."), metric.WithUnit("{span}"))
	errs = errors.Join(errs, err)
	t.Keys, err = m.Int64ObservableGauge("tracemap_heatmap_keys",
		metric.WithDescription("Tracked keys by kind (service, operation, edge) and stored edge candidates (edge_store)."), metric.WithUnit("{key}"))
	errs = errors.Join(errs, err)
	t.ServiceSpans, err = m.Int64ObservableGauge("tracemap_heatmap_service_spans",
		metric.WithDescription("Spans of the service in the current window."), metric.WithUnit("{span}"))
	errs = errors.Join(errs, err)
	t.ServiceErrors, err = m.Int64ObservableGauge("tracemap_heatmap_service_errors",
		metric.WithDescription("Error spans of the service in the current window."), metric.WithUnit("{span}"))
	errs = errors.Join(errs, err)
	t.ServiceRate, err = m.Float64ObservableGauge("tracemap_heatmap_service_error_rate",
		metric.WithDescription("Error rate (0..1) of the service in the current window."), metric.WithUnit("1"))
	errs = errors.Join(errs, err)
	t.ServiceP99, err = m.Float64ObservableGauge("tracemap_heatmap_service_latency_p99",
		metric.WithDescription("99th percentile span duration of the service in the current window."), metric.WithUnit("ms"))
	errs = errors.Join(errs, err)
	t.ServiceHot, err = m.Int64ObservableGauge("tracemap_heatmap_service_hot",
		metric.WithDescription("1 when the service is hot (error rate >= threshold with at least min_spans spans), else 0."), metric.WithUnit("1"))
	errs = errors.Join(errs, err)
	t.ServiceSpansTotal, err = m.Int64ObservableCounter("tracemap_heatmap_service_spans_total",
		metric.WithDescription("Spans of the service counted since start (bounded like max_services; beyond, under tracemap.overflow)."), metric.WithUnit("{span}"))
	errs = errors.Join(errs, err)
	t.ServiceErrorsTotal, err = m.Int64ObservableCounter("tracemap_heatmap_service_errors_total",
		metric.WithDescription("Error spans of the service counted since start."), metric.WithUnit("{span}"))
	errs = errors.Join(errs, err)
	if errs != nil {
		return nil, errs
	}
	return t, nil
}

// RegisterCallback registers cb for every instrument; Shutdown undoes it.
func (t *Telemetry) RegisterCallback(cb metric.Callback) error {
	reg, err := t.meter.RegisterCallback(cb,
		t.Spans, t.Errors, t.Overflow, t.Edges, t.EdgeExpired, t.EdgeRefused, t.Keys,
		t.ServiceSpans, t.ServiceErrors, t.ServiceRate, t.ServiceP99, t.ServiceHot,
		t.ServiceSpansTotal, t.ServiceErrorsTotal)
	if err != nil {
		return err
	}
	t.reg = reg
	return nil
}

// Shutdown unregisters the callback.
func (t *Telemetry) Shutdown() error {
	if t.reg == nil {
		return nil
	}
	err := t.reg.Unregister()
	t.reg = nil
	return err
}
