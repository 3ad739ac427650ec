package tracewrite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/tracetest"
	"github.com/tracemap/tracemap/internal/traceio"
)

// fixture is two traces with everything OTLP can say: every kind and
// status, typed attributes, resource attributes, scopes, events with and
// without attributes, links, trace state and a peer endpoint. Times are
// whole microseconds (what Jaeger and Zipkin carry).
func fixture() ptrace.Traces {
	td := ptrace.NewTraces()
	add := func(svc, scope string, host string) ptrace.SpanSlice {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", svc)
		if host != "" {
			rs.Resource().Attributes().PutStr("host.name", host)
		}
		ss := rs.ScopeSpans().AppendEmpty()
		if scope != "" {
			ss.Scope().SetName(scope)
			ss.Scope().SetVersion("1.2.3")
		}
		return ss.Spans()
	}
	t1, t2 := tracetest.TraceID(0xabc), pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	span := func(s ptrace.SpanSlice, tid pcommon.TraceID, id, parent uint64, name string, kind ptrace.SpanKind, start, end int64) ptrace.Span {
		sp := s.AppendEmpty()
		sp.SetTraceID(tid)
		sp.SetSpanID(tracetest.SpanID(id))
		if parent != 0 {
			sp.SetParentSpanID(tracetest.SpanID(parent))
		}
		sp.SetName(name)
		sp.SetKind(kind)
		sp.SetStartTimestamp(pcommon.Timestamp(tracetest.T0 + start*1000))
		sp.SetEndTimestamp(pcommon.Timestamp(tracetest.T0 + end*1000))
		return sp
	}
	fe := add("frontend", "io.opentelemetry.http", "host-1")
	root := span(fe, t1, 1, 0, "GET /checkout", ptrace.SpanKindServer, 0, 1000)
	root.Status().SetCode(ptrace.StatusCodeOk)
	root.Attributes().PutStr("http.route", "/checkout")
	root.Attributes().PutInt("http.response.status_code", 200)
	root.Attributes().PutBool("cache.hit", true)
	root.Attributes().PutDouble("sample.rate", 0.25)
	root.TraceState().FromRaw("vendor=1")
	ev := root.Events().AppendEmpty()
	ev.SetName("request received")
	ev.SetTimestamp(pcommon.Timestamp(tracetest.T0 + 10_000))
	call := span(fe, t1, 2, 1, "POST checkout", ptrace.SpanKindClient, 50, 900)
	call.Attributes().PutStr("peer.service", "checkout")
	call.Attributes().PutStr("net.peer.ip", "10.0.0.7")
	call.Attributes().PutInt("net.peer.port", 8080)
	call.Attributes().PutStr("net.host.ip", "::1")
	call.Attributes().PutStr("network.peer.address", "checkout.internal")
	co := add("checkout", "", "")
	srv := span(co, t1, 3, 2, "POST /checkout", ptrace.SpanKindServer, 100, 850)
	srv.Status().SetCode(ptrace.StatusCodeError)
	srv.Status().SetMessage("payment declined")
	ex := srv.Events().AppendEmpty()
	ex.SetName("exception")
	ex.SetTimestamp(pcommon.Timestamp(tracetest.T0 + 800_000))
	ex.Attributes().PutStr("exception.message", "declined")
	l := srv.Links().AppendEmpty()
	l.SetTraceID(t2)
	l.SetSpanID(tracetest.SpanID(9))
	span(co, t1, 4, 3, "publish order", ptrace.SpanKindProducer, 200, 300)
	span(co, t1, 5, 3, "compute total", ptrace.SpanKindInternal, 300, 400)
	span(co, t1, 6, 3, "unspecified", ptrace.SpanKindUnspecified, 400, 401)
	wk := add("worker", "", "host-2")
	consume := span(wk, t2, 9, 0, "consume order", ptrace.SpanKindConsumer, 5000, 7000)
	back := consume.Links().AppendEmpty() // a root linking into another trace
	back.SetTraceID(t1)
	back.SetSpanID(tracetest.SpanID(4))
	back.Attributes().PutStr("messaging.operation", "receive")
	retry := span(wk, t2, 10, 0, "retry order", ptrace.SpanKindInternal, 8000, 9000)
	same := retry.Links().AppendEmpty() // a root linking into its own trace
	same.SetTraceID(t2)
	same.SetSpanID(tracetest.SpanID(9))
	return td
}

