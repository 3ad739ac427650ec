//go:build linux && amd64

package ebpfreceiver

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/metadata"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

// rec is one received span with its resource.
type rec struct {
	res  pcommon.Map
	span ptrace.Span
}

func (r rec) attr(k string) any {
	v, ok := r.span.Attributes().Get(k)
	if !ok {
		return nil
	}
	return v.AsRaw()
}

type harness struct {
	sink *consumertest.TracesSink
	tel  *componenttest.Telemetry
	rcv  receiver.Traces
}

// testConfig is the default configuration with the fields set in c. A name
// of a program this test binary built becomes the paths of its builds (see
// targettest.Paths), and its service.name stays the name (or what
// c.ServiceNames maps it to) although its file is called
// targettest.Name(name).
func testConfig(c Config) *Config {
	d := createDefaultConfig()
	d.PIDs, d.Executables, d.Functions, d.ServiceNames = c.PIDs, c.Executables, c.Functions, map[string]string{}
	for _, n := range c.Names {
		paths := targettest.Paths(n)
		if len(paths) == 0 {
			d.Names = append(d.Names, n)
			continue
		}
		d.Executables = append(d.Executables, paths...)
		d.ServiceNames[targettest.Name(n)] = n
	}
	for exe, svc := range c.ServiceNames {
		if targettest.Paths(exe) != nil {
			exe = targettest.Name(exe)
		}
		d.ServiceNames[exe] = svc
	}
	if c.RingBufferSize != 0 {
		d.RingBufferSize = c.RingBufferSize
	}
	if c.MaxBatch != 0 {
		d.MaxBatch = c.MaxBatch
	}
	d.FlushInterval = c.FlushInterval
	return d
}

func startReceiver(t testing.TB, cfg *Config) *harness {
	t.Helper()
	h := &harness{sink: new(consumertest.TracesSink), tel: componenttest.NewTelemetry()}
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = h.tel.NewTelemetrySettings()
	set.Logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	if cfg.FlushInterval == 0 {
		cfg.FlushInterval = 20 * time.Millisecond
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	rcv, err := NewFactory().CreateTraces(context.Background(), set, cfg, h.sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := rcv.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	h.rcv = rcv
	t.Cleanup(func() {
		if err := rcv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		h.tel.Shutdown(context.Background())
	})
	return h
}

// wait returns the spans once n have arrived, failing after a timeout or
// when more than n arrive.
func (h *harness) wait(t testing.TB, n int) []rec {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.sink.SpanCount() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // let stray extra spans show up
	var out []rec
	for _, td := range h.sink.AllTraces() {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				ss := rs.ScopeSpans().At(j)
				for k := 0; k < ss.Spans().Len(); k++ {
					out = append(out, rec{res: rs.Resource().Attributes(), span: ss.Spans().At(k)})
				}
			}
		}
	}
	if len(out) != n {
		for _, r := range out {
			t.Logf("span %s %v %v", r.span.Name(), r.span.Kind(), r.span.Attributes().AsRaw())
		}
		t.Fatalf("got %d spans, want %d", len(out), n)
	}
	h.sink.Reset()
	return out
}

// timed sends a request and returns the wall-clock window around it.
func timed(t *testing.T, method, url string, hdr http.Header) (int, time.Time, time.Time) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	before := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, before, time.Now()
}

func within(t *testing.T, s ptrace.Span, before, after time.Time) {
	t.Helper()
	st, en := s.StartTimestamp().AsTime(), s.EndTimestamp().AsTime()
	if st.Before(before) || en.After(after) || en.Before(st) {
		t.Errorf("span %s [%v, %v] not within request [%v, %v]", s.Name(), st, en, before, after)
	}
}

func wantAttrs(t *testing.T, r rec, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got := r.attr(k); got != v {
			t.Errorf("span %q: %s = %#v, want %#v", r.span.Name(), k, got, v)
		}
	}
}

