//go:build e2e

// Package chain checks that tracemap chains with collectors that know
// nothing about it: its output leaves through the otlp exporter into a plain
// collector (built by ocb from builder-config.yaml here: the same core and
// contrib versions, none of tracemap's components) and arrives with every
// tracemap.* attribute intact, while the svg exporter draws the same traces
// in the same pipeline.
package chain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.yaml.in/yaml/v3"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// plainCollector returns the plain collector binary: $TRACEMAP_PLAIN_COLLECTOR
// when set, else an ocb build of builder-config.yaml cached in the user's
// cache directory under the manifest's hash (first build about a minute with
// a warm module cache, then free).
func plainCollector(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TRACEMAP_PLAIN_COLLECTOR"); p != "" {
		return p
	}
	root, err := collectortest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(root, "test", "chain", "builder-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(manifest)
	dir := filepath.Join(cache, "tracemap", "plaincol-"+hex.EncodeToString(sum[:6]))
	bin := filepath.Join(dir, "otelcol-plain")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	ocb := filepath.Join(root, "bin", "builder")
	if _, err := os.Stat(ocb); err != nil {
		t.Fatalf("ocb not found at %s: `make build` installs it (or set TRACEMAP_PLAIN_COLLECTOR)", ocb)
	}
	var m map[string]any
	if err := yaml.Unmarshal(manifest, &m); err != nil {
		t.Fatal(err)
	}
	m["dist"].(map[string]any)["output_path"] = dir
	out, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "builder-config.yaml")
	if err := os.WriteFile(cfg, out, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cmd := exec.Command(ocb, "--config", cfg)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ocb build of the plain collector: %v\n%s", err, out)
	}
	t.Logf("built the plain collector in %s into %s", time.Since(start).Round(time.Second), dir)
	return bin
}

const plainConfig = `
receivers:
  otlp:
    protocols:
      grpc:
exporters:
  file:
    path: {{.Dir}}/plain.jsonl
    flush_interval: 100ms
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [file]
`

// The full tracemap pipeline; what leaves it is also written down locally
// (file/local) to compare with what arrives downstream.
const tracemapConfig = `
receivers:
  otlp:
    protocols:
      grpc:
processors:
  memory_limiter:
    check_interval: 1s
    limit_mib: 512
    spike_limit_mib: 128
  heatmap:
    min_spans: 1
  tail_sampling:
    decision_wait: 1s
    policies:
      - name: all
        type: always_sample
  heatmap/annotate:
    mode: annotate
    source: heatmap
  layout:
exporters:
  svg:
    mode: all # a picture per trace: the tests count them
    bucket: file://{{.Dir}}/svg
    key: '{{"{{.TraceID}}"}}.svg'
    service_map: {enabled: false}
  otlp_grpc:
    endpoint: PLAIN
    tls: {insecure: true}
  file/local:
    path: {{.Dir}}/local.jsonl
    flush_interval: 100ms
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, heatmap, tail_sampling, heatmap/annotate, layout]
      exporters: [svg, otlp_grpc, file/local]
`

// Every attribute of shared/DESIGN.md's table that these traces must carry.
var (
	resourceAttrs = []string{
		"tracemap.service.span_count", "tracemap.service.error_count", "tracemap.service.error_rate",
		"tracemap.service.latency.p50_ms", "tracemap.service.latency.p90_ms", "tracemap.service.latency.p99_ms",
		"tracemap.service.hot",
	}
	spanAttrs = []string{
		"tracemap.operation.error_rate", "tracemap.operation.latency.p99_ms",
		"tracemap.edge.calls", "tracemap.edge.error_rate", "tracemap.edge.latency.p99_ms",
		"tracemap.depth", "tracemap.offset_ns", "tracemap.skew_ns", "tracemap.critical",
		"tracemap.self_ns", "tracemap.orphan", "tracemap.dag",
	}
)

