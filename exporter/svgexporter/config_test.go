package svgexporter

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
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
	if def.Bucket != "file://./out" || def.ServiceMap.Interval != time.Minute || !def.Index.HTML || !def.Index.JSON || def.ColorScale != "heat" {
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
		{"map key too coarse", func(c *Config) { c.ServiceMap.Key = "m/{{.Hour}}.svg" }, "service_map::key: \"m/{{.Hour}}.svg\" would write many objects to one key"},
		{"map interval", func(c *Config) { c.ServiceMap.Interval = 10 * time.Millisecond }, "service_map::interval: must be at least 1s, got 10ms"},
		{"map services", func(c *Config) { c.ServiceMap.MaxServices = 0 }, "service_map::max_services: must be at least 1"},
		{"scale", func(c *Config) { c.ColorScale = "rainbow" }, `color_scale: unknown colour scale "rainbow"`},
		{"slower_than", func(c *Config) { c.Render.SlowerThan = -time.Second }, "render::slower_than: must not be negative"},
		{"index entries", func(c *Config) { c.Index.MaxEntries = 0 }, "index::max_entries: must be at least 1"},
		{"index interval", func(c *Config) { c.Index.Interval = 0 }, "index::interval: must be positive"},
		{"heat threshold", func(c *Config) { c.Heat.Threshold = 1.5 }, "heat: threshold: must be within 0..1, got 1.5"},
		{"heat window", func(c *Config) { c.Heat.Window = 0 }, "heat: window: must be positive, got 0s"},
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
