package heattest

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// Span describes one crafted span for Build.
type Span struct {
	Service, Name string
	Trace         byte // trace ID {15: Trace+1}
	ID, Parent    byte // span IDs {7: ID}; Parent 0 means none
	Kind          ptrace.SpanKind
	Err           bool
	Dur           time.Duration
	Attrs         map[string]any
}

// Start is the start time of every crafted span.
const Start = pcommon.Timestamp(1_700_000_000_000_000_000)

// Build groups spans into one ResourceSpans per service, in order of first
// appearance, keeping span order within a service, across traces (unlike
// tracetest, which builds one trace at a time with string attributes: the
// heat tests need several traces in one service's ResourceSpans and typed
// attributes such as numeric HTTP status codes). An empty Service leaves
// service.name unset.
func Build(spans ...Span) ptrace.Traces {
	td := ptrace.NewTraces()
	slice := tracetest.ServiceSpans(td)
	for _, s := range spans {
		span := slice(s.Service).AppendEmpty()
		span.SetName(s.Name)
		span.SetTraceID(pcommon.TraceID{15: s.Trace + 1})
		span.SetSpanID(pcommon.SpanID{7: s.ID})
		if s.Parent != 0 {
			span.SetParentSpanID(pcommon.SpanID{7: s.Parent})
		}
		span.SetKind(s.Kind)
		if s.Err {
			span.Status().SetCode(ptrace.StatusCodeError)
		}
		span.SetStartTimestamp(Start)
		span.SetEndTimestamp(Start + pcommon.Timestamp(s.Dur))
		if err := span.Attributes().FromRaw(s.Attrs); err != nil {
			panic(err)
		}
	}
	return td
}

// Ms returns spans of one service and name with the given durations in
// milliseconds; the first errs of them are errors. IDs start at firstID.
func Ms(svc, name string, firstID byte, errs int, durs ...int) []Span {
	out := make([]Span, len(durs))
	for i, d := range durs {
		out[i] = Span{Service: svc, Name: name, ID: firstID + byte(i), Dur: time.Duration(d) * time.Millisecond, Err: i < errs}
	}
	return out
}