func TestServerSpans(t *testing.T) {
	targettest.RequireBPF(t)
	bin := targettest.Build(t, "frontend", false)
	tg := targettest.Start(t, bin)
	h := startReceiver(t, testConfig(Config{
		Names:          []string{"frontend"},
		ServiceNames:   map[string]string{"frontend": "shop-frontend"},
		RingBufferSize: 1 << 16, MaxBatch: 100,
	}))
	code, before, after := timed(t, "GET", tg.URL+"/users/42", nil)
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	r := h.wait(t, 1)[0]
	within(t, r.span, before, after)
	if r.span.Name() != "GET /users/{id}" || r.span.Kind() != ptrace.SpanKindServer || r.span.Status().Code() != ptrace.StatusCodeUnset {
		t.Errorf("span %q kind %v status %v", r.span.Name(), r.span.Kind(), r.span.Status().Code())
	}
	if !r.span.ParentSpanID().IsEmpty() || r.span.TraceID().IsEmpty() {
		t.Errorf("want a new root span, got parent %v trace %v", r.span.ParentSpanID(), r.span.TraceID())
	}
	_, portStr, _ := strings.Cut(tg.Addr, ":")
	var srvPort int64
	fmt.Sscan(portStr, &srvPort)
	wantAttrs(t, r, map[string]any{
		"http.request.method": "GET", "url.path": "/users/42", "http.route": "/users/{id}",
		"server.port": srvPort, "server.address": "127.0.0.1", "client.address": "127.0.0.1",
		"http.response.status_code": int64(200), AttrSource: "ebpf", "url.scheme": "http",
	})
	if p, ok := r.attr("client.port").(int64); !ok || p <= 0 || p == srvPort {
		t.Errorf("client.port = %v", r.attr("client.port"))
	}
	host, _ := os.Hostname()
	wantRes := map[string]any{
		"service.name": "shop-frontend", "process.pid": int64(tg.PID), "process.executable.name": targettest.Name("frontend"),
		"process.executable.path": bin, "process.runtime.name": "go", "host.name": host,
		"telemetry.distro.name": "tracemap",
	}
	for k, v := range wantRes {
		if got, _ := r.res.Get(k); got.AsRaw() != v {
			t.Errorf("resource %s = %v, want %v", k, got.AsRaw(), v)
		}
	}
	if v, _ := r.res.Get("process.runtime.version"); !strings.HasPrefix(v.Str(), "go1.") {
		t.Errorf("process.runtime.version = %q", v.Str())
	}

	// Error path: 5xx is an ERROR span.
	code, before, after = timed(t, "POST", tg.URL+"/fail", nil)
	if code != 500 {
		t.Fatalf("status %d", code)
	}
	r = h.wait(t, 1)[0]
	within(t, r.span, before, after)
	if r.span.Name() != "POST /fail" || r.span.Status().Code() != ptrace.StatusCodeError {
		t.Errorf("span %q status %v", r.span.Name(), r.span.Status().Code())
	}
	wantAttrs(t, r, map[string]any{"http.response.status_code": int64(500), "error.type": "500", "http.request.method": "POST"})

	// Unmatched path: no route, name is the method.
	timed(t, "GET", tg.URL+"/nope", nil)
	r = h.wait(t, 1)[0]
	if r.span.Name() != "GET" || r.attr("http.route") != nil {
		t.Errorf("span %q route %v", r.span.Name(), r.attr("http.route"))
	}
	wantAttrs(t, r, map[string]any{"http.response.status_code": int64(404)})

	// W3C traceparent joins the caller's trace.
	tp := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	timed(t, "GET", tg.URL+"/hello", http.Header{"Traceparent": {tp}})
	r = h.wait(t, 1)[0]
	if got := r.span.TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("trace id %s", got)
	}
	if got := r.span.ParentSpanID().String(); got != "00f067aa0ba902b7" {
		t.Errorf("parent id %s", got)
	}
	wantAttrs(t, r, map[string]any{AttrParentVia: "traceparent"})

	// A malformed traceparent starts a new trace.
	timed(t, "GET", tg.URL+"/hello", http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e473x-00f067aa0ba902b7-01"}})
	r = h.wait(t, 1)[0]
	if !r.span.ParentSpanID().IsEmpty() || r.span.TraceID().String() == "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("malformed traceparent was used")
	}

	// Many headers turn the header map into a directory of tables; the
	// traceparent is still found.
	hdr := http.Header{"Traceparent": {tp}}
	for i := range 20 {
		hdr.Set(fmt.Sprintf("X-Filler-%d", i), "x")
	}
	timed(t, "GET", tg.URL+"/hello", hdr)
	r = h.wait(t, 1)[0]
	if got := r.span.TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("traceparent among 21 headers: trace id %s", got)
	}

	if got := h.metric(t, "otelcol_receiver_ebpf_spans"); got != 6 {
		t.Errorf("otelcol_receiver_ebpf_spans = %d, want 6", got)
	}
	if got := h.metric(t, "otelcol_receiver_ebpf_attached_processes"); got != 1 {
		t.Errorf("otelcol_receiver_ebpf_attached_processes = %d, want 1", got)
	}
}

