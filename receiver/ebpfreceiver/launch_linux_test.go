//go:build linux && amd64

package ebpfreceiver

import (
	"os/exec"
	"testing"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

// Programs started through a launcher that execs them (env, nohup) or
// started again are traced from their very first request: the exec
// tracepoint holds a matching program until its probes are attached, and a
// process that reports several execs keeps its probes.
func TestLaunchersAndRestartHaveNoBlindGap(t *testing.T) {
	targettest.RequireBPF(t)
	bin := targettest.Build(t, "frontend", true)
	h := startReceiver(t, testConfig(Config{Names: []string{"frontend"}, RingBufferSize: 1 << 16, MaxBatch: 100}))
	envPath, err := exec.LookPath("env")
	if err != nil {
		t.Fatal(err)
	}
	nohupPath, err := exec.LookPath("nohup")
	if err != nil {
		t.Fatal(err)
	}
	for _, launch := range [][]string{{bin}, {envPath, "A=1", bin}, {nohupPath, bin}, {envPath, nohupPath, bin}, {bin}} {
		tg := targettest.Start(t, launch[0], launch[1:]...)
		// The first request, right after the program said it listens.
		code, before, after := timed(t, "GET", tg.URL+"/users/1", nil)
		if code != 200 {
			t.Fatalf("%v: status %d", launch, code)
		}
		r := h.wait(t, 1)[0]
		within(t, r.span, before, after)
		if pid, _ := r.res.Get("process.pid"); pid.Int() != int64(tg.PID) || r.span.Name() != "GET /users/{id}" {
			t.Errorf("%v: span %q of pid %d, want pid %d", launch, r.span.Name(), pid.Int(), tg.PID)
		}
		tg.Stop()
		waitFor(t, "detach after exit", func() bool { return h.metric(t, "otelcol_receiver_ebpf_attached_processes") == 0 })
	}
	if n := h.metric(t, "otelcol_receiver_ebpf_attach_errors"); n != 0 {
		t.Errorf("attach errors = %d, want 0", n)
	}
	if n := h.metric(t, "otelcol_receiver_ebpf_lost_events"); n != 0 {
		t.Errorf("lost events = %d, want 0", n)
	}
}
