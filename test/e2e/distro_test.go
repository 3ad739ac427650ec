//go:build e2e

// Package e2e tests the built distribution as a whole process.
package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/summary"
	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/loadgen"
)

// The components the distribution promises (issue: distro and harness).
func TestComponentsListed(t *testing.T) {
	out, err := exec.Command(collectortest.Binary(t), "components").CombinedOutput()
	if err != nil {
		t.Fatalf("components: %v\n%s", err, out)
	}
	for _, name := range []string{
		"otlp", "batch", "memory_limiter", "tail_sampling",
		"otlp_grpc", "otlp_http", "debug", "file", "load_balancing",
		"health_check", "zpages", "pprof", "file_storage", "tracemap", "bearertokenauth",
	} {
		if !bytes.Contains(out, []byte("- name: "+name+"\n")) {
			t.Errorf("component %q missing from `components`", name)
		}
	}
}

func TestDefaultConfigValidates(t *testing.T) {
	root, err := collectortest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(collectortest.Binary(t), "validate", "--config", filepath.Join(root, "distro", "config.yaml")).CombinedOutput()
	if err != nil {
		t.Fatalf("distro/config.yaml does not validate: %v\n%s", err, out)
	}
}

// A bad config must stop the collector at startup with the offending key named.
func TestBadConfigNamesTheKey(t *testing.T) {
	for name, tc := range map[string]struct{ cfg, want string }{
		"unknown key": {
			cfg:  "processors:\n  batch:\n    send_batch_sizee: 10\n",
			want: "send_batch_sizee",
		},
		"invalid value": {
			cfg:  "processors:\n  batch:\n    timeout: soon\n",
			want: "timeout",
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.yaml")
			cfg := "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:0\n" + tc.cfg +
				"exporters:\n  debug:\nservice:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [debug]\n"
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(collectortest.Binary(t), "--config", path)
			done := make(chan struct{})
			var out []byte
			var err error
			go func() { out, err = cmd.CombinedOutput(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatal("collector with a bad config did not exit")
			}
			if err == nil {
				t.Fatalf("collector accepted a bad config:\n%s", out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Fatalf("error does not name %q:\n%s", tc.want, out)
			}
		})
	}
}

const passThrough = `
receivers:
  otlp:
    protocols:
      grpc:
      http:
exporters:
  file:
    path: {{.Dir}}/traces.jsonl
    flush_interval: 100ms
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [file]
`

// Spans sent over OTLP/gRPC, OTLP/HTTP protobuf and OTLP/JSON all come out
// of the file exporter, none lost, none doubled.
func TestSpansInEqualSpansOut(t *testing.T) {
	c := collectortest.Start(t, passThrough)
	gen, err := loadgen.NewGenerator(loadgen.Shape{Services: 5, Depth: 3, Fanout: 2, ErrorShare: 0.2, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	viaGRPC, viaHTTP := gen.Traces(40), gen.Traces(30)
	c.SendGRPC(t, viaGRPC)
	c.SendHTTP(t, viaHTTP)

	jsonTraces := gen.Traces(5)
	doc, err := (&ptrace.JSONMarshaler{}).MarshalTraces(jsonTraces)
	if err != nil {
		t.Fatal(err)
	}
	jsonPath := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(jsonPath, append(doc, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	c.SendJSONFile(t, jsonPath)

	want := viaGRPC.SpanCount() + viaHTTP.SpanCount() + jsonTraces.SpanCount()
	if perTrace := (loadgen.Shape{Depth: 3, Fanout: 2}).SpansPerTrace(); want != 75*perTrace {
		t.Fatalf("generator made %d spans", want)
	}
	out := filepath.Join(c.Dir, "traces.jsonl")
	collectortest.Eventually(t, 20*time.Second, func() bool {
		return collectortest.ReadTraces(t, out).SpanCount() >= want
	})
	c.Stop(t)
	got := collectortest.ReadTraces(t, out)
	if got.SpanCount() != want {
		t.Fatalf("file exporter wrote %d spans, sent %d", got.SpanCount(), want)
	}
	if ids := spanIDs(got); len(ids) != want {
		t.Fatalf("%d distinct spans out of %d written", len(ids), want)
	}
}

const sampling = `
receivers:
  otlp:
    protocols:
      grpc:
processors:
  tail_sampling:
    decision_wait: 1s
    policies:
      - name: errors
        type: status_code
        status_code:
          status_codes: [ERROR]
      - name: share
        type: probabilistic
        probabilistic:
          sampling_percentage: 25
exporters:
  file:
    path: {{.Dir}}/traces.jsonl
    flush_interval: 100ms
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [tail_sampling]
      exporters: [file]
`

// tail_sampling keeps every trace with an ERROR span and about the
// configured share of the others.
func TestTailSamplingKeepsErrorsAndAShare(t *testing.T) {
	c := collectortest.Start(t, sampling)
	gen, err := loadgen.NewGenerator(loadgen.Shape{Services: 4, Depth: 1, Fanout: 2, ErrorShare: 0.1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	in := gen.Traces(2000)
	errTraces, okTraces := classify(in)
	c.SendGRPC(t, in)

	// The global count has one decision per trace, sampled or not.
	decided := func() bool {
		return c.Metric(t, "otelcol_processor_tail_sampling_global_count_traces_sampled") >= float64(len(errTraces)+len(okTraces))
	}
	collectortest.Eventually(t, 30*time.Second, decided)
	time.Sleep(500 * time.Millisecond) // the file exporter flushes every 100ms
	c.Stop(t)

	kept := traceIDs(collectortest.ReadTraces(t, filepath.Join(c.Dir, "traces.jsonl")))
	for id := range errTraces {
		if !kept[id] {
			t.Fatalf("trace %s has an ERROR span but was dropped", id)
		}
	}
	keptOK := 0
	for id := range okTraces {
		if kept[id] {
			keptOK++
		}
	}
	// 25% of the error-free traces; the sampler hashes trace IDs, so for this
	// seed the count is fixed, and within 4 standard deviations of 25% anyway.
	n := len(okTraces)
	lo, hi := n/4-4*10, n/4+4*10
	if keptOK < lo || keptOK > hi {
		t.Fatalf("kept %d of %d error-free traces, want about 25%% (%d..%d)", keptOK, n, lo, hi)
	}
	t.Logf("kept %d error traces and %d of %d others", len(errTraces), keptOK, n)
}

func classify(td ptrace.Traces) (withError, without map[pcommon.TraceID]bool) {
	withError, without = map[pcommon.TraceID]bool{}, map[pcommon.TraceID]bool{}
	eachSpan(td, func(s ptrace.Span) {
		if s.Status().Code() == ptrace.StatusCodeError {
			withError[s.TraceID()] = true
		}
	})
	eachSpan(td, func(s ptrace.Span) {
		if !withError[s.TraceID()] {
			without[s.TraceID()] = true
		}
	})
	return withError, without
}

func traceIDs(td ptrace.Traces) map[pcommon.TraceID]bool {
	ids := map[pcommon.TraceID]bool{}
	eachSpan(td, func(s ptrace.Span) { ids[s.TraceID()] = true })
	return ids
}

func spanIDs(td ptrace.Traces) map[[24]byte]bool {
	ids := map[[24]byte]bool{}
	eachSpan(td, func(s ptrace.Span) {
		var k [24]byte
		tid, sid := s.TraceID(), s.SpanID()
		copy(k[:16], tid[:])
		copy(k[16:], sid[:])
		ids[k] = true
	})
	return ids
}

func eachSpan(td ptrace.Traces, f func(ptrace.Span)) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				f(s)
			}
		}
	}
}

// `make run`'s config accepts OTLP and writes what it keeps under ./out/.
func TestDefaultConfigWritesOut(t *testing.T) {
	root, err := collectortest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(root, "distro", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := collectortest.Start(t, collectortest.Literal(string(cfg)))
	gen, err := loadgen.NewGenerator(loadgen.Shape{Services: 3, Depth: 2, Fanout: 1, ErrorShare: 1, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	in := gen.Traces(20) // every trace fails, so the errors policy keeps all
	c.SendGRPC(t, in)
	out := filepath.Join(c.Dir, "traces.jsonl")
	// decision_wait is 10s in the default config.
	collectortest.Eventually(t, 40*time.Second, func() bool {
		return collectortest.ReadTraces(t, out).SpanCount() >= in.SpanCount()
	})
	c.Stop(t)
	got := collectortest.ReadTraces(t, out)
	if got.SpanCount() != in.SpanCount() {
		t.Fatalf("./out/traces.jsonl holds %d spans, sent %d", got.SpanCount(), in.SpanCount())
	}
	// heatmap and layout annotated what passed: every root carries its
	// trace's service graph, every resource its service's error rate.
	roots := 0
	for _, rs := range got.ResourceSpans().All() {
		if _, ok := rs.Resource().Attributes().Get("tracemap.service.error_rate"); !ok {
			t.Fatal("resource without tracemap.service.error_rate: heatmap not in the default pipeline")
		}
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				if _, ok := s.Attributes().Get("tracemap.dag"); ok {
					roots++
				}
			}
		}
	}
	if roots != 20 {
		t.Fatalf("%d root spans carry tracemap.dag, want 20", roots)
	}
	// The default draws each window's exemplars: a bounded set, each one
	// listed in the window summary.
	pictures, _ := filepath.Glob(filepath.Join(c.Dir, "windows", "*", "*", "exemplars", "*.svg"))
	summaries, _ := filepath.Glob(filepath.Join(c.Dir, "windows", "*", "*", "summary-*.json"))
	var traces, exemplars int64
	for _, p := range summaries {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s, err := summary.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		traces += s.Traces
		exemplars += int64(len(s.Exemplars))
	}
	if traces != 20 || exemplars == 0 || exemplars > 16*int64(len(summaries)) || int64(len(pictures)) != exemplars {
		t.Fatalf("%d summaries count %d traces and %d exemplars; %d pictures under ./out/windows/", len(summaries), traces, exemplars, len(pictures))
	}
}
