// Package metadata holds the layout processor's component type, stability
// and its own telemetry instruments (written by hand: mdatagen is not
// available here).
package metadata

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// Type is the component type used in collector configs.
var Type = component.MustNewType("layout")

const (
	// ScopeName names the meter of the processor's telemetry.
	ScopeName = "github.com/tracemap/tracemap/processor/layout"
	// TracesStability is the stability of the traces pipeline.
	TracesStability = component.StabilityLevelAlpha
)

// Telemetry is the processor's own instruments.
type Telemetry struct {
	Traces             metric.Int64Counter     // traces laid out
	Spans              metric.Int64Counter     // spans annotated
	IncompleteReleases metric.Int64Counter     // held traces released before `wait` ran out
	LateSpans          metric.Int64Counter     // spans of traces already released
	OversizedTraces    metric.Int64Counter     // traces above max_spans_per_trace, passed on unannotated
	ReleaseErrors      metric.Int64Counter     // held spans the next consumer refused
	DAGsSkipped        metric.Int64Counter     // traces whose DAG exceeded max_dag_nodes
	LayoutTime         metric.Float64Histogram // seconds per trace
	HeldTraces         metric.Int64ObservableGauge
	HeldSpans          metric.Int64ObservableGauge

	reg metric.Registration
}

// NewTelemetry creates the instruments. held reports the traces and spans
// waiting in the processor when the meter is collected; nil means none.
func NewTelemetry(set component.TelemetrySettings, held func() (traces, spans int)) (*Telemetry, error) {
	m := set.MeterProvider.Meter(ScopeName)
	t := &Telemetry{}
	var errs, err error
	counter := func(name, desc, unit string) metric.Int64Counter {
		var c metric.Int64Counter
		c, err = m.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit(unit))
		errs = errors.Join(errs, err)
		return c
	}
	t.Traces = counter("tracemap_layout_traces", "Traces laid out.", "{traces}")
	t.Spans = counter("tracemap_layout_spans", "Spans annotated with layout attributes.", "{spans}")
	t.IncompleteReleases = counter("tracemap_layout_incomplete_releases", "Held traces released before wait ran out (max_traces, max_spans, max_spans_per_trace or shutdown).", "{traces}")
	t.LateSpans = counter("tracemap_layout_late_spans", "Spans that arrived after their trace was released.", "{spans}")
	t.OversizedTraces = counter("tracemap_layout_oversized_traces", "Traces above max_spans_per_trace in one batch, passed on without layout attributes.", "{traces}")
	t.DAGsSkipped = counter("tracemap_layout_dags_skipped", "Traces whose service DAG had more than max_dag_nodes nodes and got no tracemap.dag.", "{traces}")
	t.ReleaseErrors = counter("tracemap_layout_release_errors", "Spans of released traces that the next consumer refused.", "{spans}")
	t.LayoutTime, err = m.Float64Histogram("tracemap_layout_time",
		metric.WithDescription("Time to lay out one trace (tree, skew, critical path, service DAG)."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3))
	errs = errors.Join(errs, err)
	t.HeldTraces, err = m.Int64ObservableGauge("tracemap_layout_held_traces", metric.WithDescription("Traces waiting for more spans."), metric.WithUnit("{traces}"))
	errs = errors.Join(errs, err)
	t.HeldSpans, err = m.Int64ObservableGauge("tracemap_layout_held_spans", metric.WithDescription("Spans waiting with their traces."), metric.WithUnit("{spans}"))
	errs = errors.Join(errs, err)
	if errs != nil {
		return nil, errs
	}
	if held != nil {
		t.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
			traces, spans := held()
			o.ObserveInt64(t.HeldTraces, int64(traces))
			o.ObserveInt64(t.HeldSpans, int64(spans))
			return nil
		}, t.HeldTraces, t.HeldSpans)
		if err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Shutdown unregisters the gauge callback.
func (t *Telemetry) Shutdown() error {
	if t.reg == nil {
		return nil
	}
	return t.reg.Unregister()
}
