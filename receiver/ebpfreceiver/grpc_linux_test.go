//go:build linux && amd64

package ebpfreceiver

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

// grpcCall is the spans one HTTP request to testdata/rpc makes: its own
// server span, the gRPC client span it starts, and the gRPC server span
// that serves the call.
type grpcCall struct{ http, client, server rec }

// grpcSpans sorts the three spans of one call.
func grpcSpans(t *testing.T, spans []rec) grpcCall {
	t.Helper()
	var c grpcCall
	for _, r := range spans {
		switch {
		case r.span.Kind() == ptrace.SpanKindClient:
			c.client = r
		case r.attr("rpc.system") == "grpc":
			c.server = r
		default:
			c.http = r
		}
	}
	if c.http.span == (ptrace.Span{}) || c.client.span == (ptrace.Span{}) || c.server.span == (ptrace.Span{}) {
		for _, r := range spans {
			t.Logf("span %s %v %v", r.span.Name(), r.span.Kind(), r.span.Attributes().AsRaw())
		}
		t.Fatal("want an HTTP server span, a gRPC client span and a gRPC server span")
	}
	return c
}

// check asserts names, statuses and attributes of a call of method
// ("pkg.Service/Method") that ended with code, and that the client span is
// the HTTP span's child and the server span the client span's.
func (c grpcCall) check(t *testing.T, method string, code int64, client, server ptrace.StatusCode) {
	t.Helper()
	svc, name, _ := strings.Cut(method, "/")
	want := map[string]any{"rpc.system": "grpc", "rpc.service": svc, "rpc.method": name, "rpc.grpc.status_code": code}
	for _, s := range []struct {
		r      rec
		status ptrace.StatusCode
	}{{c.client, client}, {c.server, server}} {
		if s.r.span.Name() != method || s.r.span.Status().Code() != s.status {
			t.Errorf("%s: %v span %q status %v, want %v", method, s.r.span.Kind(), s.r.span.Name(), s.r.span.Status().Code(), s.status)
		}
		wantAttrs(t, s.r, want)
		var errType any // only on ERROR spans: the code
		if s.status == ptrace.StatusCodeError {
			errType = strconv.FormatInt(code, 10)
		}
		wantAttrs(t, s.r, map[string]any{"error.type": errType})
	}
	childOf(t, c.client, c.http)
	childOf(t, c.server, c.client)
	wantAttrs(t, c.server, map[string]any{AttrParentVia: "connection"})
}

// google.golang.org/grpc: every call, unary or streaming (client, server
// and bidirectional streams), is a CLIENT span, child of the request that
// made it, and a SERVER span, child of that CLIENT span (the call's
// HTTP/2 connection and stream ID match them), with the status code. A
// traceparent in the call's metadata that names another trace is the
// server span's parent.
func TestGRPCSpans(t *testing.T) {
	targettest.RequireBPF(t)
	tg := targettest.Start(t, targettest.BuildProgram(t, "rpc", "rpc", false))
	h := startReceiver(t, testConfig(Config{Names: []string{"rpc"}, RingBufferSize: 1 << 16}))
	checkGRPCCalls(t, h, tg)

	// Server stream, ended by the client (it cancels after the first
	// message): CANCELLED for the client.
	timed(t, "GET", tg.URL+"/watch", nil)
	c := grpcSpans(t, h.wait(t, 3))
	if c.client.span.Name() != "grpc.health.v1.Health/Watch" || c.server.span.Name() != "grpc.health.v1.Health/Watch" {
		t.Errorf("streaming spans %q %q", c.client.span.Name(), c.server.span.Name())
	}
	wantAttrs(t, c.client, map[string]any{"rpc.grpc.status_code": int64(1), "error.type": "1"})
	childOf(t, c.client, c.http)
	childOf(t, c.server, c.client)

	// traceparent metadata naming another trace wins over the connection.
	tp := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	timed(t, "GET", tg.URL+"/check/shop?traceparent="+tp, nil)
	c = grpcSpans(t, h.wait(t, 3))
	childOf(t, c.client, c.http)
	if c.server.span.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || c.server.span.ParentSpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("server span trace %s parent %s, want the metadata's", c.server.span.TraceID(), c.server.span.ParentSpanID())
	}
	wantAttrs(t, c.server, map[string]any{AttrParentVia: "traceparent"})
}

