//go:build linux && amd64

package ebpfreceiver

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

// Table sizes, max_entries of the inflights and grpc_streams maps in
// bpf/probes.c.
const (
	inflightTable = 16384
	streamTable   = 4096
)

// No call the kernel's table of calls in flight cannot hold, and no call
// that never returns, goes uncounted: a traced program keeps more calls
// open than the table holds, ends goroutines inside calls, leaves calls
// through recovered panics and exits with
// calls open; every call is a span or counted lost with its cause, exactly.
func TestCallsInFlightAreNeverLostSilently(t *testing.T) {
	targettest.RequireBPF(t)
	tg := targettest.Start(t, targettest.BuildProgram(t, "crowd", "crowd", false))
	h := startReceiver(t, testConfig(Config{
		Names: []string{"crowd"}, Functions: []string{"main.hold", "main.leave", "main.boom"},
		RingBufferSize: 1 << 25, MaxBatch: 1 << 16,
	}))
	get := func(path string) {
		t.Helper()
		if code, _, _ := timed(t, "GET", tg.URL+path, nil); code != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, code)
		}
	}
	spans := func(n int) map[string]int {
		t.Helper()
		names := map[string]int{}
		for _, r := range h.wait(t, n) {
			names[r.span.Name()]++
		}
		return names
	}
	lost := func(cause string) int64 { return h.metricWhere(t, "otelcol_receiver_ebpf_lost_events", "cause", cause) }

	// The /hold request's server span holds one entry while its
	// goroutines enter main.hold: the table takes inflightTable-1 of them.
	const crowd = inflightTable + 616
	get(fmt.Sprintf("/hold?n=%d", crowd))
	get("/release")
	held := inflightTable - 1
	if got := spans(held + 2); got["main.hold"] != held || got["GET /hold"] != 1 || got["GET /release"] != 1 {
		t.Errorf("spans %v, want %d main.hold and the two server spans", got, held)
	}
	waitFor(t, "the calls the table could not hold counted", func() bool { return lost(causeInflightFull) >= crowd-int64(held) })

	// Goroutines that end inside main.leave: their calls never return.
	const leavers = 50
	get(fmt.Sprintf("/goexit?n=%d", leavers))
	if got := spans(1); got["GET /goexit"] != 1 {
		t.Errorf("spans %v, want the GET /goexit server span only", got)
	}
	waitFor(t, "the abandoned calls counted", func() bool { return lost(causeAbandoned) >= leavers })

	// Goroutines that leave main.boom twice through a recovered panic (the
	// second call takes the first one's frame, the kernel counts the
	// first), then end (the sweep counts the second).
	const survivors = 30
	get(fmt.Sprintf("/recover?n=%d", survivors))
	if got := spans(1); got["GET /recover"] != 1 {
		t.Errorf("spans %v, want the GET /recover server span only", got)
	}
	waitFor(t, "the calls recovered panics left counted", func() bool { return lost(causeAbandoned) >= leavers+2*survivors })

	// The table is empty again: a crowd it can hold is delivered whole.
	get("/hold?n=1000")
	get("/release")
	if got := spans(1002); got["main.hold"] != 1000 {
		t.Errorf("spans %v, want 1000 main.hold", got)
	}

	// A process that exits with calls open: they are counted when it is
	// detached.
	const open = 20
	get(fmt.Sprintf("/hold?n=%d", open))
	spans(1)
	tg.Stop()
	waitFor(t, "the calls of the exited process counted", func() bool { return lost(causeDetached) >= open })

	for cause, want := range map[string]int64{
		causeInflightFull: crowd - int64(held), causeAbandoned: leavers + 2*survivors, causeDetached: open,
		causeRingBufferFull: 0, causeStreamFull: 0, causeProcessUnknown: 0, causeMalformed: 0,
	} {
		if got := lost(cause); got != want {
			t.Errorf("lost events with cause %s: %d, want %d", cause, got, want)
		}
	}
}

