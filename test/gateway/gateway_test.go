//go:build e2e

// Package gateway runs the two-tier deployment of examples/gateway on
// loopback: one tier-1 collector routing by trace ID to two tracemap
// gateways, which sample, lay out and draw traces and forward the kept ones
// to a downstream collector. It checks what the tiers promise: a trace's
// spans meet on one gateway, each kept trace is drawn once, no span is lost,
// and a gateway that crashes and comes back loses nothing acknowledged.
package gateway

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// The gateway pipeline of examples/gateway/tier2.yaml with test settings:
// deterministic sampling (errors and traces marked test.keep=yes), a short
// decision_wait, pictures and queue under the collector's directory. A
// second pipeline records every span the gateway receives, to check routing.
const gatewayConfig = `
extensions:
  file_storage/queue:
    directory: {{.Dir}}/queue
    create_directory: true
receivers:
  otlp:
    protocols:
      grpc:
processors:
  memory_limiter:
    check_interval: 1s
    limit_mib: 1024
    spike_limit_mib: 256
  heatmap:
    window: 5m
    buckets: 5
  tail_sampling:
    decision_wait: DECISION_WAIT
    policies:
      - name: errors
        type: status_code
        status_code: {status_codes: [ERROR]}
      - name: marked
        type: string_attribute
        string_attribute: {key: test.keep, values: ["yes"]}
  layout:
exporters:
  svg:
    mode: all # a picture per trace: the tests count them
    bucket: file://{{.Dir}}/svg
    key: '{{"{{.TraceID}}"}}.svg'
    service_map: {enabled: false}
    index: {html: false, json: false}
    sending_queue: {enabled: true, storage: file_storage/queue}
  otlp_grpc:
    endpoint: SINK
    tls: {insecure: true}
    sending_queue: {enabled: true, storage: file_storage/queue}
    retry_on_failure: {enabled: true, initial_interval: 100ms, max_interval: 1s, max_elapsed_time: 0s}
  file/received:
    path: {{.Dir}}/received.jsonl
    append: true
    flush_interval: 100ms
service:
  extensions: [file_storage/queue]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, heatmap, tail_sampling, layout]
      exporters: [svg, otlp_grpc]
    traces/received:
      receivers: [otlp]
      exporters: [file/received]
`

// Tier 1 of examples/gateway/tier1-static.yaml, pointed at the two gateways,
// with retries that never give up (the crash test keeps a gateway down).
const tier1Config = `
receivers:
  otlp:
    protocols:
      grpc:
exporters:
  load_balancing:
    routing_key: traceID
    protocol:
      otlp:
        tls: {insecure: true}
        timeout: 2s
        sending_queue: {enabled: true, queue_size: 5000}
        retry_on_failure: {enabled: true, initial_interval: 100ms, max_interval: 1s, max_elapsed_time: 0s}
    resolver:
      static:
        hostnames: [GATEWAY_A, GATEWAY_B]
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [load_balancing]
`

// The downstream collector: what arrives is written down.
const sinkConfig = `
receivers:
  otlp:
    protocols:
      grpc:
exporters:
  file:
    path: {{.Dir}}/sink.jsonl
    append: true
    flush_interval: 100ms
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [file]
`

const (
	spansPerTrace  = 7 // tracetest.FiveServices
	tracesPerBlock = 100
	decisionWait   = 2 * time.Second // the gateways' tail_sampling decision_wait
)

// workload is the set of traces a test sends: trace i is the five-service
// checkout trace with unique span IDs; every 10th fails in payment, every
// 5th (offset 1) is marked for keeping. Both kinds are kept by the gateways'
// policies, so the kept set is known exactly.
type workload struct{ n int }

func (w workload) traceID(i int) pcommon.TraceID { return tracetest.TraceID(uint64(i) + 1) }
func (w workload) failing(i int) bool            { return i%10 == 0 }
func (w workload) kept(i int) bool               { return w.failing(i) || i%5 == 1 }

func (w workload) spans(i int) []tracetest.Span {
	spans := tracetest.FiveServices()
	base := uint64(i) * 16
	for k := range spans {
		s := &spans[k]
		s.ID += base
		if s.Parent != 0 {
			s.Parent += base
		}
		s.Error = s.Error && w.failing(i)
		if s.Parent == 0 && i%5 == 1 {
			*s = s.Attr("test.keep", "yes")
		}
	}
	return spans
}

