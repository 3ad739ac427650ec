package ebpfreceiver

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func loadConfig(t *testing.T, key string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(key)
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
	cfg := loadConfig(t, "ebpf")
	want := createDefaultConfig()
	want.Names = []string{"frontend"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if !cfg.Shedding || cfg.Channels || !cfg.Goroutines {
		t.Errorf("defaults: shedding %v channels %v goroutines %v, want true false true", cfg.Shedding, cfg.Channels, cfg.Goroutines)
	}
	if cfg.RingBufferSize != want.RingBufferSize || cfg.FlushInterval != want.FlushInterval || cfg.MaxBatch != want.MaxBatch || cfg.ClockRefresh != want.ClockRefresh || len(cfg.Names) != 1 {
		t.Errorf("defaults: got %+v, want %+v", cfg, want)
	}

	full := loadConfig(t, "ebpf/full")
	if err := full.Validate(); err != nil {
		t.Fatal(err)
	}
	if full.RingBufferSize != 1<<20 || full.FlushInterval != 500*time.Millisecond || full.MaxBatch != 256 ||
		full.ClockRefresh != 30*time.Second || full.ServiceNames["payment"] != "payment-service" ||
		full.Functions[0] != "main.chargeCard" || full.PIDs[0] != 4242 || full.Executables[0] != "/usr/local/bin/checkout" || len(full.Names) != 2 ||
		full.Shedding || !full.Channels {
		t.Errorf("full config: %+v", full)
	}
}

func TestValidateNamesEveryBadKey(t *testing.T) {
	err := loadConfig(t, "ebpf/bad").Validate()
	if err == nil {
		t.Fatal("bad config validated")
	}
	for _, want := range []string{
		"pids: -1 is not a process ID",
		`executables: "relative/path" must be an absolute path`,
		`functions: "not a function" is not a qualified Go function name`,
		"ring_buffer_size: 5000 must be a power of two",
		"flush_interval: 0s must be positive",
		"max_batch: 0 must be positive",
		"clock_refresh: -1s must be positive",
		"cpu_budget: 2 must be between 0 and 1 (a share of one core; 0: no budget)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if err := createDefaultConfig().Validate(); err == nil || !strings.Contains(err.Error(), "no targets") {
		t.Errorf("default config without targets: %v", err)
	}
	cfg := createDefaultConfig()
	cfg.Names, cfg.CPUBudget, cfg.Shedding = []string{"frontend"}, 0.25, false
	if err := cfg.Validate(); err == nil || err.Error() != "cpu_budget: 0.25 needs shedding: true (the budget is kept by shedding)" {
		t.Errorf("cpu_budget without shedding: %v", err)
	}
}