// Go runs a function's entry again when its prologue called morestack:
// to grow the stack, or to take a preemption, after which the goroutine
// runs again only when the scheduler gets to it, many milliseconds later
// on a busy machine. Such an entry is the same call, however late: one
// span from the first entry to the return, and nothing counted lost.
func TestEntriesRunAgainAfterPreemptionAreOneCall(t *testing.T) {
	targettest.RequireBPF(t)
	bin := targettest.BuildProgram(t, "crowd", "crowd", false)
	// Without asynchronous preemption the request waits for a prologue.
	t.Setenv("GODEBUG", "asyncpreemptoff=1")
	tg := targettest.Start(t, bin)
	h := startReceiver(t, testConfig(Config{Names: []string{"crowd"}, Functions: []string{"main.resumed"}}))
	const rounds = 10
	if code, _, _ := timed(t, "GET", fmt.Sprintf("%s/preempt?n=%d", tg.URL, rounds), nil); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	calls, late := 0, 0
	for _, r := range h.wait(t, 1+2*rounds) {
		if r.span.Name() != "main.resumed" {
			continue
		}
		calls++
		// resumed itself takes nanoseconds: a long span waited for the
		// other goroutine's spin between its two entries.
		if r.span.EndTimestamp().AsTime().Sub(r.span.StartTimestamp().AsTime()) >= 5*time.Millisecond {
			late++
		}
	}
	if calls != 2*rounds {
		t.Errorf("%d main.resumed spans, want %d", calls, 2*rounds)
	}
	if late < rounds {
		t.Errorf("%d of %d spans last from the first entry across the other goroutine's spin, want at least %d", late, calls, rounds)
	}
	if got := h.metric(t, "otelcol_receiver_ebpf_lost_events"); got != 0 {
		t.Errorf("%d events counted lost (%d abandoned), want none", got, h.metricWhere(t, "otelcol_receiver_ebpf_lost_events", "cause", causeAbandoned))
	}
}

// gRPC client streams outlive the call that opened them in a table of
// their own: more streams open at once than it holds, and each one it
// could not hold is counted; every call still has its server span.
func TestOpenStreamsBeyondTheTableAreCounted(t *testing.T) {
	targettest.RequireBPF(t)
	tg := targettest.Start(t, targettest.BuildProgram(t, "rpc", "rpc", false))
	h := startReceiver(t, testConfig(Config{Names: []string{"rpc"}, RingBufferSize: 1 << 24, MaxBatch: 1 << 16}))
	const streams = streamTable + 100
	if code, _, _ := timed(t, "GET", fmt.Sprintf("%s/streams?n=%d", tg.URL, streams), nil); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	kinds := map[ptrace.SpanKind]int{}
	for _, r := range h.wait(t, 1+streamTable+streams) {
		kinds[r.span.Kind()]++
	}
	if kinds[ptrace.SpanKindClient] != streamTable || kinds[ptrace.SpanKindServer] != 1+streams {
		t.Errorf("spans by kind %v, want %d client and %d server spans", kinds, streamTable, 1+streams)
	}
	waitFor(t, "the streams the table could not hold counted", func() bool { return h.metric(t, "otelcol_receiver_ebpf_lost_events") >= streams-streamTable })
	if got := h.metricWhere(t, "otelcol_receiver_ebpf_lost_events", "cause", causeStreamFull); got != streams-streamTable || h.metric(t, "otelcol_receiver_ebpf_lost_events") != got {
		byCause := map[string]int64{}
		for _, cause := range []string{causeRingBufferFull, causeProcessEvent, causeMalformed, causeProcessUnknown, causeInflightFull, causeStreamFull, causeAbandoned, causeDetached} {
			byCause[cause] = h.metricWhere(t, "otelcol_receiver_ebpf_lost_events", "cause", cause)
		}
		t.Errorf("lost events: %d with cause %s, %d in all (%v), want %d and no other", got, causeStreamFull, h.metric(t, "otelcol_receiver_ebpf_lost_events"), byCause, streams-streamTable)
	}
}
