package traceio

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// got is what a test reads of an input: the spans by name, the format and
// how many units Next handed out.
type got struct {
	td     ptrace.Traces
	format Format
	units  int
	spans  map[string]spanAt // the first span of each name
	dups   map[string]bool   // names of more than one span
}

type spanAt struct {
	ptrace.Span
	service, scope string
}

func readInput(t *testing.T, name string, data []byte, opt Options) got {
	t.Helper()
	r := NewReader(name, bytes.NewReader(data), opt)
	defer r.Close()
	g := got{td: ptrace.NewTraces(), spans: map[string]spanAt{}, dups: map[string]bool{}}
	for {
		td, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		g.units++
		td.ResourceSpans().MoveAndAppendTo(g.td.ResourceSpans())
	}
	g.format = r.Format()
	for _, rs := range g.td.ResourceSpans().All() {
		svc, _ := rs.Resource().Attributes().Get("service.name")
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				if _, dup := g.spans[s.Name()]; dup {
					g.dups[s.Name()] = true
					continue
				}
				g.spans[s.Name()] = spanAt{s, svc.Str(), ss.Scope().Name()}
			}
		}
	}
	return g
}

func readFixture(t *testing.T, file string, opt Options) got {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return readInput(t, file, data, opt)
}

func (g got) span(t *testing.T, name string) spanAt {
	t.Helper()
	s, ok := g.spans[name]
	if !ok || g.dups[name] {
		t.Fatalf("%v spans named %q", map[bool]string{false: "no", true: "several"}[ok], name)
	}
	return s
}

// at is a time in the fixtures, which start at 1718000000 s.
func at(offset time.Duration) pcommon.Timestamp {
	return pcommon.Timestamp(1718000000*int64(time.Second) + int64(offset))
}

func checkTimes(t *testing.T, s spanAt, start, end time.Duration) {
	t.Helper()
	if s.StartTimestamp() != at(start) || s.EndTimestamp() != at(end) {
		t.Errorf("%s: %v..%v, want %v..%v", s.Name(),
			time.Duration(int64(s.StartTimestamp())-int64(at(0))), time.Duration(int64(s.EndTimestamp())-int64(at(0))), start, end)
	}
}

func attr(s spanAt, key string) any {
	v, ok := s.Attributes().Get(key)
	if !ok {
		return nil
	}
	return v.AsRaw()
}

func TestOTLPLines(t *testing.T) {
	g := readFixture(t, "otlp-lines.jsonl", Options{})
	if g.format != OTLP || g.td.SpanCount() != 2 || g.units != 2 {
		t.Fatalf("format %s, %d spans, %d units", g.format, g.td.SpanCount(), g.units)
	}
	q := g.span(t, "query")
	if q.service != "db" || q.ParentSpanID() != g.span(t, "GET /").SpanID() || q.Kind() != ptrace.SpanKindClient {
		t.Fatalf("query: service %q parent %s kind %s", q.service, q.ParentSpanID(), q.Kind())
	}
}

// Pretty-printed documents, several per file, camelCase and snake_case,
// upper-case hex and numbers as numbers (as OpenTelemetry's own example).
func TestOTLPPrettyDocuments(t *testing.T) {
	g := readFixture(t, "otlp-pretty.json", Options{})
	if g.format != OTLP || g.td.SpanCount() != 3 || g.units != 2 {
		t.Fatalf("format %s, %d spans, %d units", g.format, g.td.SpanCount(), g.units)
	}
	root, charge, pay := g.span(t, "POST /checkout"), g.span(t, "charge card"), g.span(t, "POST /charge")
	if root.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || root.SpanID().String() != "b7ad6b7169203331" {
		t.Fatalf("ids %s %s", root.TraceID(), root.SpanID())
	}
	if charge.ParentSpanID() != root.SpanID() || pay.ParentSpanID() != charge.SpanID() {
		t.Fatal("parents lost")
	}
	if root.service != "checkout" || root.scope != "shop.http" || pay.service != "payment" {
		t.Fatalf("services %q %q scope %q", root.service, pay.service, root.scope)
	}
	if root.Kind() != ptrace.SpanKindServer || charge.Kind() != ptrace.SpanKindClient || pay.Kind() != ptrace.SpanKindServer {
		t.Fatalf("kinds %s %s %s", root.Kind(), charge.Kind(), pay.Kind())
	}
	for _, s := range []spanAt{root, charge, pay} {
		if s.Status().Code() != ptrace.StatusCodeError {
			t.Errorf("%s: status %s", s.Name(), s.Status().Code())
		}
	}
	checkTimes(t, root, 0, 250*time.Millisecond)
	checkTimes(t, charge, 10*time.Millisecond, 240*time.Millisecond)
	checkTimes(t, pay, 20*time.Millisecond, 230*time.Millisecond)
	if charge.Events().Len() != 1 || charge.Links().Len() != 1 || attr(root, "http.response.status_code") != int64(502) {
		t.Fatal("events, links or attributes lost")
	}
}

