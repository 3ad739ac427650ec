package heatmap

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/processor/heatmap/internal/metadata"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg, confmap.Validate(cfg)
}

func TestLoadConfig(t *testing.T) {
	cfg, err := loadConfig(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := (&Config{Config: heat.DefaultConfig(), SpanAttributes: true}); !reflect.DeepEqual(cfg, want) {
		t.Fatalf("default = %+v", cfg)
	}

	cfg, err = loadConfig(t, "custom")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{Config: heat.Config{
		Window: 30 * time.Second, Buckets: 3, Threshold: 0.1, MinSpans: 20, HotBy: heat.HotByOwnErrors,
		Histogram:   heat.HistogramConfig{Lowest: 10 * time.Microsecond, Highest: 10 * time.Minute, SignificantFigures: 3},
		Errors:      heat.ErrorConfig{HTTPServer5xx: true, HTTPClient4xx: true, GRPCCodes: []string{"UNAVAILABLE", "deadline_exceeded"}},
		EdgeStore:   heat.EdgeStoreConfig{TTL: 5 * time.Second, MaxItems: 2000},
		MaxServices: 50, MaxOperations: 400, MaxEdges: 300,
	}, SpanAttributes: false}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("custom = %+v\nwant     %+v", cfg, want)
	}
}

func TestConfigValidationNamesEveryKey(t *testing.T) {
	_, err := loadConfig(t, "invalid")
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{
		"window must be > 0, got 0s",
		"buckets must be >= 1, got 0",
		"threshold must be within 0..1, got 1.5",
		"min_spans must be >= 0, got -1",
		"histogram.highest (1ms) must be at least twice histogram.lowest (1s)",
		"histogram.significant_figures must be within 1..5, got 7",
		`errors.grpc_codes: unknown gRPC status "NOT_A_CODE"`,
		"edge_store.ttl must be > 0, got 0s",
		"edge_store.max_items must be >= 1, got 0",
		"max_services must be >= 1, got 0",
		"max_operations must be >= 1, got 0",
		"max_edges must be >= 1, got 0",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), `"UNAVAILABLE"`) {
		t.Errorf("a known gRPC status was reported: %v", err)
	}
}

func TestConfigUnknownKey(t *testing.T) {
	cfg := createDefaultConfig()
	err := confmap.NewFromStringMap(map[string]any{"windw": "10s"}).Unmarshal(cfg)
	if err == nil || !strings.Contains(err.Error(), "windw") {
		t.Fatalf("want an error naming windw, got %v", err)
	}
}

func TestConfigStruct(t *testing.T) {
	if err := componenttest.CheckConfigStruct(createDefaultConfig()); err != nil {
		t.Fatal(err)
	}
}

func TestValidationSmallCases(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*heat.Config)
		want   string
	}{
		{func(c *heat.Config) { c.Window = time.Nanosecond; c.Buckets = 6 }, "window 1ns is too short for 6 buckets"},
		{func(c *heat.Config) { c.Threshold = -0.1 }, "threshold must be within 0..1, got -0.1"},
		{func(c *heat.Config) { c.Histogram.Lowest = 0 }, "histogram.lowest must be >= 1ns, got 0s"},
		{func(c *heat.Config) { c.Histogram.SignificantFigures = 5 }, "histogram: 5 significant figures over 1µs..1h0m0s take 17408 KiB per histogram, more than 256 KiB"},
	} {
		c := heat.DefaultConfig()
		tc.mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want %q, got %v", tc.want, err)
		}
	}
	c := heat.DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}
