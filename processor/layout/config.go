package layout

import (
	"errors"
	"fmt"
	"time"

	"github.com/tracemap/tracemap/internal/servicedag"
)

// Node granularities of the service DAG.
const (
	NodesService   = "service"
	NodesOperation = "operation"
)

// Config is the layout processor's configuration.
type Config struct {
	// Wait holds each trace this long after its first span, so that spans
	// arriving in later batches are laid out with it. 0 lays out each batch
	// as it comes (right after tail_sampling, traces arrive whole).
	Wait time.Duration `mapstructure:"wait"`
	// MaxTraces bounds the traces held (wait > 0) and the remembered
	// released traces; the oldest is released early when it is reached.
	MaxTraces int `mapstructure:"max_traces"`
	// MaxSpansPerTrace bounds one trace: a held trace is released when it
	// reaches it, and a trace larger than this within one batch is passed
	// on without layout attributes.
	MaxSpansPerTrace int `mapstructure:"max_spans_per_trace"`
	// MaxSpans bounds the spans held over all traces (wait > 0).
	MaxSpans int `mapstructure:"max_spans"`
	// Nodes is the node of the service DAG: "service" or "operation"
	// (service + span name).
	Nodes string `mapstructure:"nodes"`
	// MaxDAGNodes bounds the service DAG written to the root span: a trace
	// whose DAG has more nodes (e.g. per-operation nodes of unbounded span
	// names) gets no tracemap.dag, so layout time and attribute size stay
	// bounded. The span attributes are written regardless.
	MaxDAGNodes int `mapstructure:"max_dag_nodes"`
}

func createDefaultConfig() *Config {
	return &Config{
		MaxTraces:        10_000,
		MaxSpansPerTrace: 100_000,
		MaxSpans:         1_000_000,
		Nodes:            NodesService,
		MaxDAGNodes:      1000,
	}
}

// Validate checks the configuration; every error names its key.
func (c *Config) Validate() error {
	var errs []error
	if c.Wait < 0 {
		errs = append(errs, fmt.Errorf("wait: must not be negative, got %v", c.Wait))
	}
	if c.MaxTraces < 1 {
		errs = append(errs, fmt.Errorf("max_traces: must be at least 1, got %d", c.MaxTraces))
	}
	if c.MaxSpansPerTrace < 1 {
		errs = append(errs, fmt.Errorf("max_spans_per_trace: must be at least 1, got %d", c.MaxSpansPerTrace))
	}
	if c.MaxSpans < c.MaxSpansPerTrace {
		errs = append(errs, fmt.Errorf("max_spans: must be at least max_spans_per_trace (%d), got %d", c.MaxSpansPerTrace, c.MaxSpans))
	}
	if c.MaxDAGNodes < 1 {
		errs = append(errs, fmt.Errorf("max_dag_nodes: must be at least 1, got %d", c.MaxDAGNodes))
	}
	if c.Nodes != NodesService && c.Nodes != NodesOperation {
		errs = append(errs, fmt.Errorf("nodes: must be %q or %q, got %q", NodesService, NodesOperation, c.Nodes))
	}
	return errors.Join(errs...)
}

func (c *Config) dagOptions() servicedag.Options {
	return servicedag.Options{Operations: c.Nodes == NodesOperation}
}
