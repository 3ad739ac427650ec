package layout

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
	"github.com/tracemap/tracemap/processor/layout/internal/metadata"
)

var S = tracetest.S

type harness struct {
	proc processor.Traces
	sink *consumertest.TracesSink
	tel  *componenttest.Telemetry
}

func start(t *testing.T, cfg *Config) *harness {
	t.Helper()
	h := &harness{sink: new(consumertest.TracesSink), tel: componenttest.NewTelemetry()}
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = h.tel.NewTelemetrySettings()
	p, err := NewFactory().CreateTraces(context.Background(), set, cfg, h.sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	h.proc = p
	t.Cleanup(func() {
		_ = p.Shutdown(context.Background())
		_ = h.tel.Shutdown(context.Background())
	})
	return h
}

func (h *harness) send(t *testing.T, td ptrace.Traces) {
	t.Helper()
	if err := h.proc.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
}

// counter reads a counter's value (0 when never recorded).
func (h *harness) counter(t *testing.T, name string) int64 {
	t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	var sum int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		sum += dp.Value
	}
	return sum
}

// spanAttrs maps "trace/span name" to the tracemap.* attributes, printed.
func spanAttrs(tds ...ptrace.Traces) map[string]string {
	out := map[string]string{}
	for _, td := range tds {
		spantree.ForEachSpan(td, func(sp ptrace.Span, _ pcommon.Resource) {
			var kv []string
			sp.Attributes().Range(func(k string, v pcommon.Value) bool {
				if strings.HasPrefix(k, "tracemap.") && k != servicedag.AttrDAG {
					kv = append(kv, strings.TrimPrefix(k, "tracemap.")+"="+v.AsString())
				}
				return true
			})
			if _, ok := sp.Attributes().Get(servicedag.AttrDAG); ok {
				kv = append(kv, "dag")
			}
			sort.Strings(kv)
			out[fmt.Sprintf("%d/%s", sp.TraceID()[15], sp.Name())] = strings.Join(kv, " ")
		})
	}
	return out
}

func checkAttrs(t *testing.T, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s:\n got %s\nwant %s", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d spans, want %d: %v", len(got), len(want), got)
	}
}

var fiveServicesAttrs = map[string]string{
	"1/GET /checkout":  "critical=true culprit.latency=checkout culprit.latency_share=0.35 dag depth=0 offset_ns=0 self_ns=150",
	"1/call checkout":  "critical=true depth=1 offset_ns=50 self_ns=100",
	"1/POST /checkout": "critical=true depth=2 offset_ns=100 self_ns=225",
	"1/charge":         "depth=3 error.own=true offset_ns=275 self_ns=100 skew_ns=575",
	"1/db query":       "depth=4 offset_ns=325 self_ns=300 skew_ns=575",
	"1/reserve":        "critical=true depth=3 offset_ns=300 self_ns=200",
	"1/quote":          "critical=true depth=3 offset_ns=600 self_ns=200",
}

