// Package tracetest builds crafted traces for tests: spans are described by
// small integer IDs and times relative to a fixed start.
package tracetest

import (
	"encoding/binary"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// T0 is the start of crafted traces (unix ns).
const T0 = int64(1_700_000_000_000_000_000)

// Span describes one crafted span; Start and End are ns relative to T0.
// ID 0 leaves the span ID empty, Parent 0 makes a root.
type Span struct {
	ID, Parent uint64
	Service    string // "" leaves service.name unset
	Name       string
	Start, End int64
	Kind       ptrace.SpanKind
	Error      bool
	Attrs      map[string]string
}

// SpanID is the span ID for a crafted ID.
func SpanID(v uint64) pcommon.SpanID {
	var id pcommon.SpanID
	binary.BigEndian.PutUint64(id[:], v)
	return id
}

// TraceID is the trace ID for a crafted ID.
func TraceID(v uint64) pcommon.TraceID {
	var id pcommon.TraceID
	binary.BigEndian.PutUint64(id[8:], v)
	return id
}

// Traces puts the spans into one ResourceSpans per service (in order of
// first appearance), like SDK exporters do.
func Traces(tid pcommon.TraceID, spans ...Span) ptrace.Traces {
	td := ptrace.NewTraces()
	Append(td, tid, spans...)
	return td
}

// ServiceSpans returns the span slice of a service in td, adding one new
// ResourceSpans per service on first use; an empty service leaves
// service.name unset.
func ServiceSpans(td ptrace.Traces) func(service string) ptrace.SpanSlice {
	bySvc := map[string]ptrace.SpanSlice{}
	return func(service string) ptrace.SpanSlice {
		ss, ok := bySvc[service]
		if !ok {
			rs := td.ResourceSpans().AppendEmpty()
			if service != "" {
				rs.Resource().Attributes().PutStr("service.name", service)
			}
			ss = rs.ScopeSpans().AppendEmpty().Spans()
			bySvc[service] = ss
		}
		return ss
	}
}

// Append adds the spans to td in new ResourceSpans, one per service.
func Append(td ptrace.Traces, tid pcommon.TraceID, spans ...Span) {
	slice := ServiceSpans(td)
	for _, s := range spans {
		span := slice(s.Service).AppendEmpty()
		span.SetTraceID(tid)
		if s.ID != 0 {
			span.SetSpanID(SpanID(s.ID))
		}
		if s.Parent != 0 {
			span.SetParentSpanID(SpanID(s.Parent))
		}
		span.SetName(s.Name)
		span.SetKind(s.Kind)
		span.SetStartTimestamp(pcommon.Timestamp(T0 + s.Start))
		span.SetEndTimestamp(pcommon.Timestamp(T0 + s.End))
		if s.Error {
			span.Status().SetCode(ptrace.StatusCodeError)
		}
		for k, v := range s.Attrs {
			span.Attributes().PutStr(k, v)
		}
	}
}

// FiveServices is a checkout trace across five services in which payment's
// clock runs 500ns behind, so its server span starts before the checkout
// span that called it.
func FiveServices() []Span {
	return []Span{
		S(1, 0, "frontend", "GET /checkout", 0, 1000).Of(ptrace.SpanKindServer),
		S(2, 1, "frontend", "call checkout", 50, 900).Of(ptrace.SpanKindClient),
		S(3, 2, "checkout", "POST /checkout", 100, 850).Of(ptrace.SpanKindServer),
		S(4, 3, "payment", "charge", -300, 100).Of(ptrace.SpanKindServer).Err(),
		S(5, 4, "payment", "db query", -250, 50).Of(ptrace.SpanKindClient),
		S(6, 3, "inventory", "reserve", 300, 500).Of(ptrace.SpanKindServer),
		S(7, 3, "shipping", "quote", 600, 800).Of(ptrace.SpanKindServer),
	}
}

// Cycles is a trace whose service graph has cycles, as real dependency
// graphs do (times in units of unit): frontend, where it starts, and auth
// call each other, orders and inventory too, and orders -> inventory ->
// pricing -> orders is a cycle of three; orders' lookup for inventory
// fails.
func Cycles(unit int64) []Span {
	server := ptrace.SpanKindServer
	spans := []Span{
		S(1, 0, "frontend", "GET /order", 0, 300).Of(server),
		S(2, 1, "auth", "check", 5, 60).Of(server),
		S(3, 2, "frontend", "GET /session", 10, 30).Of(server),
		S(4, 2, "auth", "refresh", 35, 50).Of(server),
		S(5, 1, "orders", "create", 70, 280).Of(server),
		S(6, 5, "inventory", "reserve", 80, 200).Of(server),
		S(7, 6, "orders", "lookup", 90, 120).Of(server).Err(),
		S(8, 6, "pricing", "quote", 130, 190).Of(server),
		S(9, 8, "orders", "discounts", 140, 180).Of(server),
		S(10, 5, "payments", "charge", 210, 270).Of(server),
		S(11, 10, "auth", "verify", 220, 240).Of(server),
	}
	for i := range spans {
		spans[i].Start *= unit
		spans[i].End *= unit
	}
	return spans
}

// S is a span of service with the given times; refine it with Kind, Err
// and Attr.
func S(id, parent uint64, service, name string, start, end int64) Span {
	return Span{ID: id, Parent: parent, Service: service, Name: name, Start: start, End: end}
}

// Of sets the span kind.
func (s Span) Of(kind ptrace.SpanKind) Span { s.Kind = kind; return s }

// Err marks the span status ERROR.
func (s Span) Err() Span { s.Error = true; return s }

// Attr adds a string attribute.
func (s Span) Attr(k, v string) Span {
	attrs := make(map[string]string, len(s.Attrs)+1)
	for k0, v0 := range s.Attrs {
		attrs[k0] = v0
	}
	attrs[k] = v
	s.Attrs = attrs
	return s
}