// view is a span as text lines, field by field, sorted by trace and span.
func view(td ptrace.Traces) []string {
	var out []string
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				var b strings.Builder
				fmt.Fprintf(&b, "%s %s parent=%s name=%q kind=%s start=%d end=%d status=%s msg=%q\n",
					sp.TraceID(), sp.SpanID(), sp.ParentSpanID(), sp.Name(), sp.Kind(),
					sp.StartTimestamp(), sp.EndTimestamp(), sp.Status().Code(), sp.Status().Message())
				fmt.Fprintf(&b, "  resource %s\n", attrs(rs.Resource().Attributes()))
				fmt.Fprintf(&b, "  scope %q %q\n", ss.Scope().Name(), ss.Scope().Version())
				fmt.Fprintf(&b, "  attrs %s\n", attrs(sp.Attributes()))
				fmt.Fprintf(&b, "  tracestate %q\n", sp.TraceState().AsRaw())
				for _, e := range sp.Events().All() {
					fmt.Fprintf(&b, "  event %d %q %s\n", e.Timestamp(), e.Name(), attrs(e.Attributes()))
				}
				for _, l := range sp.Links().All() {
					fmt.Fprintf(&b, "  link %s %s %s\n", l.TraceID(), l.SpanID(), attrs(l.Attributes()))
				}
				out = append(out, b.String())
			}
		}
	}
	slices.Sort(out)
	return out
}

func attrs(m pcommon.Map) string {
	var kv []string
	for k, v := range m.All() {
		kv = append(kv, fmt.Sprintf("%s=%s:%s", k, v.Type(), v.AsString()))
	}
	slices.Sort(kv)
	return strings.Join(kv, " ")
}

func convert(t *testing.T, td ptrace.Traces, f traceio.Format) ptrace.Traces {
	t.Helper()
	var buf bytes.Buffer
	w, err := New(&buf, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(td); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	back, _, err := traceio.Read("converted", buf.Bytes(), f)
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.Bytes())
	}
	return back
}

// hard is what every format keeps exactly: the span, its parent, its times
// and its status.
func hard(td ptrace.Traces) []string {
	var out []string
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				out = append(out, fmt.Sprintf("%s %s parent=%s name=%q start=%d end=%d status=%s msg=%q service=%s",
					sp.TraceID(), sp.SpanID(), sp.ParentSpanID(), sp.Name(),
					sp.StartTimestamp(), sp.EndTimestamp(), sp.Status().Code(), sp.Status().Message(),
					serviceName(rs.Resource())))
			}
		}
	}
	slices.Sort(out)
	return out
}

// fold rewrites td into what format f can say, following the README's list
// of what each format cannot carry. Applied to both sides of a round trip,
// it makes them equal whether the reader restores a convention (scope from
// otel.scope.name, say) or leaves it as the tag the writer wrote.
func fold(td ptrace.Traces, f traceio.Format) ptrace.Traces {
	out := ptrace.NewTraces()
	td.CopyTo(out)
	if f == traceio.OTLP || f == traceio.OTLPProto {
		return out
	}
	for _, rs := range out.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				a := sp.Attributes()
				if ss.Scope().Name() != "" {
					a.PutStr(traceio.TagScopeName, ss.Scope().Name())
				}
				if ss.Scope().Version() != "" {
					a.PutStr(traceio.TagScopeVersion, ss.Scope().Version())
				}
				if ts := sp.TraceState().AsRaw(); ts != "" {
					a.PutStr(traceio.TagTraceState, ts)
					sp.TraceState().FromRaw("")
				}
				if f == traceio.Jaeger {
					for i, l := range sp.Links().All() {
						if sp.ParentSpanID().IsEmpty() && l.TraceID() == sp.TraceID() {
							a.PutStr(fmt.Sprintf("%s%d", traceio.TagLinkPrefix, i), fmt.Sprintf("%s|%s|%s|%s|%d",
								l.TraceID(), l.SpanID(), l.TraceState().AsRaw(), attrJSON(l.Attributes()), l.DroppedAttributesCount()))
						}
					}
					sp.Links().RemoveIf(func(l ptrace.SpanLink) bool {
						return sp.ParentSpanID().IsEmpty() && l.TraceID() == sp.TraceID()
					})
					for _, l := range sp.Links().All() {
						l.Attributes().RemoveIf(func(k string, _ pcommon.Value) bool { return k != "opentracing.ref_type" })
						l.Attributes().PutStr("opentracing.ref_type", "follows_from")
						l.TraceState().FromRaw("")
					}
					continue
				}
				// Zipkin: resource attributes on every span, every tag a string.
				for k, v := range rs.Resource().Attributes().All() {
					if _, ok := a.Get(k); !ok && k != "service.name" {
						v.CopyTo(a.PutEmpty(k))
					}
				}
				if sp.Kind() == ptrace.SpanKindInternal {
					a.PutStr(traceio.TagSpanKind, "internal")
					sp.SetKind(ptrace.SpanKindUnspecified)
				}
				for i, l := range sp.Links().All() {
					a.PutStr(fmt.Sprintf("%s%d", traceio.TagLinkPrefix, i), fmt.Sprintf("%s|%s|%s|%s|%d",
						l.TraceID(), l.SpanID(), l.TraceState().AsRaw(), attrJSON(l.Attributes()), l.DroppedAttributesCount()))
				}
				sp.Links().RemoveIf(func(ptrace.SpanLink) bool { return true })
				for _, e := range sp.Events().All() {
					if e.Attributes().Len() > 0 {
						e.SetName(fmt.Sprintf("%s|%s|%d", e.Name(), attrJSON(e.Attributes()), e.DroppedAttributesCount()))
						e.Attributes().Clear()
					}
				}
				for k, v := range a.All() {
					if k != "net.peer.port" && k != "net.host.port" {
						v.SetStr(v.AsString())
					}
				}
			}
			ss.Scope().SetName("")
			ss.Scope().SetVersion("")
		}
		if f == traceio.Zipkin {
			rs.Resource().Attributes().RemoveIf(func(k string, _ pcommon.Value) bool { return k != "service.name" })
		}
	}
	return out
}

