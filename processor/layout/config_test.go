package layout

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/tracemap/tracemap/processor/layout/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		want *Config
		err  string // substring of the load or validation error
	}{
		{name: "", want: createDefaultConfig()},
		{name: "held", want: &Config{Wait: 2 * time.Second, MaxTraces: 500, MaxSpansPerTrace: 5000, MaxSpans: 50000, Nodes: NodesOperation, MaxDAGNodes: 50}},
		{name: "negative_wait", err: "wait: must not be negative, got -1s"},
		{name: "bad_nodes", err: `nodes: must be "service" or "operation", got "services"`},
		{name: "small_max_spans", err: "max_spans: must be at least max_spans_per_trace (100), got 10"},
		{name: "zero", err: "max_traces: must be at least 1, got 0\nmax_spans_per_trace: must be at least 1, got 0\nmax_dag_nodes: must be at least 1, got 0"},
		{name: "unknown_key", err: "wiat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tc.name).String())
			if err != nil {
				t.Fatal(err)
			}
			cfg := NewFactory().CreateDefaultConfig()
			err = sub.Unmarshal(cfg)
			if err == nil {
				err = confmap.Validate(cfg)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *cfg.(*Config) != *tc.want {
				t.Errorf("got %+v, want %+v", cfg, tc.want)
			}
		})
	}
}
