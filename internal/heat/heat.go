// Package heat keeps sliding-window span statistics (counts, errors, own
// errors and an HdrHistogram of durations) per service, per operation and
// per caller -> callee edge, and holds tracemap's rules on them: what an
// edge is, when a call failed (IsFailedCall), where a failure starts
// (IsOwnError) and when a service is hot (HotRule).
//
// A Tracker counts whole batches (Observe; Annotate and AnnotateResources
// also write the tracemap.* values) and writes the per-span values on
// batches it already counted, after sampling (AnnotateSpans). The window is
// kept as Buckets sub-buckets of Window/Buckets each, on the tracker's clock
// (arrival time, not span time). Every operation and edge keeps one
// HdrHistogram per sub-bucket plus a running window histogram; a service
// keeps only the window histogram, since its operations partition its
// spans. Rotating a sub-bucket rebuilds each window histogram by merging
// what is left (the other sub-buckets', or for a service its operations'
// windows): a few merges per key every Window/Buckets, with no allocation.
// Parents and children in different batches meet in the edge store, which
// remembers every counted span for between edge_store.ttl and twice that.
package heat

import (
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/tracemap/tracemap/internal/confcheck"
	"github.com/tracemap/tracemap/internal/spantree"
)

// Stats is the current window's view of one key.
type Stats struct {
	Spans     int64
	Errors    int64
	ErrorRate float64 // Errors / Spans, 0 when Spans is 0
	// OwnErrors counts the errors that start here (see IsOwnError); for an
	// edge, the calls whose failure started in the callee.
	OwnErrors    int64
	OwnErrorRate float64 // OwnErrors / Spans, 0 when Spans is 0
	P50Ms        float64
	P90Ms        float64
	P99Ms        float64
	// Overflow: the key is counted in the OverflowKey bucket (a cap was
	// reached); it has no statistics of its own and is never hot.
	Overflow bool
}

// EdgeKey names a caller-service -> callee-service edge. A Callee that is not
// among Tracker.Services() is an uninstrumented peer (a virtual node), known
// only from the peer attributes of client spans.
type EdgeKey struct {
	Caller string
	Callee string
}

// OverflowKey receives every service, operation or edge beyond the configured
// caps, so memory stays bounded while the totals stay right.
const OverflowKey = "tracemap.overflow"

// UnknownService names spans whose resource has no service.name; the
// same name everywhere in tracemap, as OpenTelemetry SDKs use it.
const UnknownService = spantree.UnknownService

// Config sets the window, the histograms, the caps and the error rules. The
// mapstructure tags let components embed it with `mapstructure:",squash"`.
type Config struct {
	// Window is the length of the sliding window.
	Window time.Duration `mapstructure:"window"`
	// Buckets is the number of sub-buckets the window rotates through.
	Buckets int `mapstructure:"buckets"`
	// Threshold is the error rate (0..1) at or above which a service is hot.
	Threshold float64 `mapstructure:"threshold"`
	// MinSpans is the number of spans a service needs in the window before
	// it can be hot.
	MinSpans int64 `mapstructure:"min_spans"`
	// HotBy selects the error rate Threshold applies to: own_errors
	// (default) or errors.
	HotBy HotBy `mapstructure:"hot_by"`

	Histogram HistogramConfig `mapstructure:"histogram"`
	Errors    ErrorConfig     `mapstructure:"errors"`
	EdgeStore EdgeStoreConfig `mapstructure:"edge_store"`

	// Caps on tracked keys; what does not fit goes to OverflowKey.
	MaxServices   int `mapstructure:"max_services"`
	MaxOperations int `mapstructure:"max_operations"`
	MaxEdges      int `mapstructure:"max_edges"`
}

// HistogramConfig bounds the duration histograms. Durations are recorded in
// nanoseconds; Lowest sets the resolution, values above Highest are clamped.
type HistogramConfig struct {
	Lowest             time.Duration `mapstructure:"lowest"`
	Highest            time.Duration `mapstructure:"highest"`
	SignificantFigures int           `mapstructure:"significant_figures"`
}

// ErrorConfig adds error rules on top of span status ERROR, which always
// counts.
type ErrorConfig struct {
	// HTTPServer5xx counts SERVER spans with http.response.status_code >= 500.
	HTTPServer5xx bool `mapstructure:"http_server_5xx"`
	// HTTPClient4xx counts CLIENT spans with http.response.status_code >= 400.
	HTTPClient4xx bool `mapstructure:"http_client_4xx"`
	// GRPCCodes lists gRPC status names (e.g. UNAVAILABLE) that count as
	// errors when found in rpc.grpc.status_code.
	GRPCCodes []string `mapstructure:"grpc_codes"`
}

