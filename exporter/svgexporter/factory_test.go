package svgexporter

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/metadata"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	if f.Type().String() != "svg" || f.TracesStability().String() != "Alpha" {
		t.Fatalf("type %s, stability %s", f.Type(), f.TracesStability())
	}
	if err := componenttest.CheckConfigStruct(f.CreateDefaultConfig()); err != nil {
		t.Fatal(err)
	}
	bad := createDefaultConfig()
	bad.Key = "/{{.TraceID}}"
	if _, err := f.CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), bad); err == nil || !strings.Contains(err.Error(), "key:") {
		t.Fatalf("CreateTraces with a bad key = %v", err)
	}
}

// TestLifecycle: shutdown without start, and twice after start, is safe;
// a bucket that cannot be opened fails Start with the reason.
func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	set := exportertest.NewNopSettings(metadata.Type)
	cfg := testConfig("file://" + t.TempDir())
	exp, err := NewFactory().CreateTraces(ctx, set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown before start: %v", err)
	}

	e := startExporter(t, cfg)
	if err := e.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.shutdown(ctx); err != nil {
		t.Fatalf("second shutdown: %v", err)
	}

	cfg = testConfig("file:///proc/tracemap-cannot-be-here")
	exp, err = NewFactory().CreateTraces(ctx, set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Start(ctx, componenttest.NewNopHost()); err == nil || !strings.Contains(err.Error(), "open bucket") {
		t.Fatalf("Start with an impossible directory = %v", err)
	}
	if err := exp.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown after a failed start: %v", err)
	}
}
