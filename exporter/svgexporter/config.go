package svgexporter

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/objkey"
	"github.com/tracemap/tracemap/internal/bucket"
	"github.com/tracemap/tracemap/internal/colorscale"
	"github.com/tracemap/tracemap/internal/confcheck"
	"github.com/tracemap/tracemap/internal/heat"
)

// Config is the svg exporter's configuration.
type Config struct {
	exporterhelper.TimeoutConfig `mapstructure:",squash"`
	QueueConfig                  configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	BackOffConfig                configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// Bucket is a gocloud.dev/blob URL: file:///dir, file://./relative/dir,
	// mem://, s3://bucket?region=..&endpoint=..&use_path_style=true,
	// gs://bucket, azblob://container.
	Bucket string `mapstructure:"bucket"`
	// Key is the object key template of a trace picture (see README).
	Key string `mapstructure:"key"`
	// Gzip stores pictures gzip-compressed with Content-Encoding: gzip.
	Gzip bool `mapstructure:"gzip"`
	// ColorScale names the heat colour scale: viridis, inferno, cividis, hsl.
	ColorScale string `mapstructure:"color_scale"`

	// Mode is what is drawn: ModeExemplars (default) draws a bounded set of
	// exemplar traces per window with a window summary; ModeAll draws every
	// trace that passes the render filter.
	Mode string `mapstructure:"mode"`
	// Exemplars bounds the exemplar choice (mode exemplars).
	Exemplars ExemplarsConfig `mapstructure:"exemplars"`
	// GatewayID names this collector in window summaries and their keys;
	// default: the collector's service.instance.id, else the host name.
	GatewayID string `mapstructure:"gateway_id"`

	Render     RenderConfig     `mapstructure:"render"`
	ServiceMap ServiceMapConfig `mapstructure:"service_map"`
	Index      IndexConfig      `mapstructure:"index"`
	// Heat configures the exporter's own error-rate statistics, used for
	// services that arrive without heatmap's tracemap.service.* resource
	// attributes (same keys as the heatmap processor).
	Heat heat.Config `mapstructure:"heat"`
}

// RenderConfig selects the traces to draw. With nothing set every trace is
// drawn; otherwise a trace is drawn when it matches any condition set.
type RenderConfig struct {
	// Errors draws traces with at least one span of status ERROR.
	Errors bool `mapstructure:"errors"`
	// SlowerThan draws traces whose duration is at least this.
	SlowerThan time.Duration `mapstructure:"slower_than"`
	// Hot draws traces that touch a hot service (error rate at or above the
	// threshold, from heatmap's tracemap.service.hot or the exporter's own
	// statistics).
	Hot bool `mapstructure:"hot"`
}

// Modes of the exporter.
const (
	ModeExemplars = "exemplars"
	ModeAll       = "all"
)

// ExemplarsConfig bounds the exemplars of a window.
type ExemplarsConfig struct {
	// PerKey is K: per service and per edge, up to K traces where it was
	// the error culprit and up to K of the slowest where it held the latency
	// culprit's share (plus one typical trace).
	PerKey int `mapstructure:"per_key"`
	// MaxPicturesPerWindow is the hard cap of pictures per window.
	MaxPicturesPerWindow int `mapstructure:"max_pictures_per_window"`
	// MaxKeys bounds the services and edges whose candidates are tracked in
	// a window (memory: MaxKeys x (2 PerKey + 1) traces at most).
	MaxKeys int `mapstructure:"max_keys"`
	// Data writes each exemplar's trace data (gzip-compressed OTLP
	// protobuf) beside its SVG.
	Data bool `mapstructure:"data"`
	// Writers is how many objects are written in parallel when a window
	// settles.
	Writers int `mapstructure:"writers"`
}

// ServiceMapConfig is the per-window service map.
type ServiceMapConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// Interval is the window length; a map is written when a window ends.
	Interval time.Duration `mapstructure:"interval"`
	// Key is the object key template of a map; date parts are the window start.
	Key string `mapstructure:"key"`
	// MaxServices and MaxEdges bound a window's memory; what does not fit is
	// counted in otelcol_exporter_svg_window_dropped.
	MaxServices int `mapstructure:"max_services"`
	MaxEdges    int `mapstructure:"max_edges"`
}

// IndexConfig is the listing written next to the pictures in every prefix.
type IndexConfig struct {
	// HTML writes index.html, JSON writes index.json (newest first).
	HTML bool `mapstructure:"html"`
	JSON bool `mapstructure:"json"`
	// MaxEntries is how many of the newest pictures a listing keeps.
	MaxEntries int `mapstructure:"max_entries"`
	// MaxPrefixes bounds how many prefixes are tracked in memory at once.
	MaxPrefixes int `mapstructure:"max_prefixes"`
	// Interval is how often changed listings are written.
	Interval time.Duration `mapstructure:"interval"`
}