func TestJaegerUIDownload(t *testing.T) {
	g := readFixture(t, "jaeger-ui.json", Options{})
	if g.format != Jaeger || g.td.SpanCount() != 2 || g.units != 1 {
		t.Fatalf("format %s, %d spans, %d units", g.format, g.td.SpanCount(), g.units)
	}
	root, child := g.span(t, "GET /checkout"), g.span(t, "charge")
	if root.service != "frontend" || child.service != "payment" {
		t.Fatalf("services %q %q", root.service, child.service)
	}
	if child.ParentSpanID() != root.SpanID() || root.Kind() != ptrace.SpanKindServer || child.Kind() != ptrace.SpanKindClient {
		t.Fatal("CHILD_OF or kinds lost")
	}
	if root.Status().Code() != ptrace.StatusCodeError || child.Status().Code() != ptrace.StatusCodeUnset {
		t.Fatal("error tag not mapped to status")
	}
	if d := root.EndTimestamp() - root.StartTimestamp(); d != 120_000_000 {
		t.Fatalf("duration %d ns", d)
	}
	if attr(root, "http.response.status_code") != int64(500) || attr(child, "retries") != 1.5 || attr(root, "span.kind") != nil {
		t.Fatal("typed tags")
	}
	if root.Events().Len() != 1 || root.Events().At(0).Name() != "retry" {
		t.Fatal("log not turned into an event")
	}
}

func TestJaegerBareTrace(t *testing.T) {
	g := readFixture(t, "jaeger-trace.json", Options{})
	if g.format != Jaeger || g.td.SpanCount() != 3 {
		t.Fatalf("format %s, %d spans", g.format, g.td.SpanCount())
	}
	route, compute, store := g.span(t, "HTTP GET /route"), g.span(t, "compute"), g.span(t, "store")
	if route.TraceID().String() != "00000000000000006c3f2a1b0d9e8f7a" {
		t.Fatalf("64-bit trace ID not padded: %s", route.TraceID())
	}
	// Tags of every type.
	for key, want := range map[string]any{"sampler.param": true, "http.status_code": int64(200), "load": 0.25, "blob": []byte{0, 1, 2}} {
		if got := attr(route, key); !equalRaw(got, want) {
			t.Errorf("tag %s = %#v, want %#v", key, got, want)
		}
	}
	if route.scope != "route-lib" || route.Status().Code() != ptrace.StatusCodeOk || route.Kind() != ptrace.SpanKindServer {
		t.Fatalf("scope %q status %s kind %s", route.scope, route.Status().Code(), route.Kind())
	}
	if w, _ := route.Attributes().Get(JaegerWarningsAttribute); w.Slice().Len() != 1 || w.Slice().At(0).Str() != "clock skew adjustment disabled" {
		t.Fatal("warnings lost")
	}
	// FOLLOWS_FROM alone is the parent; CHILD_OF wins over it; the rest are links.
	if compute.ParentSpanID() != route.SpanID() || compute.Links().Len() != 0 {
		t.Fatal("FOLLOWS_FROM-only span has no parent")
	}
	if store.ParentSpanID() != route.SpanID() || store.Links().Len() != 2 {
		t.Fatalf("store: parent %s, %d links", store.ParentSpanID(), store.Links().Len())
	}
	l0, l1 := store.Links().At(0), store.Links().At(1)
	if l0.SpanID() != compute.SpanID() || l1.TraceID().String() != "00000000000000007777777777777777" {
		t.Fatal("links")
	}
	if v, _ := l0.Attributes().Get(RefTypeAttribute); v.Str() != "follows_from" {
		t.Fatalf("ref type %q", v.Str())
	}
	if store.service != "redis" || store.Status().Code() != ptrace.StatusCodeError || store.Kind() != ptrace.SpanKindClient {
		t.Fatal("store: service, error or kind")
	}
	if ev := compute.Events(); ev.Len() != 1 || ev.At(0).Name() != "cache miss" || ev.At(0).Timestamp() != at(61*time.Millisecond) {
		t.Fatal("log event")
	}
}