func (w workload) keptTraces(from, to int) map[pcommon.TraceID]bool {
	kept := map[pcommon.TraceID]bool{}
	for i := from; i < to; i++ {
		if w.kept(i) {
			kept[w.traceID(i)] = true
		}
	}
	return kept
}

// send sends traces [from, to) to c in blocks of tracesPerBlock traces; each
// trace's spans are split over three requests (span k goes in part k%3), so
// no request holds a whole trace.
func (w workload) send(t *testing.T, c *collectortest.Collector, from, to int) {
	t.Helper()
	for b := from; b < to; b += tracesPerBlock {
		for part := range 3 {
			td := ptrace.NewTraces()
			for i := b; i < min(b+tracesPerBlock, to); i++ {
				var spans []tracetest.Span
				for k, s := range w.spans(i) {
					if k%3 == part {
						spans = append(spans, s)
					}
				}
				tracetest.Append(td, w.traceID(i), spans...)
			}
			c.SendGRPC(t, td)
		}
	}
}

// spansByTrace counts the spans of each trace in a file exporter's output.
func spansByTrace(t *testing.T, path string) map[pcommon.TraceID]int {
	t.Helper()
	counts := map[pcommon.TraceID]int{}
	rss := collectortest.ReadTraces(t, path).ResourceSpans()
	for i := range rss.Len() {
		sss := rss.At(i).ScopeSpans()
		for j := range sss.Len() {
			spans := sss.At(j).Spans()
			for k := range spans.Len() {
				counts[spans.At(k).TraceID()]++
			}
		}
	}
	return counts
}

// pictures lists the trace IDs drawn under dir (key template {{.TraceID}}.svg).
func pictures(t *testing.T, dir string) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".svg")
		if !ok {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "<svg") {
			t.Errorf("%s is not an SVG picture", e.Name())
		}
		ids[id] = true
	}
	return ids
}

type tiers struct {
	sink, tier1 *collectortest.Collector
	gw          [2]*collectortest.Collector
}

// startTiers starts the downstream collector, two gateways and tier 1;
// decisionWait is the gateways' tail_sampling decision_wait.
func startTiers(t *testing.T, decisionWait time.Duration) *tiers {
	t.Helper()
	var ts tiers
	ts.sink = collectortest.Start(t, sinkConfig)
	gw := strings.NewReplacer("SINK", ts.sink.GRPC, "DECISION_WAIT", decisionWait.String()).Replace(gatewayConfig)
	for i := range ts.gw {
		ts.gw[i] = collectortest.Start(t, gw)
	}
	ts.tier1 = collectortest.Start(t, strings.NewReplacer("GATEWAY_A", ts.gw[0].GRPC, "GATEWAY_B", ts.gw[1].GRPC).Replace(tier1Config))
	return &ts
}

// decided is how many traces the gateways' tail_sampling has decided on.
func (ts *tiers) decided(t *testing.T) float64 {
	var n float64
	for _, g := range ts.gw {
		n += g.Metric(t, "otelcol_processor_tail_sampling_global_count_traces_sampled")
	}
	return n
}

// waitQuiet waits until a metric of c is positive and has not changed for quiet.
func waitQuiet(t *testing.T, c *collectortest.Collector, name string, quiet time.Duration) {
	t.Helper()
	last, since := -1.0, time.Now()
	collectortest.Eventually(t, 90*time.Second, func() bool {
		v := c.Metric(t, name)
		if v != last {
			last, since = v, time.Now()
		}
		return v > 0 && time.Since(since) >= quiet
	})
}

// checkRouting asserts that every trace sent reached exactly one gateway
// with all its spans, and that both gateways got a share.
func checkRouting(t *testing.T, w workload, ts *tiers) [2]map[pcommon.TraceID]int {
	t.Helper()
	var got [2]map[pcommon.TraceID]int
	for g := range got {
		got[g] = spansByTrace(t, filepath.Join(ts.gw[g].Dir, "received.jsonl"))
		if len(got[g]) < w.n/4 {
			t.Errorf("gateway %d received %d of %d traces: the ring is not sharing", g, len(got[g]), w.n)
		}
	}
	for i := range w.n {
		id := w.traceID(i)
		a, b := got[0][id], got[1][id]
		if !(a == spansPerTrace && b == 0 || a == 0 && b == spansPerTrace) {
			t.Errorf("trace %d: %d spans on gateway 0, %d on gateway 1; want all %d on one", i, a, b, spansPerTrace)
		}
	}
	if len(got[0])+len(got[1]) != w.n {
		t.Errorf("gateways received %d distinct traces, sent %d", len(got[0])+len(got[1]), w.n)
	}
	return got
}

