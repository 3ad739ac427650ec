package svgexporter

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/metadata"
)

// memStorage is a storage extension keeping its data across clients, as
// file_storage keeps it across restarts.
type memStorage struct {
	component.StartFunc
	component.ShutdownFunc
	mu   sync.Mutex
	data map[string][]byte
}

func (m *memStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return memClient{m}, nil
}

type memClient struct{ m *memStorage }

func (c memClient) Get(_ context.Context, k string) ([]byte, error) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	return c.m.data[k], nil
}

func (c memClient) Set(_ context.Context, k string, v []byte) error {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	c.m.data[k] = v
	return nil
}

func (c memClient) Delete(_ context.Context, k string) error {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	delete(c.m.data, k)
	return nil
}

func (memClient) Batch(context.Context, ...*storage.Operation) error { return nil }
func (memClient) Close(context.Context) error                        { return nil }

type storageHost struct {
	ext map[component.ID]component.Component
}

func (h storageHost) GetExtensions() map[component.ID]component.Component { return h.ext }

// TestPendingWindowSurvivesRestart: a window settled while storage is
// down is spooled at shutdown and written by the next run.
func TestPendingWindowSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	id := component.MustNewID("file_storage")
	host := storageHost{map[component.ID]component.Component{id: &memStorage{data: map[string][]byte{}}}}
	run := func(send bool) {
		cfg := testConfig("file://" + dir)
		cfg.Mode = ModeExemplars
		cfg.GatewayID = "gw-a"
		q := exporterhelper.NewDefaultQueueConfig()
		q.StorageID = &id
		cfg.QueueConfig = configoptional.Some(q)
		e, err := newSVGExporter(cfg, exportertest.NewNopSettings(metadata.Type))
		if err != nil {
			t.Fatal(err)
		}
		e.now = func() time.Time { return winStart.Add(10 * time.Second) }
		ctx := context.Background()
		if err := e.start(ctx, host); err != nil {
			t.Fatal(err)
		}
		if send {
			if err := e.pushTraces(ctx, shopTraces()); err != nil {
				t.Fatal(err)
			}
		}
		// Spooled is not an error: nothing is lost.
		if err := e.shutdown(ctx); err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	}
	blocker := filepath.Join(dir, "windows")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	run(true)
	os.Remove(blocker)
	if pics, _ := filepath.Glob(filepath.Join(dir, winDir, "exemplars", "*")); len(pics) != 0 {
		t.Fatalf("written while storage was down: %v", pics)
	}
	run(false)
	pics, _ := filepath.Glob(filepath.Join(dir, winDir, "exemplars", "*"))
	s := readSummary(t, filepath.Join(dir, winDir, "summary-gw-a.json"))
	// per_key 2: traces 2 and 3 are shop's two slowest.
	if len(pics) != 8 || len(s.Exemplars) != 4 || s.Traces != 4 {
		t.Fatalf("after restart: %v, %+v, %d traces", pics, s.Exemplars, s.Traces)
	}
	if data := host.ext[id].(*memStorage).data; len(data) != 0 {
		t.Fatalf("spool not cleared: %d keys", len(data))
	}
}
