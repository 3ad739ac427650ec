// Package metadata holds the svg exporter's type, stability and own
// telemetry instruments (written by hand: mdatagen is not available here).
package metadata

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

var (
	Type      = component.MustNewType("svg")
	ScopeName = "github.com/tracemap/tracemap/exporter/svgexporter"
)

const TracesStability = component.StabilityLevelAlpha

// Telemetry is the exporter's own instruments.
type Telemetry struct {
	// TracesRendered counts trace pictures written to the bucket.
	TracesRendered metric.Int64Counter
	// TracesSkipped counts traces the render filter left out.
	TracesSkipped metric.Int64Counter
	// BytesWritten counts object bytes as stored (after gzip), by kind.
	BytesWritten metric.Int64Counter
	// RenderDuration is the time spent drawing one picture.
	RenderDuration metric.Float64Histogram
	// WriteErrors counts failed object writes, by kind.
	WriteErrors metric.Int64Counter
	// ServiceMapsWritten counts service-map windows written.
	ServiceMapsWritten metric.Int64Counter
	// WindowDropped counts services or edges left out of a service map
	// because the window reached its size bound.
	WindowDropped metric.Int64Counter
}

// NewTelemetry creates the instruments on the component's meter.
func NewTelemetry(set component.TelemetrySettings) (*Telemetry, error) {
	m := set.MeterProvider.Meter(ScopeName)
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit(unit))
		errs = append(errs, err)
		return c
	}
	t := Telemetry{
		TracesRendered:     counter("tracemap.svg.traces.rendered", "{trace}", "Trace pictures written to the bucket."),
		TracesSkipped:      counter("tracemap.svg.traces.skipped", "{trace}", "Traces not drawn or not stored, by reason (filter, render_error, fragment)."),
		BytesWritten:       counter("tracemap.svg.bytes.written", "By", "Bytes of objects written to the bucket (after compression), by kind."),
		WriteErrors:        counter("tracemap.svg.write.errors", "{error}", "Failed object writes, by kind; trace writes are retried by the exporter helper."),
		ServiceMapsWritten: counter("tracemap.svg.service_maps.written", "{map}", "Service-map windows written to the bucket."),
		WindowDropped:      counter("tracemap.svg.window.dropped", "{item}", "Services or edges left out of a service map because the window is full, and maps dropped after repeated write failures."),
	}
	var err error
	t.RenderDuration, err = m.Float64Histogram("tracemap.svg.render.duration",
		metric.WithDescription("Time to draw one picture, by kind."), metric.WithUnit("ms"),
		metric.WithExplicitBucketBoundaries(0.1, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000))
	return &t, errors.Join(append(errs, err)...)
}
