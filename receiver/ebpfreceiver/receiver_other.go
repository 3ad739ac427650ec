//go:build !(linux && amd64)

package ebpfreceiver

import (
	"context"
	"errors"
	"runtime"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
)

// unsupported stands in on platforms without the BPF programs.
type unsupported struct{}

func newReceiver(*Config, receiver.Settings, consumer.Traces) (receiver.Traces, error) {
	return unsupported{}, nil
}

func (unsupported) Start(context.Context, component.Host) error {
	return errors.New("ebpf receiver: eBPF uprobes are only supported on linux/amd64, not " + runtime.GOOS + "/" + runtime.GOARCH)
}

func (unsupported) Shutdown(context.Context) error { return nil }
