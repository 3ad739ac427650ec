//go:build linux && amd64

package ebpfreceiver

import (
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

// With the kernel keeping none of the spans it may shed, roots, errors and
// spans with a parent in another process stay; the rest goes, counted in
// otelcol_receiver_ebpf_shed_spans. Back at 1000 in 1000 all stay.
func TestSheddingKeepsRootsErrorsAndStitching(t *testing.T) {
	targettest.RequireBPF(t)
	tg := targettest.Start(t, targettest.Build(t, "frontend", false))
	cfg := testConfig(Config{Names: []string{"frontend"}, Functions: []string{"main.chargeCard"}, RingBufferSize: 1 << 16})
	cfg.Shedding = false // the test sets the rate itself
	h := startReceiver(t, cfg)
	p := h.rcv.(*ebpfReceiver).probes
	if err := p.SetKeep(0); err != nil {
		t.Fatal(err)
	}
	timed(t, "GET", tg.URL+"/charge", nil) // root kept, its chargeCard child shed
	timed(t, "POST", tg.URL+"/fail", nil)  // root and error
	timed(t, "GET", tg.URL+"/charge", http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
	names := map[string]int{}
	for _, r := range h.wait(t, 3) {
		names[r.span.Name()]++
	}
	if names["GET /charge"] != 2 || names["POST /fail"] != 1 {
		t.Errorf("kept %v, want the two GET /charge and POST /fail server spans", names)
	}
	waitFor(t, "2 shed spans counted", func() bool { return h.metric(t, "otelcol_receiver_ebpf_shed_spans") == 2 })

	if err := p.SetKeep(1000); err != nil {
		t.Fatal(err)
	}
	timed(t, "GET", tg.URL+"/charge", nil)
	h.wait(t, 2)
}

func TestNextKeep(t *testing.T) {
	for _, tc := range []struct {
		keep           uint32
		fill, cpuShare float64
		want           uint32
		trigger        string
	}{
		{1000, 0.6, 0, 500, triggerRingBuffer}, {500, 0.9, 0, 250, triggerRingBuffer}, {15, 0.9, 0, 10, triggerRingBuffer}, {10, 0.9, 0, 10, triggerRingBuffer},
		{250, 0.3, 0, 250, ""}, {250, 0.1, 0, 500, ""}, {800, 0.0, 0, 1000, ""}, {1000, 0.0, 0, 1000, ""},
		// Over the CPU budget with room in the ring buffer; between half
		// the budget and all of it nothing changes; below half it recovers.
		{1000, 0.0, 1.5, 500, triggerCPUBudget}, {20, 0.9, 3, 10, triggerCPUBudget},
		{250, 0.0, 0.8, 250, ""}, {250, 0.0, 0.4, 500, ""},
	} {
		if got, trigger := nextKeep(tc.keep, tc.fill, tc.cpuShare); got != tc.want || trigger != tc.trigger {
			t.Errorf("nextKeep(%d, %v, %v) = %d, %q, want %d, %q", tc.keep, tc.fill, tc.cpuShare, got, trigger, tc.want, tc.trigger)
		}
	}
}

// A CPU budget the reader cannot keep (a millionth of a core) makes the
// receiver shed in the kernel under load: every root and error stays, the
// chargeCard children go but for the few whose trace IDs the lowest rate
// keeps, and the shed spans are counted with trigger cpu_budget; the keep
// rate shows in otelcol_receiver_ebpf_keep_permille, and goes back to all
// once the load is gone.
func TestCPUBudgetSheds(t *testing.T) {
	targettest.RequireBPF(t)
	tg := targettest.Start(t, targettest.Build(t, "frontend", false))
	cfg := testConfig(Config{Names: []string{"frontend"}, Functions: []string{"main.chargeCard"}, RingBufferSize: 1 << 20, MaxBatch: 1 << 16})
	cfg.CPUBudget = 1e-6
	h := startReceiver(t, cfg)
	keepPermille := func() int64 {
		m, err := h.tel.GetMetric("otelcol_receiver_ebpf_keep_permille")
		if err != nil {
			t.Fatal(err)
		}
		return m.Data.(metricdata.Gauge[int64]).DataPoints[0].Value
	}
	const requests = 400 // about 2 s: many ticks at the minimum rate
	for i := range requests {
		timed(t, "GET", tg.URL+"/charge", nil)
		if i%10 == 0 {
			timed(t, "POST", tg.URL+"/fail", nil)
		}
		if i == requests/2 {
			if k := keepPermille(); k != minKeep {
				t.Errorf("keep_permille = %d under load, want %d", k, minKeep)
			}
		}
	}
	waitFor(t, "every root", func() bool { return h.sink.SpanCount() >= requests+requests/10 })
	time.Sleep(200 * time.Millisecond) // the last flush and shed count
	names := map[string]int{}
	for _, td := range h.sink.AllTraces() {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, s := range ss.Spans().All() {
					names[s.Name()]++
				}
			}
		}
	}
	kept, shed := int64(names["main.chargeCard"]), h.metricWhere(t, "otelcol_receiver_ebpf_shed_spans", "trigger", triggerCPUBudget)
	if names["GET /charge"] != requests || names["POST /fail"] != requests/10 {
		t.Errorf("roots and errors: %v, want %d GET /charge and %d POST /fail", names, requests, requests/10)
	}
	if kept+shed != requests || shed < requests/2 {
		t.Errorf("chargeCard children: %d kept, %d shed for cpu_budget (total %d), want %d in all, most shed", kept, shed, h.metric(t, "otelcol_receiver_ebpf_shed_spans"), requests)
	}
	if lost := h.metric(t, "otelcol_receiver_ebpf_lost_events"); lost != 0 {
		t.Errorf("lost events = %d", lost)
	}
	waitFor(t, "keeping all again", func() bool { return keepPermille() == 1000 })
}
