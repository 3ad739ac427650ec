package tracemapextension

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/tracemap/tracemap/extension/tracemapextension/internal/metadata"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestServesTheViewAndShutsDownTwice(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.ServerConfig.NetAddr.Endpoint = freeAddr(t)
	cfg.Bucket = "file://" + t.TempDir()
	e, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(metadata.Type), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + cfg.ServerConfig.NetAddr.Endpoint + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "No window in the bucket yet") {
		t.Fatalf("empty bucket: %d\n%s", resp.StatusCode, body)
	}
	if err := e.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.Shutdown(context.Background()); err != nil {
		t.Fatalf("second shutdown: %v", err)
	}
	if _, err := http.Get("http://" + cfg.ServerConfig.NetAddr.Endpoint + "/"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

func TestStartFailsClearlyWhenThePortIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := createDefaultConfig()
	cfg.ServerConfig.NetAddr.Endpoint = ln.Addr().String()
	cfg.Bucket = "mem://"
	e, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(metadata.Type), cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = e.Start(context.Background(), componenttest.NewNopHost())
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Start on a taken port: %v", err)
	}
	if err := e.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
