//go:build e2e

package layout_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
	"github.com/tracemap/tracemap/processor/layout"
)

// Through the built distribution: OTLP in, layout with wait, file exporter
// out. Trace 1 arrives whole over gRPC; trace 2 arrives over HTTP in two
// batches, children first, and must still be laid out as one trace.
const e2eConfig = `
receivers:
  otlp:
    protocols:
      grpc:
      http:
processors:
  layout:
    wait: 300ms
    max_traces: 100
exporters:
  file:
    path: {{.Dir}}/traces.jsonl
    flush_interval: 100ms
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [layout]
      exporters: [file]
`

func TestE2ELayoutThroughDistro(t *testing.T) {
	c := collectortest.Start(t, e2eConfig)
	spans := tracetest.FiveServices()
	c.SendGRPC(t, tracetest.Traces(tracetest.TraceID(1), spans...))
	c.SendHTTP(t, tracetest.Traces(tracetest.TraceID(2), spans[2:]...))
	c.SendHTTP(t, tracetest.Traces(tracetest.TraceID(2), spans[:2]...))

	out := filepath.Join(c.Dir, "traces.jsonl")
	collectortest.Eventually(t, 20*time.Second, func() bool {
		return collectortest.ReadTraces(t, out).SpanCount() >= 2*len(spans)
	})
	collectortest.Eventually(t, 10*time.Second, func() bool {
		return c.Metric(t, "otelcol_processor_layout_spans") == float64(2*len(spans))
	})
	if n := c.Metric(t, "otelcol_processor_layout_traces"); n != 2 {
		t.Errorf("traces laid out: %v, want 2", n)
	}
	if n := c.Metric(t, "otelcol_processor_layout_incomplete_releases"); n != 0 {
		t.Errorf("incomplete releases: %v, want 0", n)
	}
	c.Stop(t)

	got := collectortest.ReadTraces(t, out)
	if got.SpanCount() != 2*len(spans) {
		t.Fatalf("file exporter wrote %d spans, want %d", got.SpanCount(), 2*len(spans))
	}
	want := map[string]string{}
	for k, v := range layout.FiveServicesAttrs {
		want[k] = v
		want["2"+strings.TrimPrefix(k, "1")] = v
	}
	layout.CheckAttrs(t, layout.SpanAttrs(got), want)
	for _, id := range []byte{1, 2} {
		td := ptrace.NewTraces()
		got.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
			if rs.ScopeSpans().At(0).Spans().At(0).TraceID()[15] != id ||
				rs.ScopeSpans().At(0).Spans().At(0).Name() != "GET /checkout" {
				return false
			}
			rs.MoveTo(td.ResourceSpans().AppendEmpty())
			return true
		})
		if d := layout.RootDAG(t, td); len(d.Nodes) != 5 || len(d.Edges) != 4 || d.Nodes[0].Name != "frontend" {
			t.Errorf("trace %d: dag %+v", id, d)
		}
	}
}

// A bad layout config stops the distribution at startup naming the key.
func TestE2EBadConfigNamesTheKey(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "bad.yaml")
	bad := strings.Replace(e2eConfig, "max_traces: 100", "max_traces: 100\n    nodes: services\n    max_spans_per_trace: 0", 1)
	bad = strings.ReplaceAll(bad, "{{.Dir}}", t.TempDir())
	if err := os.WriteFile(cfg, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(collectortest.Binary(t), "validate", "--config", cfg).CombinedOutput()
	if err == nil {
		t.Fatalf("validate accepted the config:\n%s", out)
	}
	for _, want := range []string{`nodes: must be "service" or "operation", got "services"`, "max_spans_per_trace: must be at least 1, got 0"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
}