// checkGRPCCalls makes testdata/rpc call itself, unary and streaming, with
// every outcome, and checks each call's three spans (see grpcCall.check),
// which must come from the target's process.
func checkGRPCCalls(t *testing.T, h *harness, tg *targettest.Target) {
	t.Helper()
	for _, tc := range []struct {
		path, method   string
		code           int64
		client, server ptrace.StatusCode
	}{
		{"/check/shop", "grpc.health.v1.Health/Check", 0, ptrace.StatusCodeUnset, ptrace.StatusCodeUnset},
		// NOT_FOUND is an error for the caller only.
		{"/check/nope", "grpc.health.v1.Health/Check", 5, ptrace.StatusCodeError, ptrace.StatusCodeUnset},
		{"/missing", "shop.Missing/Call", 12, ptrace.StatusCodeError, ptrace.StatusCodeError},
		// Client stream: three requests, one answer.
		{"/collect", "shop.Stream/Collect", 0, ptrace.StatusCodeUnset, ptrace.StatusCodeUnset},
		// Bidirectional, read to io.EOF: OK.
		{"/chat?say=a,b", "shop.Stream/Chat", 0, ptrace.StatusCodeUnset, ptrace.StatusCodeUnset},
		// Bidirectional, ended by the server with INTERNAL.
		{"/chat?say=a,fail", "shop.Stream/Chat", 13, ptrace.StatusCodeError, ptrace.StatusCodeError},
		// Through a stream interceptor that wraps the stream.
		{"/chat?say=a,b&wrapped=1", "shop.Stream/Chat", 0, ptrace.StatusCodeUnset, ptrace.StatusCodeUnset},
		{"/chat?say=fail&wrapped=1", "shop.Stream/Chat", 13, ptrace.StatusCodeError, ptrace.StatusCodeError},
	} {
		if code, _, _ := timed(t, "GET", tg.URL+tc.path, nil); code != 200 {
			t.Fatalf("%s: status %d", tc.path, code)
		}
		c := grpcSpans(t, h.wait(t, 3))
		c.check(t, tc.method, tc.code, tc.client, tc.server)
		for _, r := range []rec{c.http, c.client, c.server} {
			if pid, _ := r.res.Get("process.pid"); pid.Int() != int64(tg.PID) {
				t.Errorf("%s: %v span of pid %d, want %d", tc.path, r.span.Kind(), pid.Int(), tg.PID)
			}
		}
	}
}

// Programs built against other gRPC releases, stripped (their layouts then
// come from the table of their version): one whose streams are
// transport.Streams (before 1.69), one whose ServerStream embeds its
// Stream by pointer (1.69 to 1.76), one by value whose writer still sends
// headerFrames (before 1.82); and the oldest unstripped, through its
// DWARF. Every call gets its spans, status codes and same-host parent.
func TestGRPCReleases(t *testing.T) {
	targettest.RequireBPF(t)
	var targets []*targettest.Target
	for _, b := range []struct {
		version  string
		stripped bool
	}{{"v1.64.1", true}, {"v1.72.2", true}, {"v1.80.0", true}, {"v1.64.1", false}} {
		var flags []string
		if b.stripped {
			flags = append(flags, "-ldflags=-s -w")
		}
		targets = append(targets, targettest.Start(t, targettest.BuildRequiring(t, "rpc", "google.golang.org/grpc", b.version, "grpcrel", flags...)))
	}
	h := startReceiver(t, testConfig(Config{Names: []string{"grpcrel"}, RingBufferSize: 1 << 16}))
	if n := h.metric(t, "otelcol_receiver_ebpf_attached_processes"); n != int64(len(targets)) {
		t.Fatalf("attached %d processes, want %d", n, len(targets))
	}
	for _, tg := range targets {
		checkGRPCCalls(t, h, tg)
	}
}

// gRPC over TLS (transport credentials): the connection's addresses are
// read under gRPC's wrapper and the *tls.Conn, so every call is stitched
// as over plain TCP.
func TestGRPCOverTLS(t *testing.T) {
	targettest.RequireBPF(t)
	tg := targettest.Start(t, targettest.BuildProgram(t, "rpc", "rpc", false), "-tls")
	h := startReceiver(t, testConfig(Config{Names: []string{"rpc"}, RingBufferSize: 1 << 16}))
	checkGRPCCalls(t, h, tg)
}

// Two processes on one host: the gRPC server span in one is the child of
// the client span in the other, for unary and streaming calls, also when
// both programs are stripped (gRPC's offsets then come from the table of
// its version).
func TestGRPCStitchingAcrossProcesses(t *testing.T) {
	targettest.RequireBPF(t)
	for _, stripped := range []bool{false, true} {
		bin := targettest.BuildProgram(t, "rpc", "rpc", stripped)
		back := targettest.Start(t, bin)
		front := targettest.Start(t, bin, "-upstream", back.URL)
		h := startReceiver(t, testConfig(Config{Names: []string{"rpc"}, RingBufferSize: 1 << 16}))
		for _, tc := range []struct{ path, method string }{
			{"/check/shop", "grpc.health.v1.Health/Check"},
			{"/chat?say=a,b,c", "shop.Stream/Chat"},
		} {
			timed(t, "GET", front.URL+tc.path, nil)
			c := grpcSpans(t, h.wait(t, 3))
			c.check(t, tc.method, 0, ptrace.StatusCodeUnset, ptrace.StatusCodeUnset)
			for _, s := range []struct {
				r   rec
				pid int
			}{{c.http, front.PID}, {c.client, front.PID}, {c.server, back.PID}} {
				if pid, _ := s.r.res.Get("process.pid"); pid.Int() != int64(s.pid) {
					t.Errorf("stripped %v, %s: %v span of pid %d, want %d", stripped, tc.path, s.r.span.Kind(), pid.Int(), s.pid)
				}
			}
		}
		if err := h.rcv.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		back.Stop()
		front.Stop()
	}
}