// checkDelivered asserts that the downstream collector got exactly the kept
// traces, each whole and once, and that each was drawn exactly once, by the
// gateway that received it.
func checkDelivered(t *testing.T, w workload, ts *tiers, received [2]map[pcommon.TraceID]int) {
	t.Helper()
	kept := w.keptTraces(0, w.n)
	sunk := spansByTrace(t, filepath.Join(ts.sink.Dir, "sink.jsonl"))
	for id := range kept {
		if sunk[id] != spansPerTrace {
			t.Errorf("kept trace %s: %d spans downstream, want %d", id, sunk[id], spansPerTrace)
		}
	}
	for id, n := range sunk {
		if !kept[id] {
			t.Errorf("trace %s (%d spans) downstream was not to be kept", id, n)
		}
	}
	var drawn [2]map[string]bool
	for g := range drawn {
		drawn[g] = pictures(t, filepath.Join(ts.gw[g].Dir, "svg"))
	}
	for id := range kept {
		hex := id.String()
		on0, on1 := drawn[0][hex], drawn[1][hex]
		if on0 == on1 {
			t.Errorf("kept trace %s drawn on gateway 0: %v, gateway 1: %v; want exactly one", hex, on0, on1)
			continue
		}
		if g := map[bool]int{true: 0, false: 1}[on0]; received[g][id] == 0 {
			t.Errorf("trace %s drawn by gateway %d, which did not receive it", hex, g)
		}
	}
	if n := len(drawn[0]) + len(drawn[1]); n != len(kept) {
		t.Errorf("%d pictures, want one per kept trace (%d)", n, len(kept))
	}
}

// One tier-1 collector, two gateways: thousands of traces, each sent in
// three batches, shard cleanly, are sampled and drawn once, and the
// collectors' own counts balance at every hop.
func TestTwoTiersShardByTrace(t *testing.T) {
	w := workload{n: 3000}
	ts := startTiers(t, decisionWait)
	w.send(t, ts.tier1, 0, w.n)

	keptSpans := float64(len(w.keptTraces(0, w.n)) * spansPerTrace)
	collectortest.Eventually(t, 60*time.Second, func() bool {
		return ts.decided(t) == float64(w.n) && ts.sink.Metric(t, "otelcol_receiver_accepted_spans") >= keptSpans
	})
	// Let the file exporters flush and the pictures land.
	collectortest.Eventually(t, 30*time.Second, func() bool {
		var drawn float64
		for _, g := range ts.gw {
			drawn += g.Metric(t, "otelcol_exporter_svg_traces_rendered")
		}
		return drawn >= float64(len(w.keptTraces(0, w.n)))
	})
	time.Sleep(300 * time.Millisecond)

	total := float64(w.n * spansPerTrace)
	if got := ts.tier1.Metric(t, "otelcol_receiver_accepted_spans"); got != total {
		t.Errorf("tier 1 accepted %v spans, sent %v", got, total)
	}
	if got := ts.tier1.Metric(t, "otelcol_exporter_send_failed_spans"); got != 0 {
		t.Errorf("tier 1 failed to send %v spans", got)
	}
	var gwAccepted, gwSent, rendered float64
	for g, c := range ts.gw {
		gwAccepted += c.Metric(t, `otelcol_receiver_accepted_spans`)
		gwSent += c.MetricWith(t, "otelcol_exporter_sent_spans", `exporter="otlp_grpc"`)
		rendered += c.Metric(t, "otelcol_exporter_svg_traces_rendered")
		if r := c.Metric(t, "otelcol_receiver_refused_spans"); r != 0 {
			t.Errorf("gateway %d refused %v spans", g, r)
		}
	}
	if gwAccepted != total {
		t.Errorf("gateways accepted %v spans together, tier 1 took %v", gwAccepted, total)
	}
	if got := ts.sink.Metric(t, "otelcol_receiver_accepted_spans"); got != keptSpans || gwSent != keptSpans {
		t.Errorf("kept spans %v: gateways sent %v, downstream accepted %v", keptSpans, gwSent, got)
	}
	if rendered != float64(len(w.keptTraces(0, w.n))) {
		t.Errorf("gateways rendered %v pictures, kept %d traces", rendered, len(w.keptTraces(0, w.n)))
	}

	received := checkRouting(t, w, ts)
	checkDelivered(t, w, ts, received)

	// heatmap's window counts per service add up across the gateways to the
	// global numbers (examples/gateway/README.md).
	want := map[string][2]float64{ // spans, errors per service
		"frontend":  {2 * float64(w.n), 0},
		"checkout":  {float64(w.n), 0},
		"payment":   {2 * float64(w.n), float64(w.n / 10)},
		"inventory": {float64(w.n), 0},
		"shipping":  {float64(w.n), 0},
	}
	for svc, v := range want {
		var spans, errs float64
		for _, c := range ts.gw {
			spans += c.MetricWith(t, "otelcol_processor_heatmap_service_window_spans", fmt.Sprintf(`service_name=%q`, svc))
			errs += c.MetricWith(t, "otelcol_processor_heatmap_service_window_errors", fmt.Sprintf(`service_name=%q`, svc))
		}
		if spans != v[0] || errs != v[1] {
			t.Errorf("%s: heatmap over both gateways counts %v spans, %v errors; sent %v, %v", svc, spans, errs, v[0], v[1])
		}
	}
	for _, c := range []*collectortest.Collector{ts.tier1, ts.gw[0], ts.gw[1], ts.sink} {
		c.Stop(t)
	}
}

