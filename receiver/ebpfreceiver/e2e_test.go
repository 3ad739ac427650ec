//go:build linux && amd64 && e2e

package ebpfreceiver_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

// e2eConfig names the programs by their file names, %[1]s the frontend's
// and %[2]s the backend's.
const e2eConfig = `
receivers:
  ebpf:
    names: [%[1]s, %[2]s]
    service_names:
      %[1]s: shop-frontend
exporters:
  file:
    path: {{.Dir}}/traces.jsonl
    flush_interval: 100ms
service:
  pipelines:
    traces:
      receivers: [ebpf]
      exporters: [file]
`

// The distribution traces two uninstrumented processes: one request through
// frontend -> backend comes out of the file exporter as one trace of three
// spans, and the receiver's telemetry counts them.
func TestE2EDistroTracesUninstrumentedPrograms(t *testing.T) {
	targettest.RequireBPF(t)
	back := targettest.Start(t, targettest.Build(t, "backend", false))
	front := targettest.Start(t, targettest.Build(t, "frontend", false), "-backend", back.URL)
	backend := targettest.Name("backend")
	c := collectortest.Start(t, fmt.Sprintf(e2eConfig, targettest.Name("frontend"), backend))
	collectortest.Eventually(t, 10*time.Second, func() bool {
		return c.Metric(t, "otelcol_receiver_ebpf_attached_processes") == 2
	})

	resp, err := http.Get(front.URL + "/call?to=/users/9")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	path := filepath.Join(c.Dir, "traces.jsonl")
	// The metrics are recorded once the exporter has taken the batch.
	collectortest.Eventually(t, 10*time.Second, func() bool {
		return collectortest.ReadTraces(t, path).SpanCount() >= 3 &&
			c.Metric(t, "otelcol_receiver_accepted_spans") >= 3 && c.Metric(t, "otelcol_receiver_ebpf_spans") >= 3
	})
	time.Sleep(300 * time.Millisecond) // anything extra would show up by now
	for _, name := range []string{"otelcol_receiver_accepted_spans", "otelcol_receiver_ebpf_spans"} {
		if got := c.Metric(t, name); got != 3 {
			t.Errorf("%s = %v, want 3", name, got)
		}
	}
	c.Stop(t)

	td := collectortest.ReadTraces(t, path)
	type span struct {
		svc  string
		span ptrace.Span
	}
	byName := map[string]span{}
	for _, rs := range td.ResourceSpans().All() {
		svc, _ := rs.Resource().Attributes().Get("service.name")
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				byName[svc.Str()+" "+s.Name()] = span{svc.Str(), s}
			}
		}
	}
	fs, fc, bs := byName["shop-frontend GET /call"], byName["shop-frontend GET"], byName[backend+" GET /users/{id}"]
	if td.SpanCount() != 3 || fs.svc == "" || fc.svc == "" || bs.svc == "" {
		t.Fatalf("spans %v", byName)
	}
	if fc.span.ParentSpanID() != fs.span.SpanID() || bs.span.ParentSpanID() != fc.span.SpanID() ||
		fs.span.TraceID() != bs.span.TraceID() || !fs.span.ParentSpanID().IsEmpty() {
		t.Errorf("not one trace frontend server -> client -> backend server")
	}
	if v, _ := bs.span.Attributes().Get("tracemap.source"); v.Str() != "ebpf" {
		t.Errorf("tracemap.source = %q", v.Str())
	}
}