// EdgeStoreConfig bounds the store that pairs a parent span and its child
// span when they arrive in different batches: every counted span is
// remembered for between TTL and 2×TTL, at most MaxItems spans per TTL.
type EdgeStoreConfig struct {
	TTL      time.Duration `mapstructure:"ttl"`
	MaxItems int           `mapstructure:"max_items"`
}

// maxHistogramBytes bounds one histogram (3 significant figures over 1µs..1h
// take about 200 KiB).
const maxHistogramBytes = 256 << 10

// DefaultConfig returns the defaults documented in the heatmap README.
func DefaultConfig() Config {
	return Config{
		Window:    60 * time.Second,
		Buckets:   6,
		Threshold: 0.05,
		MinSpans:  10,
		HotBy:     HotByOwnErrors,
		Histogram: HistogramConfig{
			Lowest:             time.Microsecond,
			Highest:            time.Hour,
			SignificantFigures: 2,
		},
		EdgeStore: EdgeStoreConfig{
			TTL:      2 * time.Second,
			MaxItems: 250000, // 125k spans/s at the default ttl
		},
		MaxServices:   200,
		MaxOperations: 500,
		MaxEdges:      500,
	}
}

// HotRule is the hot verdict this configuration asks for.
func (c *Config) HotRule() HotRule {
	return HotRule{Threshold: c.Threshold, MinSpans: c.MinSpans, By: c.HotBy}
}

// Check reports every invalid setting, joined; each message starts with
// the setting's key path from the root of this configuration, `::`-separated
// (e.g. `edge_store::ttl: must be positive, got 0s`), so a component that
// nests it under a key only prefixes each one. It is not named Validate so
// that the collector's config walk does not report each problem a second
// time, under its own key format: the component's Validate calls it.
func (c *Config) Check() error {
	var p confcheck.Problems
	confcheck.Positive(&p, "window", c.Window)
	if c.Buckets < 1 {
		confcheck.AtLeast(&p, "buckets", c.Buckets, 1)
	} else if c.Window > 0 && c.Window/time.Duration(c.Buckets) <= 0 {
		p.Addf("buckets", "%d sub-buckets do not fit in a window of %s", c.Buckets, c.Window)
	}
	p.Add("threshold", CheckThreshold(c.Threshold))
	p.Add("hot_by", c.HotBy.Check())
	confcheck.NotNegative(&p, "min_spans", c.MinSpans)
	h := c.Histogram
	confcheck.AtLeast(&p, "histogram::lowest", h.Lowest, 1)
	if h.Highest < 2*h.Lowest {
		p.Addf("histogram::highest", "must be at least twice histogram::lowest (%s), got %s", h.Lowest, h.Highest)
	}
	if h.SignificantFigures < 1 || h.SignificantFigures > 5 {
		p.Addf("histogram::significant_figures", "must be within 1..5, got %d", h.SignificantFigures)
	} else if h.Lowest >= 1 && h.Highest >= 2*h.Lowest {
		// Every key holds up to buckets+1 histograms: keep each one small.
		if size := hdr.New(int64(h.Lowest), int64(h.Highest), h.SignificantFigures).ByteSize(); size > maxHistogramBytes {
			p.Addf("histogram::significant_figures", "%d significant figures over %s..%s take %d KiB per histogram, more than %d KiB: lower it or narrow the range",
				h.SignificantFigures, h.Lowest, h.Highest, size>>10, maxHistogramBytes>>10)
		}
	}
	for _, name := range c.Errors.GRPCCodes {
		if _, ok := grpcCode(name); !ok {
			p.Addf("errors::grpc_codes", "unknown gRPC status %q (want one of %s)", name, strings.Join(grpcCodeNames[:], ", "))
		}
	}
	confcheck.Positive(&p, "edge_store::ttl", c.EdgeStore.TTL)
	confcheck.AtLeast(&p, "edge_store::max_items", c.EdgeStore.MaxItems, 1)
	confcheck.AtLeast(&p, "max_services", c.MaxServices, 1)
	confcheck.AtLeast(&p, "max_operations", c.MaxOperations, 1)
	confcheck.AtLeast(&p, "max_edges", c.MaxEdges, 1)
	return p.Err()
}
