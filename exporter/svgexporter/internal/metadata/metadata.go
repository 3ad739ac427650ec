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
	var t Telemetry
	var err, e error
	t.TracesRendered, e = m.Int64Counter("tracemap.svg.traces.rendered",
		metric.WithDescription("Trace pictures written to the bucket."), metric.WithUnit("{trace}"))
	err = errors.Join(err, e)
	t.TracesSkipped, e = m.Int64Counter("tracemap.svg.traces.skipped",
		metric.WithDescription("Traces not rendered because the render filter left them out."), metric.WithUnit("{trace}"))
	err = errors.Join(err, e)
	t.BytesWritten, e = m.Int64Counter("tracemap.svg.bytes.written",
		metric.WithDescription("Bytes of objects written to the bucket (after compression), by kind."), metric.WithUnit("By"))
	err = errors.Join(err, e)
	t.RenderDuration, e = m.Float64Histogram("tracemap.svg.render.duration",
		metric.WithDescription("Time to draw one picture."), metric.WithUnit("ms"),
		metric.WithExplicitBucketBoundaries(0.1, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000))
	err = errors.Join(err, e)
	t.WriteErrors, e = m.Int64Counter("tracemap.svg.write.errors",
		metric.WithDescription("Failed object writes, by kind; trace writes are retried by the exporter helper."), metric.WithUnit("{error}"))
	err = errors.Join(err, e)
	t.ServiceMapsWritten, e = m.Int64Counter("tracemap.svg.service_maps.written",
		metric.WithDescription("Service-map windows written to the bucket."), metric.WithUnit("{map}"))
	err = errors.Join(err, e)
	t.WindowDropped, e = m.Int64Counter("tracemap.svg.window.dropped",
		metric.WithDescription("Services or edges left out of a service map because the window is full."), metric.WithUnit("{item}"))
	err = errors.Join(err, e)
	return &t, err
}