func rootDAG(t *testing.T, td ptrace.Traces) *servicedag.DAG {
	t.Helper()
	root := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	v, ok := root.Attributes().Get(servicedag.AttrDAG)
	if !ok {
		t.Fatalf("no %s on %s", servicedag.AttrDAG, root.Name())
	}
	d, err := servicedag.Decode(v.Str())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLayoutWholeBatch(t *testing.T) {
	h := start(t, createDefaultConfig())
	h.send(t, tracetest.Traces(tracetest.TraceID(1), tracetest.FiveServices()...))
	out := h.sink.AllTraces()
	if len(out) != 1 {
		t.Fatalf("%d batches out", len(out))
	}
	checkAttrs(t, spanAttrs(out...), fiveServicesAttrs)
	d := rootDAG(t, out[0])
	var names []string
	for _, n := range d.Nodes {
		names = append(names, fmt.Sprintf("%s@%d", n.Name, n.Layer))
	}
	if got := strings.Join(names, ","); got != "frontend@0,checkout@1,payment@2,inventory@2,shipping@2" {
		t.Errorf("dag nodes: %s", got)
	}
	if len(d.Edges) != 4 || d.Edges[1].Errors != 1 || d.Edges[1].DurationNs != 400 {
		t.Errorf("dag edges: %+v", d.Edges)
	}
	if got := h.counter(t, "otelcol_processor_layout_traces"); got != 1 {
		t.Errorf("traces counter %d", got)
	}
	if got := h.counter(t, "otelcol_processor_layout_spans"); got != 7 {
		t.Errorf("spans counter %d", got)
	}
	if m, err := h.tel.GetMetric("otelcol_processor_layout_time"); err != nil || m.Data.(metricdata.Histogram[float64]).DataPoints[0].Count != 1 {
		t.Errorf("layout time histogram: %v %v", m, err)
	}
}

func TestOperationNodes(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Nodes = NodesOperation
	h := start(t, cfg)
	h.send(t, tracetest.Traces(tracetest.TraceID(1), tracetest.FiveServices()...))
	if d := rootDAG(t, h.sink.AllTraces()[0]); len(d.Nodes) != 7 || d.Nodes[3].Operation != "charge" {
		t.Errorf("operation nodes: %+v", d.Nodes)
	}
}

func TestBatchOfSeveralTracesAndOrphans(t *testing.T) {
	h := start(t, createDefaultConfig())
	td := tracetest.Traces(tracetest.TraceID(1), S(1, 0, "a", "only", 0, 10))
	tracetest.Append(td, tracetest.TraceID(2),
		S(1, 0, "a", "root", 0, 100),
		S(2, 1, "b", "b1", 10, 50),
		S(3, 2, "a", "back in a", 20, 30), // service cycle a -> b -> a
		S(4, 9, "c", "lost", 60, 70),      // parent not in the trace
	)
	h.send(t, td)
	checkAttrs(t, spanAttrs(h.sink.AllTraces()...), map[string]string{
		"1/only":      "critical=true culprit.latency=a culprit.latency_share=1 dag depth=0 offset_ns=0 self_ns=10",
		"2/root":      "critical=true culprit.latency=a culprit.latency_share=0.7 dag depth=0 offset_ns=0 self_ns=60",
		"2/b1":        "critical=true depth=1 offset_ns=10 self_ns=30",
		"2/back in a": "critical=true depth=2 offset_ns=20 self_ns=10",
		"2/lost":      "depth=0 offset_ns=60 orphan=true self_ns=10",
	})
	var root ptrace.Span
	for i := 0; i < h.sink.AllTraces()[0].ResourceSpans().Len(); i++ {
		if sp := h.sink.AllTraces()[0].ResourceSpans().At(i).ScopeSpans().At(0).Spans().At(0); sp.Name() == "root" {
			root = sp
		}
	}
	v, _ := root.Attributes().Get(servicedag.AttrDAG)
	d, err := servicedag.Decode(v.Str())
	if err != nil {
		t.Fatal(err)
	}
	// a, b, and c (the orphan's service); a -> b and b -> a, one reversed.
	if len(d.Nodes) != 3 || len(d.Edges) != 2 || d.Edges[0].Reversed == d.Edges[1].Reversed {
		t.Errorf("cyclic dag: %+v", d)
	}
}

func TestOversizedTracePassesUnannotated(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.MaxSpansPerTrace = 6
	h := start(t, cfg)
	td := tracetest.Traces(tracetest.TraceID(1), tracetest.FiveServices()...)
	tracetest.Append(td, tracetest.TraceID(2), S(1, 0, "a", "small", 0, 5))
	h.send(t, td)
	got := spanAttrs(h.sink.AllTraces()...)
	if got["1/charge"] != "" || got["2/small"] == "" || len(got) != 8 {
		t.Errorf("attrs: %v", got)
	}
	if n := h.counter(t, "otelcol_processor_layout_oversized_traces"); n != 1 {
		t.Errorf("oversized counter %d", n)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWaitJoinsBatches(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Wait = 30 * time.Millisecond
	h := start(t, cfg)
	spans := tracetest.FiveServices()
	// Children first, root last, in three batches.
	h.send(t, tracetest.Traces(tracetest.TraceID(1), spans[3:]...))
	h.send(t, tracetest.Traces(tracetest.TraceID(1), spans[1:3]...))
	h.send(t, tracetest.Traces(tracetest.TraceID(1), spans[0]))
	if h.sink.SpanCount() != 0 {
		t.Fatalf("%d spans passed before wait", h.sink.SpanCount())
	}
	waitFor(t, func() bool { return h.sink.SpanCount() == 7 })
	checkAttrs(t, spanAttrs(h.sink.AllTraces()...), fiveServicesAttrs)
	if n := h.counter(t, "otelcol_processor_layout_incomplete_releases"); n != 0 {
		t.Errorf("incomplete releases %d", n)
	}
	// A late span: passed on at once, laid out with what it has.
	h.send(t, tracetest.Traces(tracetest.TraceID(1), S(8, 7, "shipping", "late", 650, 700)))
	if h.sink.SpanCount() != 8 {
		t.Fatalf("late span held: %d spans out", h.sink.SpanCount())
	}
	// On the released trace's time axis: 650ns after its start.
	if got := spanAttrs(h.sink.AllTraces()...)["1/late"]; got != "critical=true depth=0 offset_ns=650 orphan=true self_ns=50" {
		t.Errorf("late span: %s", got)
	}
	if n := h.counter(t, "otelcol_processor_layout_late_spans"); n != 1 {
		t.Errorf("late spans counter %d", n)
	}
}

func TestPressureReleasesEarly(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Wait = time.Hour
	cfg.MaxTraces = 1
	h := start(t, cfg)
	h.send(t, tracetest.Traces(tracetest.TraceID(1), tracetest.FiveServices()...))
	h.send(t, tracetest.Traces(tracetest.TraceID(2), S(1, 0, "a", "second", 0, 5)))
	// The first trace made room for the second and went out with its batch.
	checkAttrs(t, spanAttrs(h.sink.AllTraces()...), fiveServicesAttrs)
	if n := h.counter(t, "otelcol_processor_layout_incomplete_releases"); n != 1 {
		t.Errorf("incomplete releases %d", n)
	}
	if m, err := h.tel.GetMetric("otelcol_processor_layout_held_spans"); err != nil || m.Data.(metricdata.Gauge[int64]).DataPoints[0].Value != 1 {
		t.Errorf("held spans gauge: %+v %v", m, err)
	}
	// Shutdown passes on what is held.
	if err := h.proc.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := spanAttrs(h.sink.AllTraces()...)["2/second"]; got != "critical=true culprit.latency=a culprit.latency_share=1 dag depth=0 offset_ns=0 self_ns=5" {
		t.Errorf("drained trace: %q", got)
	}
	if n := h.counter(t, "otelcol_processor_layout_incomplete_releases"); n != 2 {
		t.Errorf("incomplete releases after shutdown %d", n)
	}
}

func TestConcurrentBatches(t *testing.T) {
	for _, wait := range []time.Duration{0, 10 * time.Millisecond} {
		cfg := createDefaultConfig()
		cfg.Wait = wait
		cfg.MaxTraces = 50
		h := start(t, cfg)
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for i := range 50 {
					id := tracetest.TraceID(uint64(g*1000 + i))
					spans := tracetest.FiveServices()
					// Half of each trace now, half in a second batch.
					if err := h.proc.ConsumeTraces(context.Background(), tracetest.Traces(id, spans[:4]...)); err != nil {
						t.Error(err)
					}
					if err := h.proc.ConsumeTraces(context.Background(), tracetest.Traces(id, spans[4:]...)); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if err := h.proc.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := h.sink.SpanCount(); got != 4*50*7 {
			t.Errorf("wait %v: %d spans out, want %d", wait, got, 4*50*7)
		}
	}
}

func TestDAGNodeBound(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.MaxDAGNodes = 4
	h := start(t, cfg)
	h.send(t, tracetest.Traces(tracetest.TraceID(1), tracetest.FiveServices()...))
	h.send(t, tracetest.Traces(tracetest.TraceID(2), S(1, 0, "a", "small", 0, 5)))
	got := spanAttrs(h.sink.AllTraces()...)
	// Five services > 4: span attributes but no dag.
	if got["1/GET /checkout"] != "critical=true culprit.latency=checkout culprit.latency_share=0.35 depth=0 offset_ns=0 self_ns=150" ||
		got["2/small"] != "critical=true culprit.latency=a culprit.latency_share=1 dag depth=0 offset_ns=0 self_ns=5" {
		t.Errorf("attrs: %v", got)
	}
	if n := h.counter(t, "otelcol_processor_layout_dags_skipped"); n != 1 {
		t.Errorf("dags skipped %d", n)
	}
}

func TestReleasedTracesGoOutInBatches(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Wait = time.Hour
	h := start(t, cfg)
	// 3 traces of 5,000 spans: released together, sent as 2 batches of
	// whole traces (8,192 spans per batch at most, give or take a trace).
	for i := range 3 {
		h.send(t, tracetest.Generate(tracetest.TraceID(uint64(i+1)), 5000, 5, uint64(i)))
	}
	if err := h.proc.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, td := range h.sink.AllTraces() {
		sizes = append(sizes, td.SpanCount())
	}
	if fmt.Sprint(sizes) != "[10000 5000]" {
		t.Errorf("batch sizes %v, want [10000 5000]", sizes)
	}
	if n := h.counter(t, "otelcol_processor_layout_spans"); n != 15000 {
		t.Errorf("spans laid out %d", n)
	}
}

// payment fails; checkout and frontend only pass the failure on: the root
// names payment, and only payment's span is an own error.
func TestCulpritOfPropagatedFailure(t *testing.T) {
	h := start(t, createDefaultConfig())
	h.send(t, tracetest.Traces(tracetest.TraceID(1),
		S(1, 0, "frontend", "GET /checkout", 0, 1000).Of(ptrace.SpanKindServer).Err(),
		S(2, 1, "checkout", "POST /checkout", 100, 900).Of(ptrace.SpanKindServer).Err(),
		S(3, 2, "payment", "charge", 200, 400).Of(ptrace.SpanKindServer).Err(),
		S(4, 2, "inventory", "reserve", 450, 850).Of(ptrace.SpanKindServer),
	))
	checkAttrs(t, spanAttrs(h.sink.AllTraces()...), map[string]string{
		"1/GET /checkout":  "critical=true culprit.error=payment culprit.latency=inventory culprit.latency_share=0.4 dag depth=0 offset_ns=0 self_ns=200",
		"1/POST /checkout": "critical=true depth=1 offset_ns=100 self_ns=200",
		"1/charge":         "critical=true depth=2 error.own=true offset_ns=200 self_ns=200",
		"1/reserve":        "critical=true depth=2 offset_ns=450 self_ns=400",
	})
}

// With wait > 0, spans arriving after their trace went out get their own
// errors but no culprits: the verdict went out with the trace.
func TestLateSpansGetNoCulprits(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Wait = time.Hour
	cfg.MaxTraces = 1
	h := start(t, cfg)
	h.send(t, tracetest.Traces(tracetest.TraceID(1), S(1, 0, "a", "root", 0, 100)))
	h.send(t, tracetest.Traces(tracetest.TraceID(2), S(1, 0, "a", "other", 0, 10))) // releases trace 1
	h.send(t, tracetest.Traces(tracetest.TraceID(1), S(2, 1, "b", "late", 10, 50).Err()))
	got := spanAttrs(h.sink.AllTraces()...)
	if got["1/root"] != "critical=true culprit.latency=a culprit.latency_share=1 dag depth=0 offset_ns=0 self_ns=100" ||
		got["1/late"] != "critical=true depth=0 error.own=true offset_ns=10 orphan=true self_ns=40" {
		t.Errorf("attrs: %v", got)
	}
}

// A consumer that runs after its producer ended is on the critical path
// (Jaeger's path would stop with the request), keeps its own clock, and
// its failure is the trace's although the request succeeded.
func TestAsyncConsumerThroughLayout(t *testing.T) {
	h := start(t, createDefaultConfig())
	h.send(t, tracetest.Traces(tracetest.TraceID(1),
		S(1, 0, "shop", "POST /order", 0, 426).Of(ptrace.SpanKindServer),
		S(2, 1, "shop", "publish", 100, 130).Of(ptrace.SpanKindProducer),
		S(3, 1, "shop", "INSERT", 140, 400).Of(ptrace.SpanKindClient).Attr("peer.service", "mysql"),
		S(4, 2, "mailer", "process", 426, 649).Of(ptrace.SpanKindConsumer).Err(),
	))
	checkAttrs(t, spanAttrs(h.sink.AllTraces()...), map[string]string{
		"1/POST /order": "critical=true culprit.error=mailer culprit.latency=mailer culprit.latency_share=0.3436055469953775 dag depth=0 offset_ns=0 self_ns=136",
		"1/publish":     "critical=true depth=1 offset_ns=100 self_ns=30",
		"1/INSERT":      "depth=1 offset_ns=140 self_ns=260",
		"1/process":     "critical=true depth=2 error.own=true offset_ns=426 self_ns=223",
	})
}