// A gateway killed (SIGKILL) with sampled traces still queued for a
// downstream that is down, while traffic keeps coming: after it and the
// downstream come back, every kept trace arrives whole and once, and is drawn
// once. What tier 1 acknowledged while the gateway was down waited in tier 1.
func TestGatewayCrashLosesNothingAcknowledged(t *testing.T) {
	w := workload{n: 2000}
	half := w.n / 2
	ts := startTiers(t, decisionWait)
	ts.sink.Stop(t) // downstream down: the gateways' persistent queues fill

	w.send(t, ts.tier1, 0, half)
	collectortest.Eventually(t, 60*time.Second, func() bool { return ts.decided(t) == float64(half) })
	collectortest.Eventually(t, 30*time.Second, func() bool {
		return ts.gw[1].MetricWith(t, "otelcol_exporter_queue_size", `exporter="svg"`) == 0
	})
	queued := ts.gw[1].MetricWith(t, "otelcol_exporter_queue_size", `exporter="otlp_grpc"`)
	if queued == 0 {
		t.Fatal("gateway 1 has nothing queued for the downstream collector; the crash would prove nothing")
	}
	renderedBefore := ts.gw[1].Metric(t, "otelcol_exporter_svg_traces_rendered")
	time.Sleep(300 * time.Millisecond) // the received-spans record flushes every 100ms
	ts.gw[1].Kill()

	// Tier 1 acknowledges the second half while gateway 1 is gone.
	w.send(t, ts.tier1, half, w.n)
	time.Sleep(2 * time.Second)
	ts.gw[1] = ts.gw[1].Restart(t)
	ts.sink = ts.sink.Restart(t)

	keptSpans := float64(len(w.keptTraces(0, w.n)) * spansPerTrace)
	collectortest.Eventually(t, 90*time.Second, func() bool {
		return ts.sink.Metric(t, "otelcol_receiver_accepted_spans") >= keptSpans
	})
	collectortest.Eventually(t, 30*time.Second, func() bool {
		drawn := renderedBefore
		for _, g := range ts.gw {
			drawn += g.Metric(t, "otelcol_exporter_svg_traces_rendered")
		}
		return drawn >= float64(len(w.keptTraces(0, w.n)))
	})
	time.Sleep(time.Second) // duplicates, if any, would show up now
	if got := ts.sink.Metric(t, "otelcol_receiver_accepted_spans"); got != keptSpans {
		t.Errorf("downstream accepted %v spans, want the %v of the kept traces", got, keptSpans)
	}
	drawn := renderedBefore
	for _, g := range ts.gw {
		drawn += g.Metric(t, "otelcol_exporter_svg_traces_rendered")
	}
	if drawn != float64(len(w.keptTraces(0, w.n))) {
		t.Errorf("%v pictures drawn over both lives of gateway 1 and gateway 0, want %d", drawn, len(w.keptTraces(0, w.n)))
	}
	if got := ts.tier1.Metric(t, "otelcol_exporter_send_failed_spans"); got != 0 {
		t.Errorf("tier 1 gave up on %v spans", got)
	}
	received := checkRouting(t, w, ts)
	checkDelivered(t, w, ts, received)
	for _, c := range []*collectortest.Collector{ts.tier1, ts.gw[0], ts.gw[1], ts.sink} {
		c.Stop(t)
	}
}