func equalRaw(a, b any) bool {
	if ab, ok := a.([]byte); ok {
		bb, ok := b.([]byte)
		return ok && bytes.Equal(ab, bb)
	}
	return a == b
}

func TestJaegerSpanArray(t *testing.T) {
	g := readFixture(t, "jaeger-spans.json", Options{})
	if g.format != Jaeger || g.td.SpanCount() != 3 || g.units != 2 {
		t.Fatalf("format %s, %d spans, %d units", g.format, g.td.SpanCount(), g.units)
	}
	root, sel, tick := g.span(t, "GET /"), g.span(t, "SELECT"), g.span(t, "tick")
	if sel.ParentSpanID() != root.SpanID() || root.service != "web" || sel.service != "web" || tick.service != "cron" {
		t.Fatal("embedded process or parentSpanID lost")
	}
	if g.td.ResourceSpans().Len() != 2 {
		t.Fatalf("%d resources, want one per trace and service", g.td.ResourceSpans().Len())
	}
}

func TestJaegerTraceArray(t *testing.T) {
	g := readFixture(t, "jaeger-traces.json", Options{})
	if g.format != Jaeger || g.td.SpanCount() != 3 || g.units != 2 {
		t.Fatalf("format %s, %d spans, %d units", g.format, g.td.SpanCount(), g.units)
	}
	if g.span(t, "c").ParentSpanID() != g.span(t, "b").SpanID() || g.span(t, "a").service != "one" {
		t.Fatal("parent or service")
	}
}

func TestJaegerV3(t *testing.T) {
	g := readFixture(t, "jaeger-v3.json", Options{})
	if g.format != Jaeger || g.td.SpanCount() != 2 {
		t.Fatalf("format %s, %d spans", g.format, g.td.SpanCount())
	}
	c := g.span(t, "HTTP GET /customer")
	if c.service != "frontend" || c.ParentSpanID() != g.span(t, "HTTP GET /dispatch").SpanID() || c.Status().Code() != ptrace.StatusCodeOk {
		t.Fatal("v3 span")
	}
	checkTimes(t, c, 10*time.Millisecond, 300*time.Millisecond)
	// A streamed answer: one {"result": ...} chunk after another.
	data, _ := os.ReadFile("testdata/jaeger-v3.json")
	g = readInput(t, "stream.json", append(append(data, '\n'), data...), Options{})
	if g.units != 2 || g.td.SpanCount() != 4 || g.format != Jaeger {
		t.Fatalf("%d units, %d spans, %s", g.units, g.td.SpanCount(), g.format)
	}
}

