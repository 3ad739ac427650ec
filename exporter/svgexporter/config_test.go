package svgexporter

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(component.MustNewIDWithName(metadata.Type.String(), name).String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestLoadConfig(t *testing.T) {
	def := loadConfig(t, "")
	if err := def.Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	if def.Bucket != "file://./out" || def.ServiceMap.Interval != time.Minute || !def.Index.HTML || !def.Index.JSON || def.ColorScale != "heat" ||
		def.Mode != ModeExemplars || def.Exemplars != (ExemplarsConfig{PerKey: 2, MaxPicturesPerWindow: 16, MaxKeys: 200, Data: true, Writers: 4}) {
		t.Fatalf("defaults = %+v", def)
	}

	c := loadConfig(t, "custom")
	if err := c.Validate(); err != nil {
		t.Fatalf("custom config invalid: %v", err)
	}
	if c.Bucket != "s3://pictures?endpoint=http://127.0.0.1:7070&use_path_style=true&region=us-east-1" ||
		c.Key != "t/{{.Service}}/{{.Year}}{{.Month}}{{.Day}}/{{.TraceID}}.svg.gz" || !c.Gzip || c.ColorScale != "cividis" {
		t.Fatalf("storage = %+v", c)
	}
	if c.Render != (RenderConfig{Errors: true, SlowerThan: 2 * time.Second, Hot: true}) {
		t.Fatalf("render = %+v", c.Render)
	}
	if c.ServiceMap != (ServiceMapConfig{Enabled: true, Interval: 30 * time.Second, Key: "maps/{{.Timestamp}}.svg", MaxServices: 50, MaxEdges: 100}) {
		t.Fatalf("service_map = %+v", c.ServiceMap)
	}
	if c.Index != (IndexConfig{JSON: true, MaxEntries: 20, MaxPrefixes: 8, Interval: 5 * time.Second}) {
		t.Fatalf("index = %+v", c.Index)
	}
	if c.Heat.Window != 5*time.Minute || c.Heat.Threshold != 0.1 || c.Heat.MinSpans != 3 || c.Heat.Buckets != 6 {
		t.Fatalf("heat = %+v", c.Heat)
	}
	if c.Timeout != 10*time.Second || c.BackOffConfig.InitialInterval != time.Second || c.BackOffConfig.MaxElapsedTime != 0 {
		t.Fatalf("helper settings = %+v %+v", c.TimeoutConfig, c.BackOffConfig)
	}
	q := c.QueueConfig.Get()
	if q == nil || q.NumConsumers != 2 || q.QueueSize != 500 || q.StorageID == nil || q.StorageID.String() != "file_storage/svg" {
		t.Fatalf("sending_queue = %+v", q)
	}

	x := loadConfig(t, "exemplars")
	if err := x.Validate(); err != nil {
		t.Fatalf("exemplars config invalid: %v", err)
	}
	if x.GatewayID != "gw-a" || x.Exemplars != (ExemplarsConfig{PerKey: 3, MaxPicturesPerWindow: 10, MaxKeys: 50, Writers: 2}) {
		t.Fatalf("exemplars = %q %+v", x.GatewayID, x.Exemplars)
	}

	// Disabled parts are not validated.
	if err := loadConfig(t, "nomap").Validate(); err != nil {
		t.Fatalf("nomap config invalid: %v", err)
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"no bucket", func(c *Config) { c.Bucket = "" }, "bucket: required"},
		{"bad scheme", func(c *Config) { c.Bucket = "ftp://x" }, `bucket: scheme "ftp"`},
		{"file host", func(c *Config) { c.Bucket = "file://out" }, `bucket: file URL host "out"`},
		{"key escapes", func(c *Config) { c.Key = "../{{.TraceID}}.svg" }, `key: key "../0af7651916cd43dd8448eb211c80319c.svg": contains a ".." segment`},
		{"key absolute", func(c *Config) { c.Key = "/x/{{.TraceID}}.svg" }, "key: key \"/x/0af7651916cd43dd8448eb211c80319c.svg\": must not start with /"},
		{"key without trace", func(c *Config) { c.Key = "{{.Service}}.svg" }, "key: \"{{.Service}}.svg\" would write many objects to one key: include {{.TraceID}}"},
		{"key unknown field", func(c *Config) { c.Key = "{{.Host}}/{{.TraceID}}" }, "key: template: key:1:2: executing \"key\" at <.Host>"},
		{"map key too coarse", func(c *Config) { c.Mode = ModeAll; c.ServiceMap.Key = "m/{{.Hour}}.svg" }, "service_map::key: \"m/{{.Hour}}.svg\" would write many objects to one key"},
		{"map interval", func(c *Config) { c.ServiceMap.Interval = 10 * time.Millisecond }, "service_map::interval: must be at least 1s, got 10ms"},
		{"map services", func(c *Config) { c.ServiceMap.MaxServices = 0 }, "service_map::max_services: must be at least 1"},
		{"mode", func(c *Config) { c.Mode = "some" }, `mode: must be "exemplars" or "all", got "some"`},
		{"per key", func(c *Config) { c.Exemplars.PerKey = 0 }, "exemplars::per_key: must be at least 1, got 0"},
		{"cap", func(c *Config) { c.Exemplars.MaxPicturesPerWindow = 0 }, "exemplars::max_pictures_per_window: must be at least 1, got 0"},
		{"max keys", func(c *Config) { c.Exemplars.MaxKeys = 0 }, "exemplars::max_keys: must be at least 1, got 0"},
		{"writers", func(c *Config) { c.Exemplars.Writers = 0 }, "exemplars::writers: must be at least 1, got 0"},
		{"exemplar window", func(c *Config) { c.ServiceMap.Enabled = false; c.ServiceMap.Interval = 0 }, "service_map::interval: must be at least 1s, got 0s"},
		{"gateway", func(c *Config) { c.GatewayID = "../x" }, `gateway_id: "../x": use only [A-Za-z0-9._-], at most 64 bytes, not starting with a dot`},
		{"scale", func(c *Config) { c.ColorScale = "rainbow" }, `color_scale: unknown colour scale "rainbow"`},
		{"slower_than", func(c *Config) { c.Render.SlowerThan = -time.Second }, "render::slower_than: must not be negative"},
		{"index entries", func(c *Config) { c.Index.MaxEntries = 0 }, "index::max_entries: must be at least 1"},
		{"index interval", func(c *Config) { c.Index.Interval = 0 }, "index::interval: must be positive"},
		{"heat threshold", func(c *Config) { c.Heat.Threshold = 1.5 }, "heat::threshold: must be within 0..1, got 1.5"},
		{"heat window", func(c *Config) { c.Heat.Window = 0 }, "heat::window: must be positive, got 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := createDefaultConfig()
			tt.modify(c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestEveryLineNamesItsKey: a sub-config that reports several problems
// gets its key on every line, not only the first, and each problem is
// reported once through the collector's own config walk (confmap.Validate
// calls every nested Validate it finds).
func TestEveryLineNamesItsKey(t *testing.T) {
	c := createDefaultConfig()
	c.Heat.MaxEdges = 0
	c.Heat.Window = 0
	c.ServiceMap.MaxEdges = -1
	err := confmap.Validate(c)
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 {
		t.Errorf("want 3 problems, each once, got %d: %q", len(lines), lines)
	}
	want := []string{"service_map::max_edges: ", "heat::window", "heat::max_edges"}
	for _, w := range want {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, w)
		}
		if !found {
			t.Errorf("no line starts with %q in %q", w, lines)
		}
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "heat::") && !strings.HasPrefix(l, "service_map::") {
			t.Errorf("line without its key: %q", l)
		}
	}
}