// A gateway killed while traffic flows loses what tail_sampling held in
// memory, and only that: the traces whose spans reached it within
// decision_wait before the kill. Every other kept trace arrives, including
// those tier 1 acknowledged while the gateway was down. (A gateway that is
// stopped with SIGTERM decides those traces instead; see examples/gateway.)
func TestGatewayCrashUnderTrafficLosesOnlyTheDecisionWindow(t *testing.T) {
	w := workload{n: 4000}
	const block = 50
	ts := startTiers(t, decisionWait)
	sentAt := make([]time.Time, w.n)
	var killedAt time.Time
	for b := 0; b < w.n; b += block {
		if b == w.n/2 {
			killedAt = time.Now()
			ts.gw[1].Kill()
		}
		if b == w.n/2+10*block {
			ts.gw[1] = ts.gw[1].Restart(t)
		}
		w.send(t, ts.tier1, b, b+block)
		for i := b; i < b+block; i++ {
			sentAt[i] = time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
	kept := w.keptTraces(0, w.n)
	// Wait for everything still to come: decisions take decision_wait, tier 1
	// retries the batches the dead gateway did not take.
	waitQuiet(t, ts.sink, "otelcol_receiver_accepted_spans", 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	sunk := spansByTrace(t, filepath.Join(ts.sink.Dir, "sink.jsonl"))
	var lost int
	for i := range w.n {
		id := w.traceID(i)
		if !kept[id] {
			continue
		}
		switch n := sunk[id]; {
		case n == spansPerTrace:
		case n > spansPerTrace:
			t.Errorf("trace %d arrived %d times", i, n/spansPerTrace)
		default:
			lost++
			// Sent whole before the kill, but not decided yet when it came
			// (decisions run on a 1s tick and lag on a busy machine).
			if since := killedAt.Sub(sentAt[i]); since < 0 || since > decisionWait+2*time.Second {
				t.Errorf("kept trace %d (sent %s before the kill) lost: %d of %d spans arrived", i, since.Round(time.Millisecond), n, spansPerTrace)
			}
		}
	}
	t.Logf("%d of %d kept traces lost with the crashed gateway's decision window", lost, len(kept))
	for _, c := range []*collectortest.Collector{ts.tier1, ts.gw[0], ts.gw[1], ts.sink} {
		c.Stop(t)
	}
}

// Gateways stopped with SIGTERM (a rollout) while tail_sampling still holds
// every trace, and the downstream is down: tail_sampling decides them at
// shutdown, they wait in the persistent queues, and after the restart every
// kept trace arrives whole and once and is drawn once.
func TestGatewayStopDecidesPendingTraces(t *testing.T) {
	w := workload{n: 1000}
	ts := startTiers(t, time.Minute) // nothing is decided before the stop
	ts.sink.Stop(t)
	w.send(t, ts.tier1, 0, w.n)
	collectortest.Eventually(t, 30*time.Second, func() bool {
		return ts.gw[0].Metric(t, "otelcol_receiver_accepted_spans")+ts.gw[1].Metric(t, "otelcol_receiver_accepted_spans") == float64(w.n*spansPerTrace)
	})
	if d := ts.decided(t); d != 0 {
		t.Fatalf("%v traces decided before the stop; the test needs them pending", d)
	}
	time.Sleep(300 * time.Millisecond) // the received-spans record flushes every 100ms
	for i, g := range ts.gw {
		g.Stop(t)
		ts.gw[i] = g.Restart(t)
	}
	ts.sink = ts.sink.Restart(t)
	keptSpans := float64(len(w.keptTraces(0, w.n)) * spansPerTrace)
	// Pictures drawn during the shutdown count in the first life's metrics;
	// count the files instead.
	collectortest.Eventually(t, 60*time.Second, func() bool {
		drawn := len(pictures(t, filepath.Join(ts.gw[0].Dir, "svg"))) + len(pictures(t, filepath.Join(ts.gw[1].Dir, "svg")))
		return ts.sink.Metric(t, "otelcol_receiver_accepted_spans") >= keptSpans && drawn >= len(w.keptTraces(0, w.n))
	})
	waitQuiet(t, ts.sink, "otelcol_receiver_accepted_spans", 2*time.Second)
	if got := ts.sink.Metric(t, "otelcol_receiver_accepted_spans"); got != keptSpans {
		t.Errorf("downstream accepted %v spans, want the %v of the kept traces", got, keptSpans)
	}
	received := checkRouting(t, w, ts)
	checkDelivered(t, w, ts, received)
	for _, c := range []*collectortest.Collector{ts.tier1, ts.gw[0], ts.gw[1], ts.sink} {
		c.Stop(t)
	}
}

// examples/gateway/tier2.yaml as shipped, with its environment set: a
// failing trace is kept, drawn under the gateway's own prefix and forwarded
// downstream.
func TestExampleGatewayConfigRuns(t *testing.T) {
	root, err := collectortest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(root, "examples", "gateway", "tier2.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sink := collectortest.Start(t, sinkConfig)
	dir := t.TempDir()
	t.Setenv("TRACEMAP_QUEUE_DIR", filepath.Join(dir, "queue"))
	t.Setenv("TRACEMAP_BUCKET", "file://"+filepath.Join(dir, "out"))
	t.Setenv("TRACEMAP_DOWNSTREAM", sink.GRPC)
	t.Setenv("TRACEMAP_GATEWAY_NAME", "gateway-7")
	gw := collectortest.Start(t, collectortest.Literal(string(cfg)))

	id := tracetest.TraceID(42)
	gw.SendGRPC(t, tracetest.Traces(id, tracetest.FiveServices()...)) // payment fails: kept
	collectortest.Eventually(t, 30*time.Second, func() bool {
		return sink.Metric(t, "otelcol_receiver_accepted_spans") == spansPerTrace
	})
	gw.Stop(t) // settles the window: its exemplar, summary and page
	found, err := filepath.Glob(filepath.Join(dir, "out", "windows", "*", "*", "exemplars", id.String()+".svg"))
	if err != nil || len(found) != 1 {
		t.Fatalf("exemplar picture: %v, %v", found, err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(filepath.Dir(found[0])), "summary-gateway-7.json")); err != nil {
		t.Errorf("the window summary is not named after the gateway: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "queue")); err != nil {
		t.Errorf("file_storage directory: %v", err)
	}
}

// examples/gateway/tier1-dns.yaml as shipped: the DNS resolver finds the
// gateway through a name (localhost here, a headless service in Kubernetes)
// and every span reaches it.
func TestExampleTier1DNSConfigRuns(t *testing.T) {
	root, err := collectortest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(root, "examples", "gateway", "tier1-dns.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sink := collectortest.Start(t, sinkConfig)
	gw := collectortest.Start(t, strings.NewReplacer("SINK", sink.GRPC, "DECISION_WAIT", "1s").Replace(gatewayConfig))
	_, port, _ := strings.Cut(gw.GRPC, ":")
	t.Setenv("TRACEMAP_GATEWAY_SERVICE", "localhost")
	t.Setenv("TRACEMAP_GATEWAY_PORT", port)
	tier1 := collectortest.Start(t, collectortest.Literal(string(cfg)))

	w := workload{n: 200}
	w.send(t, tier1, 0, w.n)
	keptSpans := float64(len(w.keptTraces(0, w.n)) * spansPerTrace)
	collectortest.Eventually(t, 30*time.Second, func() bool {
		return gw.Metric(t, "otelcol_receiver_accepted_spans") == float64(w.n*spansPerTrace) &&
			sink.Metric(t, "otelcol_receiver_accepted_spans") == keptSpans
	})
	for _, c := range []*collectortest.Collector{tier1, gw, sink} {
		c.Stop(t)
	}
}
