package svgexporter

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"gocloud.dev/blob"

	"github.com/tracemap/tracemap/internal/bucket"
	"github.com/tracemap/tracemap/internal/testutil/s3test"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

func openS3(t *testing.T, g *s3test.Server) *blob.Bucket {
	t.Helper()
	b, err := bucket.Open(context.Background(), g.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestS3WriteAndReadBack(t *testing.T) {
	g := s3test.Start(t)
	cfg := testConfig(g.URL())
	cfg.Gzip = true
	h := start(t, cfg)
	if err := h.exp.ConsumeTraces(context.Background(), checkout(1)); err != nil {
		t.Fatal(err)
	}
	h.stop(t)

	b := openS3(t, g)
	ctx := context.Background()
	key := t0Dir + "221320-frontend-00000000000000000000000000000001.svg"
	attrs, err := b.Attributes(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if attrs.ContentType != "image/svg+xml" || attrs.ContentEncoding != "gzip" {
		t.Fatalf("content type %q, encoding %q", attrs.ContentType, attrs.ContentEncoding)
	}
	if text := parseSVG(t, readGzip(t, b, key)); !strings.Contains(text, "00000000000000000000000000000001") {
		t.Fatal("picture read back from S3 lacks the trace ID")
	}
	data, err := b.ReadAll(ctx, t0Dir+"index.json")
	if err != nil || !strings.Contains(string(data), `"trace_id": "00000000000000000000000000000001"`) {
		t.Fatalf("index.json = %s, %v", data, err)
	}
	if a, err := b.Attributes(ctx, t0Dir+"index.html"); err != nil || a.ContentType != "text/html; charset=utf-8" {
		t.Fatalf("index.html attributes %+v, %v", a, err)
	}

	// A late fragment of a trace must not replace its picture: a conditional
	// write (If-None-Match), which the server must honour.
	cfg.Key = "{{.TraceID}}.svg"
	h = start(t, cfg)
	late := tracetest.Traces(tracetest.TraceID(1), tracetest.S(9, 3, "late", "late work", 20, 30))
	for _, td := range []ptrace.Traces{checkout(1), late} {
		if err := h.exp.ConsumeTraces(context.Background(), td); err != nil {
			t.Fatal(err)
		}
	}
	h.stop(t)
	if text := parseSVG(t, readGzip(t, b, "00000000000000000000000000000001.svg")); !strings.Contains(text, "payment") || strings.Contains(text, "late work") {
		t.Fatal("the late fragment replaced the picture")
	}
	if n := h.sum(t, "otelcol_exporter_svg_traces_skipped", "reason", "fragment"); n != 1 {
		t.Fatalf("fragments skipped = %d, want 1", n)
	}
}

// TestS3DownThenUp stops the S3 server while traces arrive: the exporter
// helper queues and retries them, the failed attempts are counted, and once
// the server is back every picture is there.
func TestS3DownThenUp(t *testing.T) {
	g := s3test.Start(t)
	cfg := testConfig(g.URL())
	q := exporterhelper.NewDefaultQueueConfig()
	q.NumConsumers = 2
	cfg.QueueConfig = configoptional.Some(q)
	cfg.BackOffConfig.Enabled = true
	cfg.BackOffConfig.InitialInterval = 50 * time.Millisecond
	cfg.BackOffConfig.MaxInterval = 200 * time.Millisecond
	cfg.BackOffConfig.MaxElapsedTime = time.Minute
	cfg.Timeout = 2 * time.Second
	h := start(t, cfg)

	if err := h.exp.ConsumeTraces(context.Background(), plain(1, "before", 1000, false)); err != nil {
		t.Fatal(err)
	}
	g.Stop()
	for i := uint64(2); i <= 6; i++ {
		if err := h.exp.ConsumeTraces(context.Background(), plain(i, "during", 1000, false)); err != nil {
			t.Fatalf("ConsumeTraces while storage is down = %v; want it queued", err)
		}
	}
	waitFor(t, 30*time.Second, func() bool { return h.sum(t, "otelcol_exporter_svg_write_errors", "kind", "trace") >= 5 })
	g.Start(t)
	waitFor(t, 30*time.Second, func() bool { return h.sum(t, "otelcol_exporter_svg_traces_rendered") == 6 })
	h.stop(t)

	b := openS3(t, g)
	ctx := context.Background()
	for i := 1; i <= 6; i++ {
		svc := "during"
		if i == 1 {
			svc = "before"
		}
		key := fmt.Sprintf("%s221320-%s-%032x.svg", t0Dir, svc, i)
		data, err := b.ReadAll(ctx, key)
		if err != nil {
			t.Fatalf("picture %d lost: %v", i, err)
		}
		parseSVG(t, data)
	}
	data, err := b.ReadAll(ctx, t0Dir+"index.json")
	if err != nil || strings.Count(string(data), `"kind": "trace"`) != 6 {
		t.Fatalf("index.json = %s, %v", data, err)
	}
	if sent, failed := h.sum(t, "otelcol_exporter_sent_spans"), h.sum(t, "otelcol_exporter_send_failed_spans"); sent != 12 || failed != 0 {
		t.Fatalf("exporter helper: %d spans sent, %d given up; want 12 and 0", sent, failed)
	}
}

// readGzip reads a gzip-compressed object and returns its content.
func readGzip(t *testing.T, b *blob.Bucket, key string) []byte {
	t.Helper()
	r, err := b.NewReader(context.Background(), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	zr, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func waitFor(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(errors.New("condition not met in time"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
