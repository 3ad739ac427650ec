//go:build e2e

package svgexporter_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/index"
	"github.com/tracemap/tracemap/internal/summary"
	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// These tests run the built distribution (collectortest builds it once, or
// takes $TRACEMAP_DISTRO); they need no root.

const e2eDay = "traces/2023-11-14"

func e2eTraces() ptrace.Traces {
	td := tracetest.Traces(tracetest.TraceID(1), tracetest.FiveServices()...)
	tracetest.Append(td, tracetest.TraceID(2),
		tracetest.S(1, 0, "</title><script>alert(1)</script>", "../../etc/passwd", 0, 4000).Of(ptrace.SpanKindServer).Err(),
		tracetest.S(2, 1, "\x00\u202edb", "]]>", 100, 3900))
	return td
}

// xmlRoot parses a file as XML (HTML rules for .html), failing on any
// error, and returns the root element's name and the character data.
func xmlRoot(t *testing.T, path string) (string, string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	if strings.HasSuffix(path, ".html") {
		dec.Strict, dec.AutoClose, dec.Entity = false, xml.HTMLAutoClose, xml.HTMLEntity
	}
	var root string
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return root, text.String()
		}
		if err != nil {
			t.Fatalf("%s does not parse: %v", path, err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = el.Name.Local
			}
			if el.Name.Local == "script" {
				t.Fatalf("%s holds a <script>", path)
			}
		case xml.CharData:
			text.Write(el)
		}
	}
}

// counter reads one of the exporter's counters; the Prometheus exporter
// adds _total to some names and not to others, so both are summed.
func counter(t *testing.T, c *collectortest.Collector, name string) float64 {
	return c.Metric(t, name) + c.Metric(t, name+"_total")
}

// svgPipeline is a collector config: OTLP in (gRPC and HTTP), the given
// processors section and pipeline list, svg out to {{.Dir}}/pictures.
func svgPipeline(processors, list string) string {
	return `
receivers:
  otlp:
    protocols:
      grpc:
      http:
` + processors + `
exporters:
  svg:
    mode: all
    bucket: file://{{.Dir}}/pictures
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [` + list + `]
      exporters: [svg]
`
}

