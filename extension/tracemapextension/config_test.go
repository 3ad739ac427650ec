package tracemapextension

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/tracemap/tracemap/extension/tracemapextension/internal/metadata"
	"github.com/tracemap/tracemap/internal/heat"
)

func load(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(component.MustNewIDWithName(metadata.Type.String(), name).String())
	if name == "" {
		sub, err = cm.Sub(metadata.Type.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	return cfg, confmap.Validate(cfg)
}

func TestDefaultsAreLoopbackAndValid(t *testing.T) {
	cfg, err := load(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServerConfig.NetAddr.Endpoint != "127.0.0.1:8787" || cfg.Bucket != "file://./out" || cfg.PollInterval != 2*time.Second ||
		cfg.Windows != 60 || cfg.MaxConcurrentRenders != 2 || cfg.Hot.rule() != (heat.HotRule{Threshold: 0.05, MinSpans: 10, By: heat.HotByOwnErrors}) {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestEveryKeyIsRead(t *testing.T) {
	cfg, err := load(t, "custom")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServerConfig.NetAddr.Endpoint != "127.0.0.1:9999" || !strings.HasPrefix(cfg.Bucket, "s3://pictures?") || cfg.PollInterval != 5*time.Second ||
		cfg.Windows != 120 || cfg.MaxTraceSpans != 500000 || cfg.MaxTraceBytes != 64<<20 || cfg.RenderTimeout != 3*time.Second ||
		cfg.MaxConcurrentRenders != 4 || cfg.MaxLiveClients != 10 ||
		cfg.Hot.rule() != (heat.HotRule{Threshold: 0.1, MinSpans: 50, By: heat.HotByErrors}) || !cfg.ServerConfig.Auth.HasValue() {
		t.Fatalf("custom: %+v", cfg)
	}
	if got := cfg.ServerConfig.Auth.Get().Config.AuthenticatorID.String(); got != "basicauth/view" {
		t.Fatalf("authenticator %q", got)
	}
}

func TestEveryProblemIsReportedWithItsKey(t *testing.T) {
	_, err := load(t, "bad")
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, key := range []string{"endpoint: must be set", "bucket: scheme \"ftp\"", "poll_interval: must be at least 100ms",
		"windows: must be at least 1", "max_trace_spans:", "max_trace_bytes:", "render_timeout: must be positive",
		"max_concurrent_renders:", "max_live_clients:", "hot::threshold: must be within 0..1, got 2",
		"hot::min_spans: must not be negative", `hot::by: must be "own_errors" or "errors", got "everything"`} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("no %q in:\n%v", key, err)
		}
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.Contains(line, ": ") {
			t.Errorf("line without a key: %q", line)
		}
	}
}
