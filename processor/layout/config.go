package layout

import (
	"time"

	"github.com/tracemap/tracemap/internal/confcheck"
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
	var p confcheck.Problems
	confcheck.NotNegative(&p, "wait", c.Wait)
	confcheck.AtLeast(&p, "max_traces", c.MaxTraces, 1)
	confcheck.AtLeast(&p, "max_spans_per_trace", c.MaxSpansPerTrace, 1)
	if c.MaxSpans < c.MaxSpansPerTrace {
		p.Addf("max_spans", "must be at least max_spans_per_trace (%d), got %d", c.MaxSpansPerTrace, c.MaxSpans)
	}
	confcheck.AtLeast(&p, "max_dag_nodes", c.MaxDAGNodes, 1)
	if c.Nodes != NodesService && c.Nodes != NodesOperation {
		p.Addf("nodes", "must be %q or %q, got %q", NodesService, NodesOperation, c.Nodes)
	}
	return p.Err()
}

func (c *Config) dagOptions() servicedag.Options {
	return servicedag.Options{Operations: c.Nodes == NodesOperation}
}
