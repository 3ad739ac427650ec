// Package hold keeps the spans of traces for a while, so that a trace whose
// spans arrive in several batches is laid out whole. It is bounded in
// traces, in spans per trace and in spans overall; when a bound is reached
// the oldest traces are released early. Traces released are remembered
// (as many as MaxTraces) so that their late spans are recognised.
//
// A Store is not safe for concurrent use; the processor locks around it.
package hold

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Limits bound a Store. Every limit must be at least 1.
type Limits struct {
	Wait             time.Duration
	MaxTraces        int
	MaxSpansPerTrace int
	MaxSpans         int
}

// Released is a trace handed back by the Store.
type Released struct {
	TraceID pcommon.TraceID
	Traces  ptrace.Traces
	Spans   int
	Early   bool // released by a limit or Drain before Wait ran out
}

type entry struct {
	id       pcommon.TraceID
	td       ptrace.Traces
	spans    int
	deadline time.Time
	gone     bool
	// dest is where spans from the source ScopeSpans numbered destKey go.
	dest    ptrace.SpanSlice
	destKey uint64
}

// Store holds traces.
type Store struct {
	lim    Limits
	traces map[pcommon.TraceID]*entry
	queue  []*entry // arrival order, which is also deadline order
	head   int
	spans  int
	scope  uint64 // numbers source ScopeSpans across Add calls

	released map[pcommon.TraceID]anchor
	ring     []pcommon.TraceID
	ringNext int
}

// New makes an empty Store.
func New(lim Limits) *Store {
	return &Store{
		lim:      lim,
		traces:   make(map[pcommon.TraceID]*entry),
		released: make(map[pcommon.TraceID]anchor),
		ring:     make([]pcommon.TraceID, 0, lim.MaxTraces),
	}
}

// Len is the number of traces and spans held.
func (s *Store) Len() (traces, spans int) { return len(s.traces), s.spans }

// Add moves the spans of td into the store. Spans of traces released
// earlier (late spans) stay in td, as do the spans of a trace that would grow
// beyond MaxSpansPerTrace: that trace is released with what it has and the
// rest of it is late. Empty scopes and resources are removed from td. Add
// returns the traces released early to make room, and the late span count.
func (s *Store) Add(td ptrace.Traces, now time.Time) (early []Released, late int) {
	td.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
		rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
			s.scope++
			ss.Spans().RemoveIf(func(sp ptrace.Span) bool {
				id := sp.TraceID()
				if _, ok := s.released[id]; ok {
					late++
					return false
				}
				e := s.traces[id]
				if e == nil {
					e = s.open(id, now)
					for len(s.traces) > s.lim.MaxTraces {
						early = append(early, s.release(s.oldest(), true))
					}
				}
				if e.spans >= s.lim.MaxSpansPerTrace {
					early = append(early, s.release(e, true))
					late++
					return false
				}
				if e.destKey != s.scope {
					e.dest, e.destKey = s.destination(e, rs, ss), s.scope
				}
				sp.MoveTo(e.dest.AppendEmpty())
				e.spans++
				s.spans++
				for s.spans > s.lim.MaxSpans {
					early = append(early, s.release(s.oldest(), true))
				}
				return true
			})
			return ss.Spans().Len() == 0
		})
		return rs.ScopeSpans().Len() == 0
	})
	return early, late
}

// Expired releases the traces whose Wait has run out at now.
func (s *Store) Expired(now time.Time) []Released {
	var out []Released
	for e := s.oldest(); e != nil && !e.deadline.After(now); e = s.oldest() {
		out = append(out, s.release(e, false))
	}
	return out
}

// Drain releases every trace (early), e.g. at shutdown.
func (s *Store) Drain() []Released {
	var out []Released
	for e := s.oldest(); e != nil; e = s.oldest() {
		out = append(out, s.release(e, true))
	}
	return out
}

func (s *Store) open(id pcommon.TraceID, now time.Time) *entry {
	e := &entry{id: id, td: ptrace.NewTraces(), deadline: now.Add(s.lim.Wait)}
	s.traces[id] = e
	s.queue = append(s.queue, e)
	return e
}

// destination makes a ResourceSpans/ScopeSpans in the trace's own data that
// mirrors the source's resource and scope.
func (s *Store) destination(e *entry, rs ptrace.ResourceSpans, ss ptrace.ScopeSpans) ptrace.SpanSlice {
	drs := e.td.ResourceSpans().AppendEmpty()
	rs.Resource().CopyTo(drs.Resource())
	drs.SetSchemaUrl(rs.SchemaUrl())
	dss := drs.ScopeSpans().AppendEmpty()
	ss.Scope().CopyTo(dss.Scope())
	dss.SetSchemaUrl(ss.SchemaUrl())
	return dss.Spans()
}

// oldest is the first trace still held, or nil.
func (s *Store) oldest() *entry {
	for s.head < len(s.queue) && s.queue[s.head].gone {
		s.queue[s.head] = nil
		s.head++
	}
	if s.head > 64 && s.head*2 > len(s.queue) {
		n := copy(s.queue, s.queue[s.head:])
		clear(s.queue[n:])
		s.queue, s.head = s.queue[:n], 0
	}
	if s.head == len(s.queue) {
		return nil
	}
	return s.queue[s.head]
}

func (s *Store) release(e *entry, early bool) Released {
	e.gone = true
	delete(s.traces, e.id)
	s.spans -= e.spans
	s.remember(e.id)
	return Released{TraceID: e.id, Traces: e.td, Spans: e.spans, Early: early}
}

// remember adds id to the released set, forgetting the oldest beyond
// MaxTraces.
func (s *Store) remember(id pcommon.TraceID) {
	if len(s.ring) < s.lim.MaxTraces {
		s.ring = append(s.ring, id)
	} else {
		delete(s.released, s.ring[s.ringNext])
		s.ring[s.ringNext] = id
		s.ringNext = (s.ringNext + 1) % len(s.ring)
	}
	s.released[id] = anchor{}
}

// anchor is where a released trace's time axis starts, once laid out.
type anchor struct {
	start int64
	set   bool
}

// Anchor returns the start of a released trace's time axis so that its late
// spans can share it: the start recorded when the trace was laid out, else
// start, which it then records. late reports the former: these spans came
// after their trace was laid out. A trace not (or no longer) remembered as
// released gets start back, not late.
func (s *Store) Anchor(id pcommon.TraceID, start int64) (axis int64, late bool) {
	a, ok := s.released[id]
	switch {
	case !ok:
		return start, false
	case a.set:
		return a.start, true
	}
	s.released[id] = anchor{start: start, set: true}
	return start, false
}