func TestZipkinSpans(t *testing.T) {
	g := readFixture(t, "zipkin-spans.json", Options{})
	if g.format != Zipkin || g.td.SpanCount() != 2 || g.td.ResourceSpans().Len() != 1 {
		t.Fatalf("format %s, %d spans, %d resources", g.format, g.td.SpanCount(), g.td.ResourceSpans().Len())
	}
	q := g.span(t, "select")
	if q.service != "cart" || q.TraceID().String() != "0000000000000000a3ce929d0e0e4736" {
		t.Fatalf("service %q trace %s", q.service, q.TraceID())
	}
	if q.ParentSpanID() != g.span(t, "get /cart").SpanID() || q.Kind() != ptrace.SpanKindClient {
		t.Fatal("parentId or kind not kept")
	}
	if q.Status().Code() != ptrace.StatusCodeError || q.Status().Message() != "timeout" {
		t.Fatal("error tag not mapped to status")
	}
	if attr(q, "peer.service") != "postgres" || attr(q, "net.peer.port") != int64(5432) || attr(q, "net.peer.ip") != "10.0.0.9" {
		t.Fatalf("remote endpoint %v", q.Attributes().AsRaw())
	}
	if q.Events().Len() != 1 || q.Events().At(0).Name() != "sent" || attr(q, ApproximateAttribute) != nil {
		t.Fatal("annotation or approximate")
	}
}

// A shared span becomes a client and a server child; the server's own
// children hang under it, the client's stay.
func TestZipkinSharedSpans(t *testing.T) {
	data, err := os.ReadFile("testdata/zipkin-shared.json")
	if err != nil {
		t.Fatal(err)
	}
	g := readInput(t, "shared", bytes.ReplaceAll(data, []byte(`"name": "get /stock",
    "kind": "SERVER"`), []byte(`"name": "serve /stock",
    "kind": "SERVER"`)), Options{})
	if g.td.SpanCount() != 5 {
		t.Fatalf("%d spans", g.td.SpanCount())
	}
	root, client, server := g.span(t, "get /order"), g.span(t, "get /stock"), g.span(t, "serve /stock")
	sel, decode := g.span(t, "select"), g.span(t, "decode")
	want := SharedSpanID(client.TraceID(), client.SpanID(), 0)
	if client.SpanID().String() != "b3fb4a1d1a96d312" || server.SpanID() != want || server.SpanID() == client.SpanID() {
		t.Fatalf("client %s server %s", client.SpanID(), server.SpanID())
	}
	if client.ParentSpanID() != root.SpanID() || server.ParentSpanID() != client.SpanID() {
		t.Fatal("server half not under its client")
	}
	if sel.ParentSpanID() != server.SpanID() || decode.ParentSpanID() != client.SpanID() {
		t.Fatal("children not split by service")
	}
	if client.service != "frontend" || server.service != "backend" || server.Kind() != ptrace.SpanKindServer || client.Kind() != ptrace.SpanKindClient {
		t.Fatal("services or kinds")
	}
	checkTimes(t, server, 10*time.Millisecond, 50*time.Millisecond)
	if attr(client, "peer.service") != "backend" || attr(client, "net.peer.ip") != "2001:db8::2" || attr(server, "net.host.port") != int64(9000) {
		t.Fatalf("endpoints %v %v", client.Attributes().AsRaw(), server.Attributes().AsRaw())
	}
}

// Spans without timestamp or duration are placed from annotations,
// children and parent, and marked approximate; never at the epoch.
func TestZipkinMissingTimes(t *testing.T) {
	g := readFixture(t, "zipkin-notime.json", Options{})
	if g.td.SpanCount() != 6 {
		t.Fatalf("%d spans", g.td.SpanCount())
	}
	for name, want := range map[string]struct {
		start, end time.Duration
		approx     bool
	}{
		"get /":       {0, 200 * time.Millisecond, false},
		"ws":          {30 * time.Millisecond, 35 * time.Millisecond, true},
		"lost":        {20 * time.Millisecond, 20 * time.Millisecond, true},
		"send":        {150 * time.Millisecond, 150 * time.Millisecond, true},
		"serve /user": {20 * time.Millisecond, 70 * time.Millisecond, false},
		// The client half has no times: it covers its server child.
		"get /user": {20 * time.Millisecond, 70 * time.Millisecond, true},
	} {
		s := g.span(t, name)
		checkTimes(t, s, want.start, want.end)
		if got := attr(s, ApproximateAttribute) == true; got != want.approx {
			t.Errorf("%s: approximate %v", name, got)
		}
	}
	if g.span(t, "serve /user").ParentSpanID() != g.span(t, "get /user").SpanID() || g.span(t, "lost").ParentSpanID() != g.span(t, "serve /user").SpanID() {
		t.Error("parents")
	}
}

