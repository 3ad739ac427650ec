package heat

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/spantree"
)

// Attributes written by Annotate (the contract in docs/attributes.md;
// readers such as the svg exporter use these constants).
const (
	AttrServiceSpanCount  = "tracemap.service.span_count"
	AttrServiceErrorCount = "tracemap.service.error_count"
	AttrServiceErrorRate  = "tracemap.service.error_rate"
	AttrServiceP50Ms      = "tracemap.service.latency.p50_ms"
	AttrServiceP90Ms      = "tracemap.service.latency.p90_ms"
	AttrServiceP99Ms      = "tracemap.service.latency.p99_ms"
	AttrServiceHot        = "tracemap.service.hot"
	// Errors that start in the service (see IsOwnError).
	AttrServiceOwnErrorCount = "tracemap.service.own_error_count"
	AttrServiceOwnErrorRate  = "tracemap.service.own_error_rate"
	// AttrServiceOverflow is true (and absent otherwise) on a resource whose
	// service is counted in the OverflowKey bucket; such a resource carries
	// no other tracemap.service.* value.
	AttrServiceOverflow = "tracemap.service.overflow"

	AttrOperationErrorRate    = "tracemap.operation.error_rate"
	AttrOperationP99Ms        = "tracemap.operation.latency.p99_ms"
	AttrOperationOwnErrorRate = "tracemap.operation.own_error_rate"

	AttrEdgeCalls     = "tracemap.edge.calls"
	AttrEdgeErrorRate = "tracemap.edge.error_rate"
	AttrEdgeP99Ms     = "tracemap.edge.latency.p99_ms"
)

// Result summarises one annotated batch.
type Result struct {
	Spans, Errors int
}

// written selects what a counting call writes on the batch it counted.
type written int

const (
	writtenHot     written = iota // tracemap.service.hot (or the overflow marker) on each resource
	writtenService                // every service value on each resource
	writtenSpans                  // the service values and the per-span values
)

// Annotate counts every span of td (as Observe does) and then writes the
// window's values onto td: service values on each resource, operation
// values on each span, edge values on each span an edge ends at. The values
// include this batch, so a batch that holds the whole window carries exactly
// its own error rates.
func (t *Tracker) Annotate(td ptrace.Traces) Result { return t.count(td, writtenSpans) }

// AnnotateResources is Annotate without the span values: what sampling
// policies need, written once per resource. Every span is still counted and
// every edge and own error resolved; the span values can be written later,
// on the traces sampling keeps, with AnnotateSpans.
func (t *Tracker) AnnotateResources(td ptrace.Traces) Result { return t.count(td, writtenService) }

// AnnotateHot is AnnotateResources writing only AttrServiceHot, true, on
// the resources of hot services (AttrServiceOverflow on those counted in
// the overflow bucket): the one value the shipped sampling policies read. Sampling holds every resource it groups a trace under for
// its decision wait, so each value written here is copied and held per
// service and trace; AnnotateSpans writes the other service values on the
// traces sampling keeps.
func (t *Tracker) AnnotateHot(td ptrace.Traces) Result { return t.count(td, writtenHot) }

func (t *Tracker) count(td ptrace.Traces, w written) Result {
	b := t.collect(td, true)
	t.mu.Lock()
	t.countLocked(b)
	t.seq++
	seq := t.seq
	for i := range b.rss {
		b.rss[i].stat = t.statOf(b, &b.rss[i].svc.series, seq)
	}
	var res Result
	for i := range b.spans {
		r := &b.spans[i]
		if w == writtenSpans && !b.rss[r.rs].overflow {
			r.opStat = t.statOf(b, r.op, seq)
			if r.edge != nil {
				r.edgeStat = t.statOf(b, r.edge, seq)
			}
		}
		if r.isErr {
			res.Errors++
		}
	}
	res.Spans = len(b.spans)
	t.mu.Unlock()

	// Writing attributes needs no lock: the values are in b.stats.
	rss := td.ResourceSpans()
	for i := range b.rss {
		rs := &b.rss[i]
		st := b.stats[rs.stat]
		st.Overflow = st.Overflow || rs.overflow
		writeService(rss.At(i).Resource().Attributes(), st, t.hot(st), w == writtenHot)
	}
	if w == writtenSpans {
		b.writeSpans()
	}
	t.release(b)
	return res
}

