//go:build linux && amd64

package ebpfreceiver

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

// shopPair runs a backend and a frontend whose /call forwards to the backend.
func shopPair(t *testing.T) (front, back *targettest.Target) {
	back = targettest.Start(t, targettest.Build(t, "backend", false))
	front = targettest.Start(t, targettest.Build(t, "frontend", false), "-backend", back.URL)
	return front, back
}

func service(r rec) string {
	v, _ := r.res.Get("service.name")
	return v.Str()
}

// pick returns the one span of the given service and kind.
func pick(t *testing.T, spans []rec, svc string, kind ptrace.SpanKind) rec {
	t.Helper()
	var found []rec
	for _, r := range spans {
		if service(r) == svc && r.span.Kind() == kind {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %v spans of %s, want 1", len(found), kind, svc)
	}
	return found[0]
}

func childOf(t *testing.T, child, parent rec) {
	t.Helper()
	if child.span.TraceID() != parent.span.TraceID() || child.span.ParentSpanID() != parent.span.SpanID() {
		t.Errorf("%s/%s (trace %v parent %v) is not a child of %s/%s (trace %v span %v)",
			service(child), child.span.Name(), child.span.TraceID(), child.span.ParentSpanID(),
			service(parent), parent.span.Name(), parent.span.TraceID(), parent.span.SpanID())
	}
}

func TestClientSpansAndStitching(t *testing.T) {
	targettest.RequireBPF(t)
	front, back := shopPair(t)
	h := startReceiver(t, testConfig(Config{Names: []string{"frontend", "backend"}, RingBufferSize: 1 << 16, MaxBatch: 100}))
	stitchedCall(t, h, front, back, back.URL)

	// 4xx from the backend: the client span is an error, the servers are not.
	timed(t, "GET", front.URL+"/call?to=/missing", nil)
	spans := h.wait(t, 3)
	fc := pick(t, spans, "frontend", ptrace.SpanKindClient)
	if fc.span.Status().Code() != ptrace.StatusCodeError || fc.attr("http.response.status_code") != int64(404) {
		t.Errorf("client span for a 404: status %v code %v", fc.span.Status().Code(), fc.attr("http.response.status_code"))
	}
	if s := pick(t, spans, "backend", ptrace.SpanKindServer); s.span.Status().Code() != ptrace.StatusCodeUnset {
		t.Error("a 404 server span must not be an error")
	}
}

// HTTP/1.1 over TLS (the frontend's client speaks no HTTP/2): the
// addresses are read from the TCP connection under the *tls.Conn on both
// sides, and the call is stitched as over plain TCP.
func TestStitchingOverTLS(t *testing.T) {
	targettest.RequireBPF(t)
	back := targettest.Start(t, targettest.Build(t, "backend", false), "-tls")
	front := targettest.Start(t, targettest.Build(t, "frontend", false), "-backend", "https://"+back.Addr)
	h := startReceiver(t, testConfig(Config{Names: []string{"frontend", "backend"}, RingBufferSize: 1 << 16, MaxBatch: 100}))
	stitchedCall(t, h, front, back, "https://"+back.Addr)
}

// stitchedCall asks the frontend to call the backend (at base) and checks
// the three spans: the frontend's server span, its client span with both
// ends' addresses, and the backend's server span, the client span's child
// through the connection.
func stitchedCall(t *testing.T, h *harness, front, back *targettest.Target, base string) {
	t.Helper()
	_, backPort, _ := net.SplitHostPort(back.Addr)
	code, before, after := timed(t, "GET", front.URL+"/call?to=/users/7", nil)
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	spans := h.wait(t, 3)
	fs := pick(t, spans, "frontend", ptrace.SpanKindServer)
	fc := pick(t, spans, "frontend", ptrace.SpanKindClient)
	bs := pick(t, spans, "backend", ptrace.SpanKindServer)
	for _, r := range spans {
		within(t, r.span, before, after)
	}
	if !fs.span.ParentSpanID().IsEmpty() {
		t.Error("frontend server span should be the root")
	}
	childOf(t, fc, fs)
	childOf(t, bs, fc)
	// The client span encloses the server span it caused.
	if bs.span.StartTimestamp() < fc.span.StartTimestamp() || bs.span.EndTimestamp() > fc.span.EndTimestamp() {
		t.Errorf("backend server span not inside the client span")
	}
	if fc.span.Name() != "GET" || fc.span.Status().Code() != ptrace.StatusCodeUnset {
		t.Errorf("client span %q status %v", fc.span.Name(), fc.span.Status().Code())
	}
	var port int64
	fmt.Sscan(backPort, &port)
	scheme, _, _ := strings.Cut(base, "://")
	wantAttrs(t, fc, map[string]any{
		"http.request.method": "GET", "url.full": base + "/users/7", "server.address": "127.0.0.1",
		"server.port": port, "http.response.status_code": int64(200), "network.peer.port": port, "network.peer.address": "127.0.0.1",
	})
	if p, ok := fc.attr("network.local.port").(int64); !ok || p <= 0 {
		t.Errorf("client span network.local.port = %v", fc.attr("network.local.port"))
	}
	wantAttrs(t, bs, map[string]any{
		AttrParentVia: "connection", "http.route": "/users/{id}", "url.scheme": scheme,
		"client.address": "127.0.0.1", "client.port": fc.attr("network.local.port"),
	})
}

func TestClientTransportError(t *testing.T) {
	targettest.RequireBPF(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens there now
	front := targettest.Start(t, targettest.Build(t, "frontend", false), "-backend", "http://"+dead)
	h := startReceiver(t, testConfig(Config{Names: []string{"frontend"}, RingBufferSize: 1 << 16, MaxBatch: 100}))

	code, _, _ := timed(t, "GET", front.URL+"/call?to=/x", nil)
	if code != 502 {
		t.Fatalf("status %d", code)
	}
	spans := h.wait(t, 2)
	fc := pick(t, spans, "frontend", ptrace.SpanKindClient)
	fs := pick(t, spans, "frontend", ptrace.SpanKindServer)
	childOf(t, fc, fs)
	if fc.span.Status().Code() != ptrace.StatusCodeError || fc.attr("error.type") != "_OTHER" || fc.attr("http.response.status_code") != nil {
		t.Errorf("transport error span: status %v attrs %v", fc.span.Status().Code(), fc.span.Attributes().AsRaw())
	}
	if fs.span.Status().Code() != ptrace.StatusCodeError || fs.attr("http.response.status_code") != int64(502) {
		t.Errorf("server span: status %v attrs %v", fs.span.Status().Code(), fs.span.Attributes().AsRaw())
	}
}

func TestInternalFunctionsAndGoroutines(t *testing.T) {
	targettest.RequireBPF(t)
	front := targettest.Start(t, targettest.Build(t, "frontend", false))
	h := startReceiver(t, testConfig(Config{
		Names: []string{"frontend"}, Functions: []string{"main.chargeCard", "main.work", "main.absent"},
		RingBufferSize: 1 << 16, MaxBatch: 100,
	}))

	timed(t, "GET", front.URL+"/charge", nil)
	spans := h.wait(t, 2)
	srv := pick(t, spans, "frontend", ptrace.SpanKindServer)
	fn := pick(t, spans, "frontend", ptrace.SpanKindInternal)
	childOf(t, fn, srv)
	if fn.span.Name() != "main.chargeCard" || fn.attr("code.function.name") != "main.chargeCard" {
		t.Errorf("internal span %q attrs %v", fn.span.Name(), fn.span.Attributes().AsRaw())
	}
	// chargeCard sleeps 2ms.
	if d := fn.span.EndTimestamp().AsTime().Sub(fn.span.StartTimestamp().AsTime()); d < 2*time.Millisecond || d > 200*time.Millisecond {
		t.Errorf("chargeCard took %v", d)
	}

	// Goroutines started by the handler: their spans are children of the request.
	timed(t, "GET", front.URL+"/spawn", nil)
	spans = h.wait(t, 3)
	srv = pick(t, spans, "frontend", ptrace.SpanKindServer)
	n := 0
	for _, r := range spans {
		if r.span.Kind() == ptrace.SpanKindInternal {
			n++
			if r.span.Name() != "main.work" {
				t.Errorf("unexpected %q", r.span.Name())
			}
			childOf(t, r, srv)
		}
	}
	if n != 2 {
		t.Errorf("%d main.work spans, want 2", n)
	}
}

// Fifty requests at once through frontend -> backend: every span arrives,
// and every backend span is stitched to the one client span of its request.
func TestConcurrentRequestsStitched(t *testing.T) {
	targettest.RequireBPF(t)
	front, _ := shopPair(t)
	h := startReceiver(t, testConfig(Config{Names: []string{"frontend", "backend"}, RingBufferSize: 1 << 20, MaxBatch: 1000}))

	const n = 50
	fanOut(t, front.URL, n, n)
	spans := h.wait(t, 3*n)
	if traces, ok := stitched(spans); traces != n || ok != n {
		t.Errorf("%d traces, %d stitched right; want %d and %d", traces, ok, n, n)
	}
	if lost := h.metric(t, "otelcol_receiver_ebpf_lost_events"); lost != 0 {
		t.Errorf("lost %d events", lost)
	}
}

// fanOut sends n requests /call?to=/users/{i} to the frontend, parallel at
// most at a time, and fails on any status but 200.
func fanOut(tb testing.TB, frontURL string, n, parallel int) {
	tb.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			resp, err := http.Get(fmt.Sprintf("%s/call?to=/users/%d", frontURL, i))
			if err != nil {
				errs <- err
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- fmt.Errorf("request %d: status %d", i, resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

// stitched groups the spans of frontend -> backend requests by trace and
// counts the traces that are exactly right: three spans, the client a child
// of the frontend server span, the backend server span a child of the
// client span, and the backend serving the path the client asked for.
func stitched(spans []rec) (traces, correct int) {
	byTrace := map[pcommon.TraceID][]rec{}
	for _, r := range spans {
		byTrace[r.span.TraceID()] = append(byTrace[r.span.TraceID()], r)
	}
	for _, tr := range byTrace {
		var fs, fc, bs []rec
		for _, r := range tr {
			switch {
			case service(r) == "frontend" && r.span.Kind() == ptrace.SpanKindServer:
				fs = append(fs, r)
			case service(r) == "frontend" && r.span.Kind() == ptrace.SpanKindClient:
				fc = append(fc, r)
			case service(r) == "backend" && r.span.Kind() == ptrace.SpanKindServer:
				bs = append(bs, r)
			}
		}
		if len(tr) != 3 || len(fs) != 1 || len(fc) != 1 || len(bs) != 1 {
			continue
		}
		path, _ := bs[0].attr("url.path").(string)
		full, _ := fc[0].attr("url.full").(string)
		if fc[0].span.ParentSpanID() == fs[0].span.SpanID() && bs[0].span.ParentSpanID() == fc[0].span.SpanID() &&
			path != "" && strings.HasSuffix(full, path) {
			correct++
		}
	}
	return len(byTrace), correct
}

// Work handed over a channel to a goroutine started before the request (a
// worker pool) is not the request's child by default: it starts a trace of
// its own. With channels: true the handover is followed (the sender's span
// is read at the send, nothing is written into the program).
func TestWorkerPoolLineage(t *testing.T) {
	targettest.RequireBPF(t)
	front := targettest.Start(t, targettest.Build(t, "frontend", false))
	for _, channels := range []bool{false, true} {
		cfg := testConfig(Config{Names: []string{"frontend"}, Functions: []string{"main.work"}, RingBufferSize: 1 << 16})
		cfg.Channels = channels
		h := startReceiver(t, cfg)
		for range 2 { // twice: the pool's goroutines are already waiting the second time
			timed(t, "GET", front.URL+"/pool", nil)
			spans := h.wait(t, 2)
			srv := pick(t, spans, "frontend", ptrace.SpanKindServer)
			job := pick(t, spans, "frontend", ptrace.SpanKindInternal)
			if srv.span.Name() != "GET /pool" || job.span.Name() != "main.work" {
				t.Fatalf("spans %q, %q", srv.span.Name(), job.span.Name())
			}
			if channels {
				childOf(t, job, srv)
			} else if !job.span.ParentSpanID().IsEmpty() || job.span.TraceID() == srv.span.TraceID() {
				t.Errorf("pool work: parent %v trace %v, want a root of its own trace (request trace %v)", job.span.ParentSpanID(), job.span.TraceID(), srv.span.TraceID())
			}
		}
		h.rcv.Shutdown(context.Background())
	}
}