// metric sums an int64 counter of the receiver's own telemetry.
func (h *harness) metric(t testing.TB, name string) int64 {
	t.Helper()
	return h.metricWhere(t, name, "", "")
}

// metricWhere sums the data points of a counter whose attribute key has
// value (all of them when key is "").
func (h *harness) metricWhere(t testing.TB, name, key, value string) int64 {
	t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0 // never recorded
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s is %T", name, m.Data)
	}
	var n int64
	for _, dp := range sum.DataPoints {
		if v, ok := dp.Attributes.Value(attribute.Key(key)); key == "" || (ok && v.AsString() == value) {
			n += dp.Value
		}
	}
	return n
}

// HTTP/2 over TLS reaches ServeHTTP with another response writer: its spans
// carry the status from that writer's state, not bytes read as if it were
// HTTP/1's. A position-independent build exercises the load bias that the
// type checks need.
func TestServerSpansHTTP2AndPIE(t *testing.T) {
	targettest.RequireBPF(t)
	tg := targettest.Start(t, targettest.BuildWith(t, "shop", "frontend", "-buildmode=pie"), "-tls")
	h := startReceiver(t, testConfig(Config{Names: []string{"frontend"}}))
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}}
	url := "https://" + tg.Addr

	for _, tc := range []struct {
		method, path, name string
		code               int64
		status             ptrace.StatusCode
	}{
		{"GET", "/users/3", "GET /users/{id}", 200, ptrace.StatusCodeUnset},
		{"POST", "/fail", "POST /fail", 500, ptrace.StatusCodeError},
	} {
		req, _ := http.NewRequest(tc.method, url+tc.path, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("served over %s, want HTTP/2", resp.Proto)
		}
		r := h.wait(t, 1)[0]
		if r.span.Name() != tc.name || r.span.Status().Code() != tc.status {
			t.Errorf("span %q status %v, want %q %v", r.span.Name(), r.span.Status().Code(), tc.name, tc.status)
		}
		wantAttrs(t, r, map[string]any{"http.response.status_code": tc.code, "network.protocol.version": "2", "url.path": tc.path, "url.scheme": "https", "client.address": "127.0.0.1"})
	}

	// HTTP/1.1 over TLS: the addresses come from the TCP connection under
	// the *tls.Conn.
	c1 := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		TLSNextProto:    map[string]func(string, *tls.Conn) http.RoundTripper{},
	}}
	resp, err := c1.Get(url + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 1 {
		t.Fatalf("served over %s, want HTTP/1.1", resp.Proto)
	}
	r := h.wait(t, 1)[0]
	wantAttrs(t, r, map[string]any{"http.response.status_code": int64(200), "client.address": "127.0.0.1", "network.protocol.version": nil, "url.scheme": "https"})
}
