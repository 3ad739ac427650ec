//go:build !(linux && amd64)

package ebpfreceiver

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/metadata"
)

func TestStartUnsupportedPlatform(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Names = []string{"shop"}
	rcv, err := NewFactory().CreateTraces(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, new(consumertest.TracesSink))
	if err != nil {
		t.Fatal(err)
	}
	err = rcv.Start(context.Background(), componenttest.NewNopHost())
	if err == nil || !strings.Contains(err.Error(), "only supported on linux/amd64") {
		t.Fatalf("Start = %v", err)
	}
}
