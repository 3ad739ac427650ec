package heat

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// clock is an injectable clock for window tests.
type clock struct{ t time.Time }

func newClock() *clock                   { return &clock{t: time.Unix(1_700_000_000, 0)} }
func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// sp describes one crafted span.
type sp struct {
	svc, name  string
	trace      byte
	id, parent byte // 0: none
	kind       ptrace.SpanKind
	err        bool
	dur        time.Duration
	attrs      map[string]any
}

// build groups spans into one ResourceSpans per service, in order of first
// appearance, keeping span order within a service.
func build(spans ...sp) ptrace.Traces {
	td := ptrace.NewTraces()
	bySvc := map[string]ptrace.SpanSlice{}
	for _, s := range spans {
		ss, ok := bySvc[s.svc]
		if !ok {
			rs := td.ResourceSpans().AppendEmpty()
			if s.svc != "" {
				rs.Resource().Attributes().PutStr("service.name", s.svc)
			}
			ss = rs.ScopeSpans().AppendEmpty().Spans()
			bySvc[s.svc] = ss
		}
		span := ss.AppendEmpty()
		span.SetName(s.name)
		span.SetTraceID(pcommon.TraceID{15: s.trace + 1})
		span.SetSpanID(pcommon.SpanID{7: s.id})
		if s.parent != 0 {
			span.SetParentSpanID(pcommon.SpanID{7: s.parent})
		}
		span.SetKind(s.kind)
		if s.err {
			span.Status().SetCode(ptrace.StatusCodeError)
		}
		start := pcommon.Timestamp(1_700_000_000_000_000_000)
		span.SetStartTimestamp(start)
		span.SetEndTimestamp(start + pcommon.Timestamp(s.dur))
		if err := span.Attributes().FromRaw(s.attrs); err != nil {
			panic(err)
		}
	}
	return td
}

// ms spans of one service and name with the given durations in milliseconds;
// the first errs of them are errors. IDs start at firstID.
func ms(svc, name string, firstID byte, errs int, durs ...int) []sp {
	out := make([]sp, len(durs))
	for i, d := range durs {
		out[i] = sp{svc: svc, name: name, id: firstID + byte(i), dur: time.Duration(d) * time.Millisecond, err: i < errs}
	}
	return out
}
