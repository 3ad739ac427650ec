//go:build linux && amd64

package ebpfreceiver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/metadata"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

// A stripped binary (no .symtab, no DWARF) is traced through .gopclntab and
// the generated offset table; when it exits the probes go, and when it is
// started again (new PID) they come back.
func TestStrippedTargetRestart(t *testing.T) {
	targettest.RequireBPF(t)
	bin := targettest.Build(t, "frontend", true)
	first := targettest.Start(t, bin)
	h := startReceiver(t, testConfig(Config{Executables: []string{bin}, RingBufferSize: 1 << 16, MaxBatch: 100}))

	timed(t, "GET", first.URL+"/users/1", nil)
	r := h.wait(t, 1)[0]
	if r.span.Name() != "GET /users/{id}" || r.attr("http.response.status_code") != int64(200) {
		t.Fatalf("stripped target span %q %v", r.span.Name(), r.span.Attributes().AsRaw())
	}

	first.Stop()
	waitFor(t, "detach after exit", func() bool { return h.metric(t, "otelcol_receiver_ebpf_attached_processes") == 0 })

	second := targettest.Start(t, bin)
	waitFor(t, "attach after restart", func() bool { return h.metric(t, "otelcol_receiver_ebpf_attached_processes") == 1 })
	code, before, after := timed(t, "GET", second.URL+"/users/2", nil)
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	r = h.wait(t, 1)[0]
	within(t, r.span, before, after)
	if pid, _ := r.res.Get("process.pid"); pid.Int() != int64(second.PID) {
		t.Errorf("process.pid = %d, want the new process %d", pid.Int(), second.PID)
	}
	if r.attr("url.path") != "/users/2" {
		t.Errorf("url.path = %v", r.attr("url.path"))
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startErr(t *testing.T, cfg *Config) error {
	t.Helper()
	cfg.RingBufferSize, cfg.FlushInterval = 1<<16, time.Second
	rcv, err := NewFactory().CreateTraces(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, new(consumertest.TracesSink))
	if err != nil {
		t.Fatal(err)
	}
	err = rcv.Start(context.Background(), componenttest.NewNopHost())
	if err := rcv.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
	return err
}

func TestStartErrors(t *testing.T) {
	targettest.RequireBPF(t)
	sleep := exec.Command("sleep", "30")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleep.Process.Kill(); sleep.Wait() }()

	err := startErr(t, testConfig(Config{PIDs: []int{sleep.Process.Pid}}))
	if err == nil || !strings.Contains(err.Error(), "nothing could be attached") || !strings.Contains(err.Error(), "not a Go executable") {
		t.Errorf("non-Go target: %v", err)
	}
	err = startErr(t, testConfig(Config{PIDs: []int{1 << 22}}))
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("none of the pids [%d] is running", 1<<22)) {
		t.Errorf("missing pid: %v", err)
	}
	// A running match by name that cannot be traced: start and wait for
	// a traceable one, as when nothing matches yet. The match is a copy of
	// sleep under a name of this run's, so no other sleep on the machine
	// is held or probed.
	sleepPath, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	prog, err := os.ReadFile(sleepPath)
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), targettest.Name("sleep"))
	if err := os.WriteFile(copyPath, prog, 0o755); err != nil {
		t.Fatal(err)
	}
	sleepCopy := exec.Command(copyPath, "30")
	if err := sleepCopy.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleepCopy.Process.Kill(); sleepCopy.Wait() }()
	if err := startErr(t, testConfig(Config{Names: []string{targettest.Name("sleep")}})); err != nil {
		t.Errorf("untraceable match by name: %v", err)
	}
	// Nothing running yet under a configured name: start and wait for it.
	if err := startErr(t, testConfig(Config{Names: []string{targettest.Name("absent")}})); err != nil {
		t.Errorf("waiting for a name: %v", err)
	}
	// A configured function that does not exist is a warning, not a failure.
	tg := targettest.Start(t, targettest.Build(t, "frontend", false))
	if err := startErr(t, testConfig(Config{PIDs: []int{tg.PID}, Functions: []string{"main.absent"}})); err != nil {
		t.Errorf("absent function: %v", err)
	}
}

// Without privileges Start says what to do. The check runs in a child
// process of this test binary that drops to an unprivileged user.
func TestStartNotPermitted(t *testing.T) {
	targettest.RequireBPF(t)
	// The test binary's own directory is private to root: run a copy.
	dir, err := os.MkdirTemp("", "ebpf-unprivileged")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "child.test")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestUnprivilegedChild$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	want := "ebpf receiver: not permitted: run as root or grant CAP_BPF and CAP_PERFMON"
	if !strings.HasPrefix(string(out), want) {
		t.Errorf("unprivileged Start error = %q, want prefix %q", out, want)
	}
}

const childEnv = "TRACEMAP_EBPF_UNPRIVILEGED_CHILD"

// TestUnprivilegedChild is the child side of TestStartNotPermitted: it
// prints the Start error (and does nothing in a normal run).
func TestUnprivilegedChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		return
	}
	cfg := createDefaultConfig()
	cfg.Names = []string{"frontend"}
	rcv, _ := NewFactory().CreateTraces(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, new(consumertest.TracesSink))
	err := rcv.Start(context.Background(), componenttest.NewNopHost())
	fmt.Print(err)
}

// A Go program without net/http is traced through its listed functions, and
// without any it cannot be probed.
func TestProgramWithoutHTTP(t *testing.T) {
	targettest.RequireBPF(t)
	tg := targettest.Start(t, targettest.BuildProgram(t, "worker", "worker", false))

	err := startErr(t, testConfig(Config{PIDs: []int{tg.PID}}))
	if err == nil || !strings.Contains(err.Error(), "nothing to probe") ||
		!strings.Contains(err.Error(), "symbol net/http.serverHandler.ServeHTTP not found in /proc/") {
		t.Errorf("no probe points: %v", err)
	}

	h := startReceiver(t, testConfig(Config{PIDs: []int{tg.PID}, Functions: []string{"main.step"}}))
	waitFor(t, "three main.step spans", func() bool { return h.sink.SpanCount() >= 3 })
	for _, td := range h.sink.AllTraces() {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, s := range ss.Spans().All() {
					d := s.EndTimestamp().AsTime().Sub(s.StartTimestamp().AsTime())
					if s.Name() != "main.step" || !s.ParentSpanID().IsEmpty() || d < 5*time.Millisecond || d > time.Second {
						t.Errorf("span %q parent %v duration %v", s.Name(), s.ParentSpanID(), d)
					}
				}
			}
		}
	}
}
