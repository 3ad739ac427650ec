//go:build linux && amd64

package ebpfreceiver

import (
	"net/http"
	"testing"

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
		keep uint32
		fill float64
		want uint32
	}{
		{1000, 0.6, 500}, {500, 0.9, 250}, {15, 0.9, 10}, {10, 0.9, 10},
		{250, 0.3, 250}, {250, 0.1, 500}, {800, 0.0, 1000}, {1000, 0.0, 1000},
	} {
		if got := nextKeep(tc.keep, tc.fill); got != tc.want {
			t.Errorf("nextKeep(%d, %v) = %d, want %d", tc.keep, tc.fill, got, tc.want)
		}
	}
}
