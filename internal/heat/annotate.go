package heat

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Attributes written by Annotate (the contract in DESIGN.md and
// docs/attributes.md; readers such as the svg exporter use these constants).
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

// Annotate counts every span of td (as Observe does) and then writes the
// window's values onto td: service statistics on each resource, operation
// statistics on each span, edge statistics on each span an edge ends at. The
// values include this batch, so a batch that holds the whole window carries
// exactly its own error rates.
func (t *Tracker) Annotate(td ptrace.Traces) Result { return t.annotate(td, true) }

// AnnotateResources is Annotate without the span attributes: only the
// service attributes are written on each resource. Every span is still
// counted and every edge resolved; it saves the cost of growing every span's
// attributes where only the service heat is wanted.
func (t *Tracker) AnnotateResources(td ptrace.Traces) Result { return t.annotate(td, false) }

func (t *Tracker) annotate(td ptrace.Traces, spans bool) Result {
	b := t.collect(td)
	t.mu.Lock()
	t.countLocked(b)
	t.seq++
	seq := t.seq
	for i := range b.rss {
		b.rss[i].stat = b.statOf(&b.rss[i].svc.series, seq)
	}
	var res Result
	for i := range b.spans {
		r := &b.spans[i]
		if spans {
			r.opStat = b.statOf(r.op, seq)
			if r.edge != nil {
				r.edgeStat = b.statOf(r.edge, seq)
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
		st := b.stats[b.rss[i].stat]
		writeService(rss.At(i).Resource().Attributes(), st, t.hot(st))
	}
	if spans {
		for i := range b.spans {
			r := &b.spans[i]
			writeSpan(r.span.Attributes(), b.stats[r.opStat], r.edgeStat, b.stats)
		}
	}
	t.release(b)
	return res
}

// statOf computes s's stats once per batch (seq) and returns their index.
// The caller holds the Tracker's lock.
func (b *batch) statOf(s *series, seq uint64) int32 {
	if s.seq != seq {
		s.seq = seq
		s.statIdx = int32(len(b.stats))
		b.stats = append(b.stats, s.stats())
	}
	return s.statIdx
}

func writeService(m pcommon.Map, st Stats, hot bool) {
	m.EnsureCapacity(m.Len() + 7)
	m.PutInt(AttrServiceSpanCount, st.Spans)
	m.PutInt(AttrServiceErrorCount, st.Errors)
	m.PutDouble(AttrServiceErrorRate, st.ErrorRate)
	m.PutDouble(AttrServiceP50Ms, st.P50Ms)
	m.PutDouble(AttrServiceP90Ms, st.P90Ms)
	m.PutDouble(AttrServiceP99Ms, st.P99Ms)
	m.PutBool(AttrServiceHot, hot)
}

func writeSpan(m pcommon.Map, op Stats, edgeStat int32, stats []Stats) {
	if edgeStat < 0 {
		m.EnsureCapacity(m.Len() + 2)
	} else {
		m.EnsureCapacity(m.Len() + 5)
	}
	m.PutDouble(AttrOperationErrorRate, op.ErrorRate)
	m.PutDouble(AttrOperationP99Ms, op.P99Ms)
	if edgeStat >= 0 {
		e := stats[edgeStat]
		m.PutInt(AttrEdgeCalls, e.Spans)
		m.PutDouble(AttrEdgeErrorRate, e.ErrorRate)
		m.PutDouble(AttrEdgeP99Ms, e.P99Ms)
	}
}
