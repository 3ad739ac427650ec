package heatmap

import (
	"path/filepath"
	"reflect"
	"slices"
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
	if want := (&Config{Config: heat.DefaultConfig(), Mode: ModeCount, ServiceAttributes: ServiceAttributesAll}); !reflect.DeepEqual(cfg, want) {
		t.Fatalf("default = %+v", cfg)
	}

	cfg, err = loadConfig(t, "custom")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{Config: heat.Config{
		Window: 30 * time.Second, Buckets: 3, Threshold: 0.1, MinSpans: 20, HotBy: heat.HotByErrors,
		Histogram:   heat.HistogramConfig{Lowest: 10 * time.Microsecond, Highest: 10 * time.Minute, SignificantFigures: 3},
		Errors:      heat.ErrorConfig{HTTPServer5xx: true, HTTPClient4xx: true, GRPCCodes: []string{"UNAVAILABLE", "deadline_exceeded"}},
		EdgeStore:   heat.EdgeStoreConfig{TTL: 5 * time.Second, MaxItems: 2000},
		MaxServices: 50, MaxOperations: 400, MaxEdges: 300,
	}, Mode: ModeCount, SpanAttributes: true, ServiceAttributes: ServiceAttributesAll}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("custom = %+v\nwant     %+v", cfg, want)
	}

	cfg, err = loadConfig(t, "annotate")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != ModeAnnotate || cfg.sourceID() != component.MustNewIDWithName("heatmap", "custom") {
		t.Fatalf("annotate = %+v", cfg)
	}

	cfg, err = loadConfig(t, "hot")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != ModeCount || cfg.ServiceAttributes != ServiceAttributesHot {
		t.Fatalf("hot = %+v", cfg)
	}
}

// Every problem is reported, once, each line starting with its key path.
func TestConfigValidationNamesEveryKey(t *testing.T) {
	_, err := loadConfig(t, "invalid")
	if err == nil {
		t.Fatal("want an error")
	}
	want := []string{
		"window: must be positive, got 0s",
		"buckets: must be at least 1, got 0",
		"threshold: must be within 0..1, got 1.5",
		`hot_by: must be "own_errors" or "errors", got "victims"`,
		"min_spans: must not be negative, got -1",
		"histogram::highest: must be at least twice histogram::lowest (1s), got 1ms",
		"histogram::significant_figures: must be within 1..5, got 7",
		`errors::grpc_codes: unknown gRPC status "NOT_A_CODE" (want one of OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED)`,
		"edge_store::ttl: must be positive, got 0s",
		"edge_store::max_items: must be at least 1, got 0",
		"max_services: must be at least 1, got 0",
		"max_operations: must be at least 1, got 0",
		"max_edges: must be at least 1, got 0",
		"source: required with mode annotate: the component ID of the counting heatmap stage, e.g. heatmap",
		"span_attributes: only for mode count: an annotate stage always writes the span values",
		"service_attributes: only for mode count: an annotate stage writes the service values a resource lacks",
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for name, msg := range map[string]string{
		"badmode":       `mode: must be count or annotate, got "sample"`,
		"badsource":     `source: "layout" is not a heatmap stage`,
		"badattributes": `service_attributes: must be all or hot, got "every"`,
		"hotspans":      "service_attributes: hot leaves values out for an annotate stage to write, span_attributes: true writes every value",
	} {
		if _, err := loadConfig(t, name); err == nil || err.Error() != msg {
			t.Errorf("%s: got %v, want %q", name, err, msg)
		}
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
		{func(c *heat.Config) { c.Window = time.Nanosecond; c.Buckets = 6 }, "buckets: 6 sub-buckets do not fit in a window of 1ns"},
		{func(c *heat.Config) { c.Threshold = -0.1 }, "threshold: must be within 0..1, got -0.1"},
		{func(c *heat.Config) { c.Histogram.Lowest = 0 }, "histogram::lowest: must be at least 1ns, got 0s"},
		{func(c *heat.Config) { c.Histogram.SignificantFigures = 5 }, "histogram::significant_figures: 5 significant figures over 1µs..1h0m0s take 17408 KiB per histogram, more than 256 KiB: lower it or narrow the range"},
	} {
		c := heat.DefaultConfig()
		tc.mutate(&c)
		if err := c.Check(); err == nil || err.Error() != tc.want {
			t.Errorf("want %q, got %v", tc.want, err)
		}
	}
	c := heat.DefaultConfig()
	if err := c.Check(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}