func attrJSON(m pcommon.Map) string {
	b, _ := json.Marshal(m.AsRaw())
	return string(b)
}

// readable is the formats traceio reads back. TODO(tools): otlp-proto once
// the traceio branch reads it.
var readable = Formats()

func TestRoundTrip(t *testing.T) {
	for _, f := range []traceio.Format{traceio.Jaeger, traceio.Zipkin} {
		t.Run(string(f), func(t *testing.T) {
			in := fixture()
			back := convert(t, in, f)
			if got, want := hard(back), hard(in); !slices.Equal(got, want) {
				t.Errorf("spans, parents, times or status changed:\ngot  %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
			if got, want := view(fold(back, f)), view(fold(in, f)); !slices.Equal(got, want) {
				t.Errorf("beyond the documented losses:\ngot\n%s\nwant\n%s", strings.Join(got, ""), strings.Join(want, ""))
			}
		})
	}
}

// ids is every span's trace, span and parent ID and name, sorted. A span
// that names itself its parent counts as a root (traceio's Zipkin reader
// makes it one).
func ids(td ptrace.Traces) []string {
	var out []string
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				parent := sp.ParentSpanID()
				if parent == sp.SpanID() {
					parent = pcommon.SpanID{}
				}
				out = append(out, fmt.Sprintf("%s %s %s %q", sp.TraceID(), sp.SpanID(), parent, sp.Name()))
			}
		}
	}
	slices.Sort(out)
	return out
}

// spanIDs is the distinct trace and span IDs, sorted.
func spanIDs(td ptrace.Traces) []string {
	var out []string
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				out = append(out, sp.TraceID().String()+" "+sp.SpanID().String())
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// FuzzRoundTrip: whatever spans the fuzzer makes (duplicate IDs, cycles,
// inverted, zero and huge times), every writer either refuses a span it
// cannot write (an empty span ID, no start time, a time after 2262) or writes a file that
// reads back with the same spans and parents; OTLP comes back identical.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("\x01\x00\x01\x00\x10\x05\x00\x02\x01\x02\x00\x20\x03\x03"))
	f.Add([]byte("\x03\x02\x00\xff\xff\x80\x80\x04\x03\x01\x00\x00\x7f\x41"))
	f.Fuzz(func(t *testing.T, data []byte) {
		td := tracetest.FromFuzz(data)
		if td.SpanCount() == 0 {
			return
		}
		for _, format := range readable {
			var buf bytes.Buffer
			w, _ := New(&buf, format)
			err := w.Write(td)
			if err != nil {
				if !strings.Contains(err.Error(), "empty span ID") && !strings.Contains(err.Error(), "no start time") &&
					!strings.Contains(err.Error(), "after 2262") {
					t.Fatalf("%s: %v", format, err)
				}
				continue
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			back, _, err := traceio.Read("fuzz", buf.Bytes(), format)
			if err != nil {
				t.Fatalf("%s wrote what it cannot read: %v\n%s", format, err, buf.Bytes())
			}
			if format == traceio.Zipkin {
				// Zipkin merges the reports of one span ID, or splits them
				// into client and server (a derived ID) when their kinds say
				// so: every span ID written is read back.
				got := spanIDs(back)
				for _, id := range spanIDs(td) {
					if _, found := slices.BinarySearch(got, id); !found {
						t.Fatalf("zipkin lost span %s: read back %v", id, got)
					}
				}
			} else if got, want := ids(back), ids(td); !slices.Equal(got, want) {
				t.Fatalf("%s: spans changed:\ngot  %v\nwant %v", format, got, want)
			}
			if format == traceio.OTLP || format == traceio.OTLPProto {
				if got, want := view(back), view(td); !slices.Equal(got, want) {
					t.Fatalf("%s changed the spans:\ngot  %v\nwant %v", format, got, want)
				}
			}
		}
	})
}