func TestE2EOTLPInSVGOut(t *testing.T) {
	c := collectortest.Start(t, svgPipeline("", ""))
	c.SendGRPC(t, e2eTraces())
	c.SendHTTP(t, tracetest.Traces(tracetest.TraceID(3), tracetest.S(1, 0, "frontend", "GET /", 10_000, 20_000)))
	collectortest.Eventually(t, 20*time.Second, func() bool {
		return counter(t, c, "otelcol_exporter_svg_traces_rendered") == 3
	})
	c.Stop(t)

	out := filepath.Join(c.Dir, "pictures")
	pics, _ := filepath.Glob(filepath.Join(out, e2eDay, "*.svg"))
	if len(pics) != 3 {
		t.Fatalf("pictures: %v", pics)
	}
	for _, p := range pics {
		if root, _ := xmlRoot(t, p); root != "svg" {
			t.Fatalf("%s: root %q", p, root)
		}
	}
	_, text := xmlRoot(t, filepath.Join(out, e2eDay, "221320-frontend-00000000000000000000000000000001.svg"))
	for _, want := range []string{"frontend", "checkout", "payment", "inventory", "shipping"} {
		if !strings.Contains(text, want) {
			t.Errorf("checkout picture lacks %q", want)
		}
	}
	data, err := os.ReadFile(filepath.Join(out, e2eDay, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := index.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range m.Entries {
		ids = append(ids, e.TraceID[30:])
	}
	if strings.Join(ids, ",") != "03,02,01" { // newest first
		t.Fatalf("index order %v", ids)
	}
	if root, text := xmlRoot(t, filepath.Join(out, e2eDay, "index.html")); root != "html" || !strings.Contains(text, "GET /checkout") {
		t.Fatalf("index.html root %q, text %q", root, text)
	}
	// Shutdown wrote the partial service-map window.
	maps, _ := filepath.Glob(filepath.Join(out, "servicemaps", "*", "*.svg"))
	if len(maps) != 1 {
		t.Fatalf("service maps: %v", maps)
	}
	if _, text := xmlRoot(t, maps[0]); !strings.Contains(text, "payment") {
		t.Fatal("service map lacks payment")
	}
	// Nothing outside the bucket directory.
	entries, _ := os.ReadDir(c.Dir)
	for _, e := range entries {
		if e.Name() != "pictures" {
			t.Fatalf("unexpected %s next to the bucket", e.Name())
		}
	}
}

// TestE2EFullPipeline: behind heatmap and layout the exporter draws from
// their attributes (tracemap.service.*, tracemap.dag).
func TestE2EFullPipeline(t *testing.T) {
	c := collectortest.Start(t, svgPipeline(`
processors:
  heatmap:
  layout:
    wait: 200ms
`, "heatmap, layout"))
	c.SendGRPC(t, e2eTraces())
	collectortest.Eventually(t, 20*time.Second, func() bool {
		return counter(t, c, "otelcol_exporter_svg_traces_rendered") == 2
	})
	c.Stop(t)
	root, text := xmlRoot(t, filepath.Join(c.Dir, "pictures", e2eDay, "221320-frontend-00000000000000000000000000000001.svg"))
	if root != "svg" || !strings.Contains(text, "payment") || !strings.Contains(text, "shipping") {
		t.Fatalf("picture root %q, text %q", root, text)
	}
}

// TestE2EPersistentQueueRestart: pictures that could not be written when
// the collector stopped are written by the next run, from the file_storage
// queue.
func TestE2EPersistentQueueRestart(t *testing.T) {
	work := t.TempDir()
	out := filepath.Join(work, "pictures")
	queue := filepath.Join(work, "queue")
	for _, d := range []string{out, queue} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A file where the traces directory belongs: every picture write fails
	// (even for root) until it is removed.
	blocker := filepath.Join(out, "traces")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`
extensions:
  file_storage/svg:
    directory: %s
receivers:
  otlp:
    protocols:
      grpc:
exporters:
  svg:
    mode: all
    bucket: file://%s
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 200ms
      max_elapsed_time: 0s
    sending_queue:
      storage: file_storage/svg
service:
  extensions: [file_storage/svg]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [svg]
`, queue, out)

	first := collectortest.Start(t, cfg)
	first.SendGRPC(t, e2eTraces())
	collectortest.Eventually(t, 20*time.Second, func() bool {
		return counter(t, first, "otelcol_exporter_svg_write_errors") >= 2
	})
	first.Stop(t)
	if pics, _ := filepath.Glob(filepath.Join(out, "traces", "*", "*.svg")); len(pics) != 0 {
		t.Fatalf("pictures written while storage was broken: %v", pics)
	}

	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	second := collectortest.Start(t, cfg)
	collectortest.Eventually(t, 20*time.Second, func() bool {
		return counter(t, second, "otelcol_exporter_svg_traces_rendered") == 2
	})
	second.Stop(t)
	pics, _ := filepath.Glob(filepath.Join(out, e2eDay, "*.svg"))
	if len(pics) != 2 {
		t.Fatalf("pictures after restart: %v", pics)
	}
	for _, p := range pics {
		xmlRoot(t, p)
	}
}

// TestE2EExemplarsSurviveRestart: in the default mode the window settled
// at shutdown while storage is broken is spooled in file_storage and
// written by the next run: pictures, trace data, summary, page.
func TestE2EExemplarsSurviveRestart(t *testing.T) {
	work := t.TempDir()
	out := filepath.Join(work, "pictures")
	queue := filepath.Join(work, "queue")
	for _, d := range []string{out, queue} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	blocker := filepath.Join(out, "windows")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`
extensions:
  file_storage/svg:
    directory: %s
receivers:
  otlp:
    protocols:
      grpc:
exporters:
  svg:
    bucket: file://%s
    gateway_id: gw-e2e
    sending_queue:
      storage: file_storage/svg
service:
  extensions: [file_storage/svg]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [svg]
`, queue, out)
	first := collectortest.Start(t, cfg)
	first.SendGRPC(t, e2eTraces())
	collectortest.Eventually(t, 20*time.Second, func() bool {
		return first.Metric(t, "otelcol_exporter_sent_spans")+first.Metric(t, "otelcol_exporter_sent_spans_total") > 0
	})
	first.Stop(t)
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	second := collectortest.Start(t, cfg)
	var summaries []string
	collectortest.Eventually(t, 20*time.Second, func() bool {
		summaries, _ = filepath.Glob(filepath.Join(out, "windows", "*", "*", "summary-gw-e2e.json"))
		return len(summaries) == 1
	})
	second.Stop(t)
	s, err := summary.Decode(readFile(t, summaries[0]))
	if err != nil {
		t.Fatal(err)
	}
	if s.Traces != 2 || len(s.Exemplars) != 2 {
		t.Fatalf("summary: %d traces, %d exemplars", s.Traces, len(s.Exemplars))
	}
	for _, x := range s.Exemplars {
		if root, _ := xmlRoot(t, filepath.Join(out, x.SVG)); root != "svg" {
			t.Fatalf("%s: root %q", x.SVG, root)
		}
		if _, err := os.Stat(filepath.Join(out, x.Data)); err != nil {
			t.Fatal(err)
		}
	}
	if root, text := xmlRoot(t, filepath.Join(filepath.Dir(summaries[0]), "index-gw-e2e.html")); root != "html" || !strings.Contains(text, "payment") {
		t.Fatalf("window page root %q, text %q", root, text)
	}
}

// TestE2EReadmeExampleValidates: the README's example is a config the
// distribution accepts.
func TestE2EReadmeExampleValidates(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README has no yaml example")
	}
	path := filepath.Join(t.TempDir(), "example.yaml")
	if err := os.WriteFile(path, []byte(example), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(collectortest.Binary(t), "validate", "--config", path).CombinedOutput(); err != nil {
		t.Fatalf("README example does not validate: %v\n%s", err, out)
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
