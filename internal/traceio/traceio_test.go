package traceio

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func read(t *testing.T, name string) (ptrace.Traces, Format) {
	t.Helper()
	td, f, err := ReadFile(filepath.Join("testdata", name), "")
	if err != nil {
		t.Fatal(err)
	}
	return td, f
}

// spansByName indexes spans with their service.
func spansByName(td ptrace.Traces) map[string]struct {
	span    ptrace.Span
	service string
} {
	out := map[string]struct {
		span    ptrace.Span
		service string
	}{}
	for _, rs := range td.ResourceSpans().All() {
		svc, _ := rs.Resource().Attributes().Get("service.name")
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				out[s.Name()] = struct {
					span    ptrace.Span
					service string
				}{s, svc.Str()}
			}
		}
	}
	return out
}

func TestJaeger(t *testing.T) {
	td, f := read(t, "jaeger.json")
	if f != Jaeger || td.SpanCount() != 2 {
		t.Fatalf("format %s, %d spans", f, td.SpanCount())
	}
	spans := spansByName(td)
	root, child := spans["GET /checkout"], spans["charge"]
	if root.service != "frontend" || child.service != "payment" {
		t.Fatalf("services %q %q", root.service, child.service)
	}
	if root.span.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || root.span.SpanID().String() != "00f067aa0ba902b7" {
		t.Fatalf("ids %s %s", root.span.TraceID(), root.span.SpanID())
	}
	if child.span.ParentSpanID() != root.span.SpanID() {
		t.Fatal("CHILD_OF reference not made the parent")
	}
	if root.span.Kind() != ptrace.SpanKindServer || child.span.Kind() != ptrace.SpanKindClient {
		t.Fatalf("kinds %s %s", root.span.Kind(), child.span.Kind())
	}
	if root.span.Status().Code() != ptrace.StatusCodeError || child.span.Status().Code() != ptrace.StatusCodeUnset {
		t.Fatal("error tag not mapped to status")
	}
	if d := root.span.EndTimestamp() - root.span.StartTimestamp(); d != 120_000_000 {
		t.Fatalf("duration %d ns", d)
	}
	if v, _ := root.span.Attributes().Get("http.response.status_code"); v.Type() != pcommon.ValueTypeInt || v.Int() != 500 {
		t.Fatalf("int tag %v", v.AsRaw())
	}
	if v, _ := child.span.Attributes().Get("retries"); v.Double() != 1.5 {
		t.Fatalf("float tag %v", v.AsRaw())
	}
	if _, ok := root.span.Attributes().Get("span.kind"); ok {
		t.Fatal("span.kind kept as an attribute")
	}
	if root.span.Events().Len() != 1 || root.span.Events().At(0).Name() != "retry" {
		t.Fatal("log not turned into an event")
	}
}

func TestZipkin(t *testing.T) {
	td, f := read(t, "zipkin.json")
	if f != Zipkin || td.SpanCount() != 2 || td.ResourceSpans().Len() != 1 {
		t.Fatalf("format %s, %d spans, %d resources", f, td.SpanCount(), td.ResourceSpans().Len())
	}
	spans := spansByName(td)
	q := spans["select"]
	if q.service != "cart" || q.span.TraceID().String() != "0000000000000000a3ce929d0e0e4736" {
		t.Fatalf("service %q trace %s", q.service, q.span.TraceID())
	}
	if q.span.ParentSpanID() != spans["get /cart"].span.SpanID() {
		t.Fatal("parentId not kept")
	}
	if q.span.Status().Code() != ptrace.StatusCodeError || q.span.Status().Message() != "timeout" {
		t.Fatal("error tag not mapped to status")
	}
	peer, _ := q.span.Attributes().Get("peer.service")
	port, _ := q.span.Attributes().Get("network.peer.port")
	if peer.Str() != "postgres" || port.Int() != 5432 {
		t.Fatalf("remote endpoint %v %v", peer.AsRaw(), port.AsRaw())
	}
}

func TestOTLPLines(t *testing.T) {
	td, f := read(t, "otlp.jsonl")
	if f != OTLP || td.SpanCount() != 2 {
		t.Fatalf("format %s, %d spans", f, td.SpanCount())
	}
	if spansByName(td)["query"].service != "db" {
		t.Fatal("second line's resource lost")
	}
}

// Bad files name the file, the line and the field.
func TestErrorsNameFileLineAndField(t *testing.T) {
	for file, want := range map[string]string{
		"bad-zipkin-id.json":   "testdata/bad-zipkin-id.json:3: field [1].id: span ID \"not-hex!\"",
		"bad-jaeger-type.json": "testdata/bad-jaeger-type.json:4: field data[0].spans[1].duration: expected int64, got JSON string",
		"bad-otlp.jsonl":       "testdata/bad-otlp.jsonl:2: ",
	} {
		_, _, err := ReadFile(filepath.Join("testdata", file), "")
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: err = %v", file, err)
		}
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s:\n got %s\nwant %s...", file, err, want)
		}
	}
}

func TestDetectAndGarbage(t *testing.T) {
	for in, want := range map[string]string{
		"":           "empty file",
		"hello":      "not JSON",
		`{"foo": 1}`: "unknown format",
		`[`:          "unexpected end of file",
		`{"data": [{"spans": [{"traceID": "zz", "spanID": "1"}]}]}`:                     "field data[0].spans[0].traceID",
		`[{"traceId": "1", "id": "2", "duration": -5}]`:                                 "negative",
		`{"data": [{"spans": [{"traceID": "1", "spanID": "1", "processID": "nope"}]}]}`: "is not in the trace's processes",
	} {
		_, _, err := Read("in.json", []byte(in), "")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
	if _, _, err := Read("x", []byte("[]"), "csv"); err == nil || !strings.Contains(err.Error(), `unknown format "csv"`) {
		t.Errorf("err = %v", err)
	}
}

func FuzzRead(f *testing.F) {
	for _, s := range []string{`[{"traceId":"1","id":"2"}]`, `{"data":[{"spans":[]}]}`, `{"resourceSpans":[]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		td, _, err := Read("fuzz", data, "")
		if err == nil && td.SpanCount() == 0 {
			t.Fatal("no error and no spans")
		}
	})
}
