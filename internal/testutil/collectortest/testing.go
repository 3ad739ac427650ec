package collectortest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Binary returns the distribution binary, built once per test process.
func Binary(t testing.TB) string {
	t.Helper()
	requireE2E(t)
	p, err := DistroPath()
	if err != nil {
		t.Fatalf("distro binary: %v", err)
	}
	return p
}

// requireE2E fails a test that runs a collector process without being in
// the e2e tier, so `go test ./processor/heatmap` never starts an ocb build.
func requireE2E(t testing.TB) {
	t.Helper()
	if !e2eTier {
		t.Fatal("this test runs a collector: its file must start with `//go:build e2e` (make test passes -tags e2e; make test-unit and plain go test do not build the distro)")
	}
}

// Start launches the distribution with cfgTemplate (see Launch for the
// template fields) and stops it when the test ends if the test did not.
func Start(t testing.TB, cfgTemplate string) *Collector {
	t.Helper()
	return StartBinary(t, Binary(t), cfgTemplate)
}

// StartBinary is Start with another collector binary, e.g. a plain
// collector built without tracemap's components.
func StartBinary(t testing.TB, bin, cfgTemplate string) *Collector {
	t.Helper()
	requireE2E(t)
	c, err := Launch(bin, cfgTemplate, t.TempDir())
	if err != nil {
		t.Fatalf("launch collector: %v", err)
	}
	cleanupOnEnd(t, c)
	return c
}

// Restart starts c again after it stopped or was killed, in the same
// working directory and on the same ports (see Relaunch).
func (c *Collector) Restart(t testing.TB) *Collector {
	t.Helper()
	c2, err := c.Relaunch()
	if err != nil {
		t.Fatalf("restart collector: %v", err)
	}
	cleanupOnEnd(t, c2)
	return c2
}

func cleanupOnEnd(t testing.TB, c *Collector) {
	t.Cleanup(func() {
		if !c.Exited() {
			c.Kill()
		}
		if t.Failed() {
			t.Logf("collector log %s (last lines):\n%s", c.LogPath, c.LogTail(60))
		}
	})
}

// SendGRPC sends td over OTLP/gRPC and fails the test on error.
func (c *Collector) SendGRPC(t testing.TB, td ptrace.Traces) {
	t.Helper()
	if err := c.sendGRPC(context.Background(), td); err != nil {
		t.Fatalf("OTLP/gRPC export: %v", err)
	}
}

// SendHTTP sends td over OTLP/HTTP protobuf and fails the test on error.
func (c *Collector) SendHTTP(t testing.TB, td ptrace.Traces) {
	t.Helper()
	if err := c.sendHTTP(context.Background(), td); err != nil {
		t.Fatalf("OTLP/HTTP export: %v", err)
	}
}

// Metric returns a metric of the collector's own telemetry, summed over its
// label sets; 0 when the collector has not reported it yet.
func (c *Collector) Metric(t testing.TB, name string) float64 {
	t.Helper()
	m, err := c.Metrics()
	if err != nil {
		t.Fatalf("scrape collector metrics: %v", err)
	}
	return m[name]
}

// MetricWith sums the series of a metric whose labels contain label (e.g.
// `exporter="svg"`), whatever other labels they carry.
func (c *Collector) MetricWith(t testing.TB, name, label string) float64 {
	t.Helper()
	m, err := c.Metrics()
	if err != nil {
		t.Fatalf("scrape collector metrics: %v", err)
	}
	var sum float64
	for series, v := range m {
		if strings.HasPrefix(series, name+"{") && strings.Contains(series, label) {
			sum += v
		}
	}
	return sum
}

// Stop sends SIGTERM and fails the test unless the collector exits cleanly.
func (c *Collector) Stop(t testing.TB) {
	t.Helper()
	if err := c.Shutdown(30 * time.Second); err != nil {
		t.Fatalf("stop collector: %v\n%s", err, c.LogTail(40))
	}
}

// ReadTraces reads what the file exporter wrote (one OTLP/JSON document per
// line) into one Traces; a missing file reads as empty.
func ReadTraces(t testing.TB, path string) ptrace.Traces {
	t.Helper()
	all := ptrace.NewTraces()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return all
	}
	if err != nil {
		t.Fatal(err)
	}
	var u ptrace.JSONUnmarshaler
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		td, err := u.UnmarshalTraces(sc.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return all
}

// SendJSONFile posts an OTLP/JSON file, one document per line, over OTLP/HTTP.
func (c *Collector) SendJSONFile(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := c.sendJSON(context.Background(), line); err != nil {
			t.Fatalf("%s: OTLP/JSON export: %v", path, err)
		}
	}
}

// Eventually polls cond until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// SVGText parses a picture back as XML, failing the test when it is not
// well-formed, and returns its character data (labels and tooltips).
func SVGText(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return text.String()
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", path, err)
		}
		if cd, ok := tok.(xml.CharData); ok {
			text.Write(cd)
			text.WriteByte(' ')
		}
	}
}