// AnnotateSpans writes the operation and edge values of the current window
// on every span of td, counting nothing: it is the second stage, after
// sampling, over spans a counting stage (Annotate, AnnotateResources or
// AnnotateHot) has already counted. A resource that carries no service
// values yet (after AnnotateHot) gets them too, all from the current window
// (AttrServiceHot included, so the set is from one moment). A span gets
// edge values when its parent is in td in another service (sampling keeps
// whole traces), or, for a CLIENT span without child naming its peer, the
// values of the call to that peer. Spans of services the window does not
// track (unknown or over the cap) get none.
func (t *Tracker) AnnotateSpans(td ptrace.Traces) {
	b := t.collect(td, false)
	t.mu.Lock()
	t.advance(t.now().UnixNano())
	t.seq++
	seq := t.seq
	rss := td.ResourceSpans()
	for i := range b.rss {
		rs := &b.rss[i]
		rs.stat = -1
		if s, ok := t.services[rs.name]; ok {
			rs.svc = s
			// Only a resource still without service values needs the
			// service's stats (a p99 from its histogram).
			if !hasServiceValues(rss.At(i).Resource().Attributes()) {
				rs.stat = t.statOf(b, &s.series, seq)
			}
		}
	}
	for i := range b.spans {
		r := &b.spans[i]
		svc := b.rss[r.rs].svc
		if svc == nil {
			continue
		}
		if op, ok := svc.ops[r.span.Name()]; ok {
			r.opStat = t.statOf(b, op, seq)
		} else {
			r.opStat = -1
		}
		var e *series
		switch {
		case r.parent >= 0:
			if caller := b.rss[b.spans[r.parent].rs].svc; caller != nil && caller != svc {
				e = t.edges[EdgeKey{Caller: caller.name, Callee: svc.name}]
			}
		case spantree.Calls(r.kind) && !r.hasChild:
			if peer := spantree.PeerName(r.span); peer != "" {
				e = t.edges[EdgeKey{Caller: svc.name, Callee: peer}]
			}
		}
		if e != nil {
			r.edgeStat = t.statOf(b, e, seq)
		}
	}
	t.mu.Unlock()
	for i := range b.rss {
		if rs := &b.rss[i]; rs.stat >= 0 {
			st := b.stats[rs.stat]
			writeService(rss.At(i).Resource().Attributes(), st, t.hot(st), false)
		}
	}
	b.writeSpans()
	t.release(b)
}

// writeSpans writes the values statOf gathered on each span of b; spans of
// untracked services and values of overflow buckets are left out.
func (b *batch) writeSpans() {
	for i := range b.spans {
		r := &b.spans[i]
		if b.rss[r.rs].svc == nil || b.rss[r.rs].overflow || r.opStat < 0 {
			continue
		}
		op := &b.stats[r.opStat]
		var edge *Stats
		if r.edgeStat >= 0 && !b.stats[r.edgeStat].Overflow {
			edge = &b.stats[r.edgeStat]
		}
		if op.Overflow && edge == nil {
			continue
		}
		writeSpan(r.span.Attributes(), op, edge)
	}
}

// statOf computes s's stats once per batch (seq) into b and returns their index.
// The caller holds the Tracker's lock.
func (t *Tracker) statOf(b *batch, s *series, seq uint64) int32 {
	if s.seq != seq {
		s.seq = seq
		s.statIdx = int32(len(b.stats))
		b.stats = append(b.stats, s.stats(&t.pool))
	}
	return s.statIdx
}

// hasServiceValues reports whether a counting stage wrote a resource's
// service values (or marked it counted in the overflow bucket).
func hasServiceValues(m pcommon.Map) bool {
	_, counted := m.Get(AttrServiceSpanCount)
	_, overflow := m.Get(AttrServiceOverflow)
	return counted || overflow
}

// writeService writes a service's values on its resource, or only its hot
// verdict (hotOnly); a service counted in the overflow bucket gets only
// AttrServiceOverflow.
func writeService(m pcommon.Map, st Stats, hot, hotOnly bool) {
	if st.Overflow {
		m.PutBool(AttrServiceOverflow, true)
		return
	}
	if hotOnly {
		// Only where true: what sampling reads, and a value fewer on the
		// resources it copies and holds for the others (AnnotateSpans
		// writes the whole set, false included, on the kept ones).
		if hot {
			m.PutBool(AttrServiceHot, true)
		}
		return
	}
	m.EnsureCapacity(m.Len() + 9)
	m.PutInt(AttrServiceSpanCount, st.Spans)
	m.PutInt(AttrServiceErrorCount, st.Errors)
	m.PutDouble(AttrServiceErrorRate, st.ErrorRate)
	m.PutInt(AttrServiceOwnErrorCount, st.OwnErrors)
	m.PutDouble(AttrServiceOwnErrorRate, st.OwnErrorRate)
	m.PutDouble(AttrServiceP50Ms, st.P50Ms)
	m.PutDouble(AttrServiceP90Ms, st.P90Ms)
	m.PutDouble(AttrServiceP99Ms, st.P99Ms)
	m.PutBool(AttrServiceHot, hot)
}

// writeSpan writes operation values (unless op is an overflow bucket) and
// edge values (when edge is not nil).
func writeSpan(m pcommon.Map, op *Stats, edge *Stats) {
	n := 0
	if !op.Overflow {
		n += 3
	}
	if edge != nil {
		n += 3
	}
	// Room for layout's per-span values too: in a gateway layout comes next
	// and would otherwise copy the attributes once more.
	m.EnsureCapacity(m.Len() + n + spantree.Room)
	if !op.Overflow {
		m.PutDouble(AttrOperationErrorRate, op.ErrorRate)
		m.PutDouble(AttrOperationOwnErrorRate, op.OwnErrorRate)
		m.PutDouble(AttrOperationP99Ms, op.P99Ms)
	}
	if edge != nil {
		m.PutInt(AttrEdgeCalls, edge.Spans)
		m.PutDouble(AttrEdgeErrorRate, edge.ErrorRate)
		m.PutDouble(AttrEdgeP99Ms, edge.P99Ms)
	}
}
