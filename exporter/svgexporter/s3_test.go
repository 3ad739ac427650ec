package svgexporter

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"go/build"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"gocloud.dev/blob"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/bucket"
	"github.com/tracemap/tracemap/internal/tracetest"
)

const (
	s3AccessKey = "tracemapaccess"
	s3SecretKey = "tracemapsecret0123456789"
	s3Bucket    = "pictures"
)

// versitygw is a real S3 server (github.com/versity/versitygw) on a random
// loopback port, storing into a temporary directory.
type versitygw struct {
	bin, addr, dir string
	cmd            *exec.Cmd
}

// findVersitygw looks on PATH, in GOPATH/bin and in the repository's bin/
// (where `make tools` puts it).
func findVersitygw(t *testing.T) string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		gopath = build.Default.GOPATH
	}
	for _, p := range []string{filepath.Join(gopath, "bin", "versitygw"), filepath.Join("..", "..", "bin", "versitygw")} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("versitygw not found on PATH, in $GOPATH/bin or bin/: install it with `go install github.com/versity/versitygw/cmd/versitygw@v1.8.0` to run the S3 integration tests")
	return ""
}

func startVersitygw(t *testing.T) *versitygw {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	g := &versitygw{bin: findVersitygw(t), addr: addr, dir: t.TempDir()}
	g.start(t)
	t.Cleanup(g.stop)

	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://" + addr),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s3AccessKey, s3SecretKey, ""),
	})
	if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(s3Bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	// The exporter finds its credentials the usual AWS way.
	t.Setenv("AWS_ACCESS_KEY_ID", s3AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3SecretKey)
	return g
}

func (g *versitygw) start(t *testing.T) {
	t.Helper()
	g.cmd = exec.Command(g.bin, "--port", g.addr, "posix", g.dir)
	g.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s3AccessKey, "ROOT_SECRET_KEY="+s3SecretKey)
	var out strings.Builder
	g.cmd.Stdout, g.cmd.Stderr = &out, &out
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.Dial("tcp", g.addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			g.stop()
			t.Fatalf("versitygw did not listen on %s: %v\n%s", g.addr, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (g *versitygw) stop() {
	if g.cmd != nil && g.cmd.Process != nil {
		_ = g.cmd.Process.Kill()
		_ = g.cmd.Wait()
		g.cmd = nil
	}
}

func (g *versitygw) url() string {
	return fmt.Sprintf("s3://%s?endpoint=http://%s&use_path_style=true&region=us-east-1", s3Bucket, g.addr)
}

func openS3(t *testing.T, g *versitygw) *blob.Bucket {
	t.Helper()
	b, err := bucket.Open(context.Background(), g.url())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestS3WriteAndReadBack(t *testing.T) {
	g := startVersitygw(t)
	cfg := testConfig(g.url())
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
	if n := h.sum(t, "tracemap.svg.traces.skipped", "reason", "fragment"); n != 1 {
		t.Fatalf("fragments skipped = %d, want 1", n)
	}
}

// TestS3DownThenUp stops the S3 server while traces arrive: the exporter
// helper queues and retries them, the failed attempts are counted, and once
// the server is back every picture is there.
func TestS3DownThenUp(t *testing.T) {
	g := startVersitygw(t)
	cfg := testConfig(g.url())
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
	g.stop()
	for i := uint64(2); i <= 6; i++ {
		if err := h.exp.ConsumeTraces(context.Background(), plain(i, "during", 1000, false)); err != nil {
			t.Fatalf("ConsumeTraces while storage is down = %v; want it queued", err)
		}
	}
	waitFor(t, 30*time.Second, func() bool { return h.sum(t, "tracemap.svg.write.errors", "kind", "trace") >= 5 })
	g.start(t)
	waitFor(t, 30*time.Second, func() bool { return h.sum(t, "tracemap.svg.traces.rendered") == 6 })
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
