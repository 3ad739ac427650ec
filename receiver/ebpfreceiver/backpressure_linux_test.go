//go:build linux && amd64

package ebpfreceiver

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/clock"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/metadata"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/probes"
)

// offlineReceiver is a receiver that has not started, with process 7
// known, for feeding events to add without the kernel.
func offlineReceiver(tb testing.TB, cfg *Config, next consumer.Traces) *ebpfReceiver {
	tb.Helper()
	rcv, err := newReceiver(cfg, receivertest.NewNopSettings(metadata.Type), next)
	if err != nil {
		tb.Fatal(err)
	}
	r := rcv.(*ebpfReceiver)
	r.clock = clock.New()
	r.resetPending()
	r.procs[7] = &tracedProcess{info: processInfo{pid: 7, exe: "/usr/bin/shop", service: "shop", goVersion: "go1.26.8"}}
	return r
}

// blockingSink holds every ConsumeTraces until released.
type blockingSink struct {
	release chan struct{}
	mu      sync.Mutex
	spans   int
}

func (s *blockingSink) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (s *blockingSink) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	<-s.release
	s.mu.Lock()
	s.spans += td.SpanCount()
	s.mu.Unlock()
	return nil
}

// A slow pipeline makes the reader wait after two batches instead of
// buffering without bound; once the pipeline moves, everything arrives.
func TestSlowPipelineBoundsPendingSpans(t *testing.T) {
	sink := &blockingSink{release: make(chan struct{})}
	cfg := testConfig(Config{Names: []string{"x"}, MaxBatch: 10, FlushInterval: time.Hour})
	r := offlineReceiver(t, cfg, sink)
	ctx, cancel := context.WithCancel(context.Background())
	r.wg.Add(1)
	go r.flushLoop(ctx)

	added := make(chan int, 100)
	go func() {
		for i := range 100 {
			r.add(&probes.Span{PID: 7, Kind: probes.KindServer, Method: "GET"})
			added <- i
		}
	}()
	// The first flush takes what is pending (at least 10 spans) and blocks
	// in the sink; two more batches fill up; then the reader waits.
	got := 0
	for stalled := false; !stalled; {
		select {
		case <-added:
			got++
		case <-time.After(300 * time.Millisecond):
			stalled = true
		}
	}
	if got == 100 {
		t.Fatal("the reader did not wait for the pipeline")
	}
	r.mu.Lock()
	if r.count != 20 {
		t.Errorf("pending = %d, want 2 batches of 10", r.count)
	}
	r.mu.Unlock()

	close(sink.release)
	for got < 100 {
		select {
		case <-added:
			got++
		case <-time.After(5 * time.Second):
			t.Fatalf("stuck at %d spans", got)
		}
	}
	cancel()
	r.wg.Wait()
	r.flush(context.Background()) // what Shutdown does last
	if sink.spans != 100 {
		t.Errorf("%d spans consumed, want 100", sink.spans)
	}
}

// ctxSink refuses a batch whose context ends while it is being consumed,
// as a pipeline honouring cancellation does.
type ctxSink struct {
	entered chan struct{}
	release chan struct{}
	result  chan error
}

func (s *ctxSink) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (s *ctxSink) ConsumeTraces(ctx context.Context, _ ptrace.Traces) error {
	s.entered <- struct{}{}
	var err error
	select {
	case <-ctx.Done():
		err = ctx.Err()
	case <-s.release:
	}
	s.result <- err
	return err
}

// Shutdown stops the flush loop while a batch is in the pipeline: that
// batch is still delivered, not refused because Shutdown began.
func TestBatchInFlightAtShutdownIsDelivered(t *testing.T) {
	sink := &ctxSink{entered: make(chan struct{}, 1), release: make(chan struct{}), result: make(chan error, 1)}
	r := offlineReceiver(t, testConfig(Config{Names: []string{"x"}, MaxBatch: 1, FlushInterval: time.Hour}), sink)
	ctx, cancel := context.WithCancel(context.Background())
	r.wg.Add(1)
	go r.flushLoop(ctx)
	r.add(&probes.Span{PID: 7, Kind: probes.KindServer, Method: "GET"})
	<-sink.entered
	cancel() // what Shutdown does to stop the loop
	time.AfterFunc(100*time.Millisecond, func() { close(sink.release) })
	if err := <-sink.result; err != nil {
		t.Fatalf("the batch in flight at shutdown was refused: %v", err)
	}
	r.wg.Wait()
}
