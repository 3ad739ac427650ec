package hold

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

var (
	S   = tracetest.S
	now = time.Unix(1000, 0)
)

func batch(spans ...[2]uint64) ptrace.Traces { // {trace, span}
	td := ptrace.NewTraces()
	for _, s := range spans {
		tracetest.Append(td, tracetest.TraceID(s[0]), S(s[1], 0, "svc", "op", 0, 1))
	}
	return td
}

func ids(rs []Released) []uint64 {
	var out []uint64
	for _, r := range rs {
		out = append(out, uint64(r.TraceID[15]))
	}
	return out
}

func TestHoldAndExpire(t *testing.T) {
	s := New(Limits{Wait: time.Second, MaxTraces: 10, MaxSpansPerTrace: 10, MaxSpans: 100})
	td := batch([2]uint64{1, 1}, [2]uint64{2, 1}, [2]uint64{1, 2})
	early, late := s.Add(td, now)
	if len(early) != 0 || late != 0 || td.SpanCount() != 0 || td.ResourceSpans().Len() != 0 {
		t.Fatalf("early %v late %d left %d spans", ids(early), late, td.SpanCount())
	}
	if tr, sp := s.Len(); tr != 2 || sp != 3 {
		t.Fatalf("held %d traces %d spans", tr, sp)
	}
	s.Add(batch([2]uint64{3, 1}), now.Add(500*time.Millisecond))
	if got := s.Expired(now.Add(999 * time.Millisecond)); len(got) != 0 {
		t.Fatalf("released too soon: %v", ids(got))
	}
	got := s.Expired(now.Add(time.Second))
	if len(got) != 2 || got[0].Spans != 2 || got[0].Early || got[0].Traces.SpanCount() != 2 || got[1].Spans != 1 {
		t.Fatalf("expired: %+v", got)
	}
	// The resource travels with the held spans.
	if v, _ := got[0].Traces.ResourceSpans().At(0).Resource().Attributes().Get("service.name"); v.Str() != "svc" {
		t.Errorf("resource lost: %v", v)
	}
	// Late spans of a released trace stay in the batch.
	td = batch([2]uint64{1, 3}, [2]uint64{3, 2})
	early, late = s.Add(td, now.Add(time.Second))
	if len(early) != 0 || late != 1 || td.SpanCount() != 1 || td.ResourceSpans().Len() != 1 {
		t.Fatalf("late: early %v late %d left %d", ids(early), late, td.SpanCount())
	}
	if got := s.Drain(); len(got) != 1 || !got[0].Early || got[0].Spans != 2 {
		t.Fatalf("drain: %+v", got)
	}
	// Released traces keep the first start they are anchored at.
	a, aLate := s.Anchor(tracetest.TraceID(1), 50)
	b, bLate := s.Anchor(tracetest.TraceID(1), 10)
	c, cLate := s.Anchor(tracetest.TraceID(9), 7)
	if a != 50 || b != 50 || c != 7 || aLate || !bLate || cLate {
		t.Errorf("anchors %d %v, %d %v, %d %v, want 50 false, 50 true, 7 false", a, aLate, b, bLate, c, cLate)
	}
	if tr, sp := s.Len(); tr != 0 || sp != 0 {
		t.Fatalf("after drain: %d %d", tr, sp)
	}
}

func TestPressure(t *testing.T) {
	s := New(Limits{Wait: time.Minute, MaxTraces: 2, MaxSpansPerTrace: 3, MaxSpans: 5})
	// A third trace pushes out the first.
	early, _ := s.Add(batch([2]uint64{1, 1}, [2]uint64{2, 1}, [2]uint64{3, 1}), now)
	if got := ids(early); len(got) != 1 || got[0] != 1 || !early[0].Early {
		t.Fatalf("max_traces: released %v", got)
	}
	// Trace 2 reaches 3 spans; its 4th span releases it and is late.
	td := batch([2]uint64{2, 2}, [2]uint64{2, 3}, [2]uint64{2, 4}, [2]uint64{2, 5})
	early, late := s.Add(td, now)
	if got := ids(early); len(got) != 1 || got[0] != 2 || early[0].Spans != 3 || late != 2 || td.SpanCount() != 2 {
		t.Fatalf("max_spans_per_trace: released %v late %d left %d", got, late, td.SpanCount())
	}
	// Total spans: trace 3 grows to 3, trace 4's third span makes 6 > 5, so
	// the oldest (3) goes.
	early, _ = s.Add(batch([2]uint64{3, 2}, [2]uint64{3, 3}, [2]uint64{4, 1}, [2]uint64{4, 2}, [2]uint64{4, 3}), now)
	if got := ids(early); len(got) != 1 || got[0] != 3 || early[0].Spans != 3 {
		t.Fatalf("max_spans: released %v", got)
	}
	if tr, sp := s.Len(); tr != 1 || sp != 3 {
		t.Fatalf("held %d %d", tr, sp)
	}
}

func TestReleasedSetIsBounded(t *testing.T) {
	s := New(Limits{Wait: time.Minute, MaxTraces: 2, MaxSpansPerTrace: 10, MaxSpans: 10})
	for id := uint64(1); id <= 5; id++ {
		s.Add(batch([2]uint64{id, 1}), now)
		s.Drain()
	}
	if len(s.released) != 2 || len(s.ring) != 2 {
		t.Fatalf("released set %d ring %d", len(s.released), len(s.ring))
	}
	// Trace 1 was forgotten: its spans are held again, not late.
	if _, late := s.Add(batch([2]uint64{1, 2}, [2]uint64{5, 2}), now); late != 1 {
		t.Fatalf("late %d, want 1 (trace 5 only)", late)
	}
}

// FuzzStore: random batches, clock steps and limits never lose or double a
// span, and never hold more than the limits allow.
func FuzzStore(f *testing.F) {
	f.Add([]byte{3, 2, 5, 9, 1, 2, 3, 4, 5, 6, 7, 8, 200, 1, 2})
	f.Add([]byte{1, 1, 1, 1, 0, 0, 0, 0, 255, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 {
			return
		}
		lim := Limits{
			Wait:             time.Duration(data[0]%4+1) * time.Second,
			MaxTraces:        int(data[1]%5) + 1,
			MaxSpansPerTrace: int(data[2]%6) + 1,
		}
		lim.MaxSpans = lim.MaxSpansPerTrace + int(data[3]%8)
		s := New(lim)
		clock := now
		in, out := 0, 0
		span := uint64(0)
		for _, b := range data[4:] {
			if b >= 200 { // advance the clock and release what expired
				clock = clock.Add(time.Duration(b-199) * 300 * time.Millisecond)
				for _, r := range s.Expired(clock) {
					out += r.Traces.SpanCount()
				}
				continue
			}
			span++
			td := batch([2]uint64{uint64(b % 7), span})
			in++
			early, late := s.Add(td, clock)
			if late != td.SpanCount() {
				t.Fatalf("late %d but %d spans left in the batch", late, td.SpanCount())
			}
			out += late
			for _, r := range early {
				if r.Traces.SpanCount() != r.Spans || !r.Early {
					t.Fatalf("released %+v holds %d spans", r, r.Traces.SpanCount())
				}
				out += r.Spans
			}
			traces, spans := s.Len()
			if traces > lim.MaxTraces || spans > lim.MaxSpans {
				t.Fatalf("holding %d traces %d spans over %+v", traces, spans, lim)
			}
		}
		for _, r := range s.Drain() {
			out += r.Traces.SpanCount()
		}
		if in != out {
			t.Fatalf("%d spans in, %d out", in, out)
		}
	})
}