func TestZipkinTraceList(t *testing.T) {
	g := readFixture(t, "zipkin-traces.json", Options{})
	if g.format != Zipkin || g.td.SpanCount() != 3 || g.units != 2 {
		t.Fatalf("format %s, %d spans, %d units", g.format, g.td.SpanCount(), g.units)
	}
	pay, charge := g.span(t, "post /pay"), g.span(t, "charge")
	if pay.Status().Code() != ptrace.StatusCodeError || pay.Status().Message() != "" || attr(pay, ZipkinDebugAttribute) != true {
		t.Fatal("empty error tag or debug")
	}
	if charge.Status().Code() != ptrace.StatusCodeError || charge.Status().Message() != "card declined" || attr(pay, "http.status_code") != "500" {
		t.Fatal("otel status tags")
	}
}

func TestReadAndReadFileStillWork(t *testing.T) {
	td, f, err := ReadFile("testdata/jaeger-ui.json", "")
	if err != nil || f != Jaeger || td.SpanCount() != 2 {
		t.Fatalf("%v %s %d", err, f, td.SpanCount())
	}
	// More white space ahead than the reader's buffer holds, and a byte order mark.
	in := "\ufeff" + strings.Repeat(" ", 100_000) + `[{"traceId":"1","id":"2","timestamp":5}]`
	td, f, err = Read("x", []byte(in), "")
	if err != nil || f != Zipkin || td.SpanCount() != 1 {
		t.Fatalf("%v %s %d", err, f, td.SpanCount())
	}
}

func TestDetect(t *testing.T) {
	for file, want := range map[string]Format{
		"otlp-lines.jsonl": OTLP, "otlp-pretty.json": OTLP, "jaeger-ui.json": Jaeger, "jaeger-trace.json": Jaeger,
		"jaeger-spans.json": Jaeger, "jaeger-traces.json": Jaeger, "jaeger-v3.json": Jaeger,
		"zipkin-spans.json": Zipkin, "zipkin-shared.json": Zipkin, "zipkin-traces.json": Zipkin,
	} {
		data, _ := os.ReadFile(filepath.Join("testdata", file))
		if got, err := Detect(data); got != want || err != nil {
			t.Errorf("%s: %s %v, want %s", file, got, err, want)
		}
	}
}

// -format decides what content cannot: a span array with fields of both.
func TestFormatOverride(t *testing.T) {
	both := []byte(`[{"traceId":"1","traceID":"1","id":"2","spanID":"2","parentId":"3","operationName":"x","startTime":1718000000000000,"timestamp":1718000000000000}]`)
	if _, _, err := Read("both.json", both, ""); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Fatalf("err = %v", err)
	}
	if g := readInput(t, "both.json", both, Options{Format: Zipkin}); g.format != Zipkin || g.td.SpanCount() != 1 {
		t.Fatal("zipkin")
	}
	if g := readInput(t, "both.json", both, Options{Format: Jaeger}); g.format != Jaeger || g.span(t, "x").SpanID().String() != "0000000000000002" {
		t.Fatal("jaeger")
	}
}

// Text that is not UTF-8 becomes U+FFFD, as encoding/json makes it, so no
// invalid string reaches a picture or a metric label.
func TestInvalidUTF8(t *testing.T) {
	in := "{\"traceID\": \"1\", \"spans\": [{\"traceID\": \"1\", \"spanID\": \"1\", \"startTime\": 5, \"operationName\": \"op\", " +
		"\"tags\": [{\"key\": \"k\", \"type\": \"string\", \"value\": \"a\xffb\"}], \"process\": {\"serviceName\": \"s\xfe\"}}]}"
	g := readInput(t, "bad-utf8.json", []byte(in), Options{})
	op := g.span(t, "op")
	if attr(op, "k") != "a\uFFFDb" || op.service != "s\uFFFD" {
		t.Fatalf("tag %q service %q", attr(op, "k"), op.service)
	}
}
