//go:build linux && amd64

package ebpfreceiver

import (
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

// google.golang.org/grpc: a unary call is a CLIENT span (child of the
// request that made it) and a SERVER span with the status code; a
// streaming RPC is a SERVER span for the whole stream. The server span is
// not stitched to the client's (an HTTP/2 connection carries many calls).
func TestGRPCSpans(t *testing.T) {
	targettest.RequireBPF(t)
	tg := targettest.Start(t, targettest.BuildProgram(t, "rpc", "rpc", false))
	h := startReceiver(t, testConfig(Config{Names: []string{"rpc"}, RingBufferSize: 1 << 16}))
	for _, tc := range []struct {
		path, route, method string
		code                int64
		client, server      ptrace.StatusCode
	}{
		{"/check/shop", "/check/{service}", "grpc.health.v1.Health/Check", 0, ptrace.StatusCodeUnset, ptrace.StatusCodeUnset},
		// NOT_FOUND is an error for the caller only.
		{"/check/nope", "/check/{service}", "grpc.health.v1.Health/Check", 5, ptrace.StatusCodeError, ptrace.StatusCodeUnset},
		{"/missing", "/missing", "shop.Missing/Call", 12, ptrace.StatusCodeError, ptrace.StatusCodeError},
	} {
		timed(t, "GET", tg.URL+tc.path, nil)
		byKind := map[ptrace.SpanKind][]rec{}
		for _, r := range h.wait(t, 3) {
			byKind[r.span.Kind()] = append(byKind[r.span.Kind()], r)
		}
		var httpSrv, grpcSrv rec
		for _, r := range byKind[ptrace.SpanKindServer] {
			if r.attr("rpc.system") == "grpc" {
				grpcSrv = r
			} else {
				httpSrv = r
			}
		}
		cl := byKind[ptrace.SpanKindClient]
		if len(cl) != 1 || httpSrv.span.Name() != "GET "+tc.route {
			t.Fatalf("%s: spans %v", tc.path, byKind)
		}
		c := cl[0]
		if c.span.Name() != tc.method || c.span.ParentSpanID() != httpSrv.span.SpanID() || c.span.Status().Code() != tc.client {
			t.Errorf("%s: client span %q parent %s status %v", tc.path, c.span.Name(), c.span.ParentSpanID(), c.span.Status().Code())
		}
		svc, method, _ := strings.Cut(tc.method, "/")
		want := map[string]any{"rpc.system": "grpc", "rpc.service": svc, "rpc.method": method, "rpc.grpc.status_code": tc.code}
		wantAttrs(t, c, want)
		if grpcSrv.span.Name() != tc.method || grpcSrv.span.Status().Code() != tc.server {
			t.Errorf("%s: server span %q status %v", tc.path, grpcSrv.span.Name(), grpcSrv.span.Status().Code())
		}
		wantAttrs(t, grpcSrv, want)
	}

	// Streaming: the server span lasts the stream.
	timed(t, "GET", tg.URL+"/watch", nil)
	names := map[string]ptrace.SpanKind{}
	for _, r := range h.wait(t, 2) {
		names[r.span.Name()] = r.span.Kind()
	}
	if names["grpc.health.v1.Health/Watch"] != ptrace.SpanKindServer || names["GET /watch"] != ptrace.SpanKindServer {
		t.Errorf("streaming spans %v", names)
	}
}
