//go:build e2e

package faults

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/s3test"
)

// outage is how long storage stays away: 15s in `make test`, the issue's
// 2 minutes with TRACEMAP_FAULT_OUTAGE=2m.
func outage(t *testing.T) time.Duration {
	t.Helper()
	if v := os.Getenv("TRACEMAP_FAULT_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("TRACEMAP_FAULT_OUTAGE: %v", err)
		}
		return d
	}
	return 15 * time.Second
}

// Object storage unreachable while traces keep coming, then back: the
// pictures wait in the exporter's queue, every failed attempt is counted,
// the queue size shows the backlog, and once storage is back every picture
// is written; nothing is dropped.
func TestObjectStorageDownThenUp(t *testing.T) {
	srv := s3test.Start(t)
	c := startGateway(t, srv.URL())

	var next atomic.Uint64
	sendNormal(t, c, &next, 10)
	collectortest.Eventually(t, 30*time.Second, func() bool { return rendered(t, c) == 10 })

	srv.Stop()
	down := outage(t)
	var maxQueue float64
	start := time.Now()
	for time.Since(start) < down {
		sendNormal(t, c, &next, 5)
		maxQueue = max(maxQueue, c.MetricWith(t, "otelcol_exporter_queue_size", `exporter="svg"`))
		time.Sleep(time.Second)
	}
	sent := int(next.Load())
	retries := c.MetricWith(t, "otelcol_exporter_svg_write_errors", `kind="trace"`)
	if retries == 0 || maxQueue == 0 {
		t.Errorf("outage invisible in telemetry: %v failed writes, queue size at most %v", retries, maxQueue)
	}
	if got := rendered(t, c); got != 10 {
		t.Errorf("%v pictures written while storage was down", got)
	}
	t.Logf("storage down %s: %d traces sent, %v failed write attempts, queue up to %v requests", down, sent-10, retries, maxQueue)

	srv.Start(t)
	collectortest.Eventually(t, 2*time.Minute, func() bool {
		return rendered(t, c) == float64(sent) && c.MetricWith(t, "otelcol_exporter_queue_size", `exporter="svg"`) == 0
	})
	if f := c.MetricWith(t, "otelcol_exporter_send_failed_spans", `exporter="svg"`); f != 0 {
		t.Errorf("svg exporter gave up on %v spans", f)
	}
	c.Stop(t)

	// Every trace is in the bucket, read back through S3.
	keys := map[string]bool{}
	p := s3.NewListObjectsV2Paginator(srv.Client(), &s3.ListObjectsV2Input{Bucket: aws.String(s3test.Bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			if id, ok := strings.CutSuffix(*o.Key, ".svg"); ok {
				keys[id] = true
			}
		}
	}
	if len(keys) != sent {
		t.Errorf("%d pictures in the bucket, %d traces sent", len(keys), sent)
	}
}
