// Package metadata holds the ebpf receiver's type, stability and own
// telemetry instruments (written by hand: mdatagen is not available here).
package metadata

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

var (
	// Type is the receiver's component type.
	Type = component.MustNewType("ebpf")
	// ScopeName is the instrumentation scope of the receiver's telemetry and spans.
	ScopeName = "github.com/tracemap/tracemap/receiver/ebpfreceiver"
)

// TracesStability is the stability of the traces signal.
const TracesStability = component.StabilityLevelAlpha

// Telemetry are the receiver's own instruments.
type Telemetry struct {
	// Spans counts spans built from kernel events.
	Spans metric.Int64Counter
	// LostEvents counts events the BPF programs dropped because the ring buffer was full.
	LostEvents metric.Int64Counter
	// AttachedProcesses is the number of processes probed now.
	AttachedProcesses metric.Int64UpDownCounter
	// AttachErrors counts processes that matched but could not be probed.
	AttachErrors metric.Int64Counter
	// DroppedSpans counts spans the next consumer refused, and spans of a
	// process already detached.
	DroppedSpans metric.Int64Counter
}

// NewTelemetry creates the instruments on the collector's meter provider.
func NewTelemetry(settings component.TelemetrySettings) (*Telemetry, error) {
	m := settings.MeterProvider.Meter(ScopeName)
	var t Telemetry
	var err, e error
	t.Spans, e = m.Int64Counter("tracemap_ebpf_spans", metric.WithDescription("Spans built from kernel events."), metric.WithUnit("{span}"))
	err = firstErr(err, e)
	t.LostEvents, e = m.Int64Counter("tracemap_ebpf_lost_events", metric.WithDescription("Events dropped in the kernel because the ring buffer was full."), metric.WithUnit("{event}"))
	err = firstErr(err, e)
	t.AttachedProcesses, e = m.Int64UpDownCounter("tracemap_ebpf_attached_processes", metric.WithDescription("Processes with probes attached."), metric.WithUnit("{process}"))
	err = firstErr(err, e)
	t.AttachErrors, e = m.Int64Counter("tracemap_ebpf_attach_errors", metric.WithDescription("Matching processes that could not be probed."), metric.WithUnit("{process}"))
	err = firstErr(err, e)
	t.DroppedSpans, e = m.Int64Counter("tracemap_ebpf_dropped_spans", metric.WithDescription("Spans refused by the next consumer or of a process already detached."), metric.WithUnit("{span}"))
	err = firstErr(err, e)
	return &t, err
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