// tracemapAttrs is every tracemap.* attribute in td, keyed by where it sits:
// "<trace>/<span>/<key>" for spans, "<trace>/<span>/resource/<key>" for the
// resource of the span, with the value as its JSON-ish string.
func tracemapAttrs(td ptrace.Traces) map[string]string {
	out := map[string]string{}
	put := func(prefix string, attrs pcommon.Map) {
		for k, v := range attrs.All() {
			if strings.HasPrefix(k, "tracemap.") {
				out[prefix+k] = v.Type().String() + ":" + v.AsString()
			}
		}
	}
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		rs := rss.At(i)
		sss := rs.ScopeSpans()
		for j := range sss.Len() {
			spans := sss.At(j).Spans()
			for k := range spans.Len() {
				s := spans.At(k)
				prefix := s.TraceID().String() + "/" + s.SpanID().String() + "/"
				put(prefix, s.Attributes())
				put(prefix+"resource/", rs.Resource().Attributes())
			}
		}
	}
	return out
}

func TestTracemapOutputThroughPlainCollector(t *testing.T) {
	plain := collectortest.StartBinary(t, plainCollector(t), plainConfig)
	tm := collectortest.Start(t, strings.Replace(tracemapConfig, "PLAIN", plain.GRPC, 1))

	const traces = 20
	td := ptrace.NewTraces()
	for i := range traces {
		spans := tracetest.FiveServices()
		// An orphan: its parent never arrives.
		spans = append(spans, tracetest.S(9, 8, "shipping", "late callback", 900, 950))
		tracetest.Append(td, tracetest.TraceID(uint64(i)+1), spans...)
	}
	tm.SendGRPC(t, td)
	const spans = traces * 8

	collectortest.Eventually(t, 30*time.Second, func() bool {
		return plain.Metric(t, "otelcol_receiver_accepted_spans") == spans &&
			tm.Metric(t, "otelcol_exporter_svg_traces_rendered") == traces
	})
	time.Sleep(300 * time.Millisecond) // file exporters flush every 100ms
	tm.Stop(t)
	plain.Stop(t)

	local := tracemapAttrs(collectortest.ReadTraces(t, filepath.Join(tm.Dir, "local.jsonl")))
	remote := tracemapAttrs(collectortest.ReadTraces(t, filepath.Join(plain.Dir, "plain.jsonl")))
	if len(remote) != len(local) {
		t.Errorf("%d tracemap attribute values downstream, %d as they left tracemap", len(remote), len(local))
	}
	for k, v := range local {
		if remote[k] != v {
			t.Errorf("%s: %q downstream, %q as it left tracemap", k, remote[k], v)
		}
	}
	seen := map[string]int{}
	for k := range remote {
		seen[k[strings.LastIndexByte(k, '/')+1:]]++
	}
	for _, k := range append(resourceAttrs, spanAttrs...) {
		if seen[k] == 0 {
			t.Errorf("%s never arrived downstream", k)
		}
	}
	// Exact values that survive the hop: one DAG per trace on its root, every
	// span of the trace with a depth, the orphan marked.
	if n := seen["tracemap.dag"]; n != traces {
		t.Errorf("tracemap.dag on %d spans downstream, want one root per trace (%d)", n, traces)
	}
	if n := seen["tracemap.depth"]; n != spans {
		t.Errorf("tracemap.depth on %d spans downstream, want all %d", n, spans)
	}
	orphan := fmt.Sprintf("%s/%s/tracemap.orphan", tracetest.TraceID(1), tracetest.SpanID(9))
	if remote[orphan] != "Bool:true" {
		t.Errorf("%s = %q downstream, want Bool:true", orphan, remote[orphan])
	}
	entries, err := os.ReadDir(filepath.Join(tm.Dir, "svg"))
	if err != nil {
		t.Fatal(err)
	}
	var pictures int
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".svg") {
			pictures++
		}
	}
	if pictures != traces {
		t.Errorf("svg beside the otlp exporter drew %d pictures, want %d", pictures, traces)
	}
}
