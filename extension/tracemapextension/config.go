package tracemapextension

import (
	"time"

	"go.opentelemetry.io/collector/config/confighttp"

	"github.com/tracemap/tracemap/internal/bucket"
	"github.com/tracemap/tracemap/internal/confcheck"
	"github.com/tracemap/tracemap/internal/heat"
)

// DefaultEndpoint is loopback only: the view shows service names and trace
// data, so exposing it is a decision the user makes in the config.
const DefaultEndpoint = "127.0.0.1:8787"

// Config is the tracemap extension's configuration.
type Config struct {
	// The collector's HTTP server settings: endpoint, tls, auth (any
	// authenticator extension, e.g. basicauth), cors, timeouts. A named
	// field, like zpages': embedded, its Unmarshal would be promoted and
	// decode nothing but its own keys.
	ServerConfig confighttp.ServerConfig `mapstructure:",squash"`

	// Bucket is the gocloud.dev/blob URL the svg exporter writes to.
	Bucket string `mapstructure:"bucket"`
	// PollInterval is how often the bucket is listed for new windows.
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// Windows is how many past windows the view keeps (the slider's range).
	Windows int `mapstructure:"windows"`
	// MaxTraceSpans bounds a trace loaded for a redraw; larger exemplars are
	// shown as their stored picture only.
	MaxTraceSpans int `mapstructure:"max_trace_spans"`
	// MaxTraceBytes bounds the stored trace data read for one redraw.
	MaxTraceBytes int64 `mapstructure:"max_trace_bytes"`
	// RenderTimeout bounds one page or picture drawn on request.
	RenderTimeout time.Duration `mapstructure:"render_timeout"`
	// MaxConcurrentRenders bounds the redraws running at once; further
	// requests wait (within render_timeout) instead of piling onto the CPU.
	MaxConcurrentRenders int `mapstructure:"max_concurrent_renders"`
	// MaxLiveClients bounds the open WebSocket connections.
	MaxLiveClients int `mapstructure:"max_live_clients"`
	// Hot is the verdict the service tables mark "hot" by; set it like the
	// heatmap processor's threshold, min_spans and hot_by.
	Hot HotConfig `mapstructure:"hot"`
}

// HotConfig is internal/heat's hot rule as configuration.
type HotConfig struct {
	Threshold float64    `mapstructure:"threshold"`
	MinSpans  int64      `mapstructure:"min_spans"`
	By        heat.HotBy `mapstructure:"by"`
}

func (h HotConfig) rule() heat.HotRule {
	return heat.HotRule{Threshold: h.Threshold, MinSpans: h.MinSpans, By: h.By}
}

func createDefaultConfig() *Config {
	srv := confighttp.NewDefaultServerConfig()
	srv.NetAddr.Endpoint = DefaultEndpoint
	return &Config{
		ServerConfig:         srv,
		Bucket:               "file://./out",
		PollInterval:         2 * time.Second,
		Windows:              60,
		MaxTraceSpans:        2_000_000,
		MaxTraceBytes:        256 << 20,
		RenderTimeout:        5 * time.Second,
		MaxConcurrentRenders: 2,
		MaxLiveClients:       64,
		Hot:                  HotConfig{Threshold: 0.05, MinSpans: 10, By: heat.HotByOwnErrors},
	}
}

// Validate checks the configuration; every message starts with its key.
func (c *Config) Validate() error {
	var p confcheck.Problems
	if c.ServerConfig.NetAddr.Endpoint == "" {
		p.Addf("endpoint", "must be set, e.g. %s", DefaultEndpoint)
	}
	if c.Bucket == "" {
		p.Addf("bucket", "must be set to the svg exporter's bucket URL")
	} else {
		_, err := bucket.Resolve(c.Bucket)
		p.Add("bucket", err)
	}
	confcheck.AtLeast(&p, "poll_interval", c.PollInterval, 100*time.Millisecond)
	confcheck.AtLeast(&p, "windows", c.Windows, 1)
	confcheck.AtLeast(&p, "max_trace_spans", c.MaxTraceSpans, 1)
	confcheck.AtLeast(&p, "max_trace_bytes", c.MaxTraceBytes, 1)
	confcheck.Positive(&p, "render_timeout", c.RenderTimeout)
	confcheck.AtLeast(&p, "max_concurrent_renders", c.MaxConcurrentRenders, 1)
	confcheck.AtLeast(&p, "max_live_clients", c.MaxLiveClients, 1)
	p.Add("hot::threshold", heat.CheckThreshold(c.Hot.Threshold))
	confcheck.NotNegative(&p, "hot::min_spans", c.Hot.MinSpans)
	p.Add("hot::by", c.Hot.By.Check())
	return p.Err()
}
