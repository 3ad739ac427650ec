//go:build e2e

// Package faults runs the tracemap gateway pipeline as a real process and
// injects faults: object storage that goes away and comes back, a full disk
// under a file:// bucket, malformed OTLP and a trace of a million spans
// arriving while normal traffic flows. RELIABILITY.md records the outcomes.
package faults

import (
	"context"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// gatewayConfig is the tier-2 pipeline of examples/gateway/tier2.yaml with
// every trace kept (so each one sent must be drawn) and a short
// decision_wait; BUCKET and EXTRA are filled in per test.
const gatewayConfig = `
receivers:
  otlp:
    protocols:
      grpc:
      http:
processors:
  memory_limiter:
    check_interval: 1s
    limit_mib: 2048
    spike_limit_mib: 512
  heatmap:
  tail_sampling:
    decision_wait: 1s
    policies:
      - name: all
        type: always_sample
  layout:
exporters:
  svg:
    mode: all # a picture per trace: the tests count them
    bucket: BUCKET
    key: '{{"{{.TraceID}}"}}.svg'
    service_map: {enabled: false}
    timeout: 2s
    retry_on_failure: {enabled: true, initial_interval: 200ms, max_interval: 2s, max_elapsed_time: 10m}
    sending_queue: {enabled: true, queue_size: 10000}
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, heatmap, tail_sampling, layout]
      exporters: [svg]
`

func startGateway(t *testing.T, bucket string) *collectortest.Collector {
	t.Helper()
	return collectortest.Start(t, strings.Replace(gatewayConfig, "BUCKET", bucket, 1))
}

// normalTraces sends the five-service checkout trace, each whole in one
// request, with trace IDs from next.
func sendNormal(t *testing.T, c *collectortest.Collector, next *atomic.Uint64, n int) []pcommon.TraceID {
	t.Helper()
	td := ptrace.NewTraces()
	ids := make([]pcommon.TraceID, n)
	for i := range ids {
		ids[i] = tracetest.TraceID(next.Add(1))
		tracetest.Append(td, ids[i], tracetest.FiveServices()...)
	}
	c.SendGRPC(t, td)
	return ids
}

func rendered(t *testing.T, c *collectortest.Collector) float64 {
	return c.Metric(t, "otelcol_exporter_svg_traces_rendered")
}

// picturesIn lists the trace pictures (<trace ID>.svg) in a directory.
func picturesIn(t *testing.T, dir string) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), ".svg"); ok {
			got[id] = true
		}
	}
	return got
}

func healthy(t *testing.T, c *collectortest.Collector) bool {
	t.Helper()
	_, err := c.Metrics()
	return err == nil && !c.Exited()
}

// rssSampler records the process's resident set every interval.
type rssSampler struct {
	mu   sync.Mutex
	peak int64
	stop chan struct{}
	done chan struct{}
}

func sampleRSS(c *collectortest.Collector, every time.Duration) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			if rss, err := c.RSS(); err == nil {
				s.mu.Lock()
				s.peak = max(s.peak, rss)
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// Stop ends sampling and returns the peak RSS in MiB.
func (s *rssSampler) Stop() float64 {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return float64(s.peak) / (1 << 20)
}

// normalTraffic sends a batch of normal traces every interval until stopped
// and remembers every trace the collector acknowledged.
type normalTraffic struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	acked  []pcommon.TraceID
	failed int
}

func startNormalTraffic(t *testing.T, c *collectortest.Collector, next *atomic.Uint64, every time.Duration) *normalTraffic {
	ctx, cancel := context.WithCancel(context.Background())
	n := &normalTraffic{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(n.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			td := ptrace.NewTraces()
			ids := make([]pcommon.TraceID, 10)
			for i := range ids {
				ids[i] = tracetest.TraceID(next.Add(1))
				tracetest.Append(td, ids[i], tracetest.FiveServices()...)
			}
			err := c.Export(ctx, td)
			if err != nil && ctx.Err() != nil {
				return // cut short by Stop: neither acknowledged nor refused
			}
			n.mu.Lock()
			if err != nil {
				n.failed++
			} else {
				n.acked = append(n.acked, ids...)
			}
			n.mu.Unlock()
		}
	}()
	return n
}

func (n *normalTraffic) Stop() ([]pcommon.TraceID, int) {
	n.cancel()
	<-n.done
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.acked, n.failed
}