const (
	defaultBucket        = "file://./out"
	defaultKey           = "traces/{{.Year}}-{{.Month}}-{{.Day}}/{{.Hour}}{{.Minute}}{{.Second}}-{{.Service}}-{{.TraceID}}.svg"
	defaultServiceMapKey = "servicemaps/{{.Year}}-{{.Month}}-{{.Day}}/{{.Hour}}{{.Minute}}{{.Second}}.svg"
)

func createDefaultConfig() *Config {
	return &Config{
		TimeoutConfig: exporterhelper.NewDefaultTimeoutConfig(),
		QueueConfig:   configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		BackOffConfig: configretry.NewDefaultBackOffConfig(),
		Bucket:        defaultBucket,
		Key:           defaultKey,
		ColorScale:    colorscale.Default,
		Mode:          ModeExemplars,
		Exemplars: ExemplarsConfig{
			PerKey:               2,
			MaxPicturesPerWindow: 16,
			MaxKeys:              200,
			Data:                 true,
			Writers:              4,
		},
		ServiceMap: ServiceMapConfig{
			Enabled:     true,
			Interval:    time.Minute,
			Key:         defaultServiceMapKey,
			MaxServices: 1000,
			MaxEdges:    5000,
		},
		Index: IndexConfig{
			HTML:        true,
			JSON:        true,
			MaxEntries:  200,
			MaxPrefixes: 64,
			Interval:    10 * time.Second,
		},
		Heat: heat.DefaultConfig(),
	}
}

// Validate checks the configuration; every error names its key.
func (c *Config) Validate() error {
	var p confcheck.Problems
	if c.Bucket == "" {
		p.Addf("bucket", "required")
	} else {
		_, err := bucket.Resolve(c.Bucket)
		p.Add("bucket", err)
	}
	p.Add("key", checkTemplate(c.Key, "{{.TraceID}}", func(t *objkey.Template) bool {
		a, _ := t.Key(objkey.Values{TraceID: "0af7651916cd43dd8448eb211c80319c"})
		b, _ := t.Key(objkey.Values{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"})
		return a != b
	}))
	_, err := colorscale.Lookup(c.ColorScale)
	p.Add("color_scale", err)
	confcheck.NotNegative(&p, "render::slower_than", c.Render.SlowerThan)
	switch c.Mode {
	case ModeExemplars:
		x := c.Exemplars
		confcheck.AtLeast(&p, "exemplars::per_key", x.PerKey, 1)
		confcheck.AtLeast(&p, "exemplars::max_pictures_per_window", x.MaxPicturesPerWindow, 1)
		confcheck.AtLeast(&p, "exemplars::max_keys", x.MaxKeys, 1)
		confcheck.AtLeast(&p, "exemplars::writers", x.Writers, 1)
	case ModeAll:
	default:
		p.Addf("mode", "must be %q or %q, got %q", ModeExemplars, ModeAll, c.Mode)
	}
	if c.GatewayID != "" && objkey.Sanitize(c.GatewayID) != c.GatewayID {
		p.Addf("gateway_id", "%q: use only [A-Za-z0-9._-], at most %d bytes, not starting with a dot", c.GatewayID, objkey.MaxSegment)
	}
	if c.ServiceMap.Enabled || c.Mode == ModeExemplars {
		// The windows of exemplars and summaries are the service map's.
		if c.ServiceMap.Interval < time.Second {
			confcheck.AtLeast(&p, "service_map::interval", c.ServiceMap.Interval, time.Second)
		} else if c.Mode == ModeAll {
			p.Add("service_map::key", checkTemplate(c.ServiceMap.Key, "date parts down to the window length", func(t *objkey.Template) bool {
				start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
				a, _ := t.Key(objkey.Values{Time: start})
				b, _ := t.Key(objkey.Values{Time: start.Add(c.ServiceMap.Interval)})
				return a != b
			}))
		}
		confcheck.AtLeast(&p, "service_map::max_services", c.ServiceMap.MaxServices, 1)
		confcheck.NotNegative(&p, "service_map::max_edges", c.ServiceMap.MaxEdges)
	}
	if c.Index.HTML || c.Index.JSON {
		confcheck.AtLeast(&p, "index::max_entries", c.Index.MaxEntries, 1)
		confcheck.AtLeast(&p, "index::max_prefixes", c.Index.MaxPrefixes, 1)
		confcheck.Positive(&p, "index::interval", c.Index.Interval)
	}
	p.Nested("heat", c.Heat.Check())
	return p.Err()
}

// checkTemplate parses a key template and checks that it tells objects
// apart (distinct reports that two objects that must differ get two keys).
func checkTemplate(src, needs string, distinct func(*objkey.Template) bool) error {
	t, err := objkey.Parse(src)
	if err != nil {
		return err
	}
	if !distinct(t) {
		return fmt.Errorf("%q would write many objects to one key: include %s", src, needs)
	}
	return nil
}
