//go:build linux && amd64

package ebpfreceiver

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

// A server-only program (no HTTP client: the linker drops the client's
// types) built with each supported release other than the installed one,
// stripped and position independent for the oldest: traced with route,
// status and a traceparent found among 60 and 100 headers (Go 1.23's
// bucketed header map, and Swiss tables of 16 and 32 groups).
func TestGoReleasesServerOnly(t *testing.T) {
	targettest.RequireBPF(t)
	builds := map[string]string{
		"go1.23.12": targettest.BuildToolchain(t, "go1.23.12", "whoami", "whoami", "-ldflags=-s -w", "-buildmode=pie"),
		"go1.24.13": targettest.BuildToolchain(t, "go1.24.13", "whoami", "whoami"),
		"go1.25.5":  targettest.BuildToolchain(t, "go1.25.5", "whoami", "whoami", "-ldflags=-s -w"),
	}
	targets := map[string]*targettest.Target{}
	for v, bin := range builds {
		targets[v] = targettest.Start(t, bin)
	}
	h := startReceiver(t, testConfig(Config{Names: []string{"whoami"}, RingBufferSize: 1 << 16}))
	if n := h.metric(t, "otelcol_receiver_ebpf_attached_processes"); n != 3 {
		t.Fatalf("attached %d processes, want 3", n)
	}
	const traceID, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	for v, tg := range targets {
		for _, headers := range []int{0, 60, 100} {
			hdr := http.Header{"Traceparent": {"00-" + traceID + "-" + parent + "-01"}}
			for i := range headers - 1 {
				hdr.Set(fmt.Sprintf("X-Filler-%d", i), "x")
			}
			code, before, after := timed(t, "GET", tg.URL+"/who/ada", hdr)
			if code != 200 {
				t.Fatalf("%s: status %d", v, code)
			}
			r := h.wait(t, 1)[0]
			within(t, r.span, before, after)
			if r.span.Name() != "GET /who/{name}" || r.span.TraceID().String() != traceID || r.span.ParentSpanID().String() != parent {
				t.Errorf("%s, %d headers: span %q trace %s parent %s", v, headers, r.span.Name(), r.span.TraceID(), r.span.ParentSpanID())
			}
			if got, _ := r.res.Get("process.runtime.version"); got.Str() != v {
				t.Errorf("process.runtime.version = %q, want %q", got.Str(), v)
			}
			wantAttrs(t, r, map[string]any{"http.response.status_code": int64(200), "url.path": "/who/ada", "client.address": "127.0.0.1"})
		}
		code, _, _ := timed(t, "POST", tg.URL+"/fail", nil)
		r := h.wait(t, 1)[0]
		wantAttrs(t, r, map[string]any{"http.response.status_code": int64(code), "error.type": "503"})
	}
}
