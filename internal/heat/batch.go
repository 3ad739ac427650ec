package heat

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/spantree"
)

// batch is the per-call scratch, pooled: what can be read from the data is
// read before the Tracker is locked, so the locked part only counts.
type batch struct {
	rss   []rsRec
	spans []spanRec
	ids   idIndex // (trace ID, span ID) -> index in spans
	stats []Stats // filled by Annotate, indexed by *Stat fields
}

type rsRec struct {
	name string // service.name as sent
	svc  *service
	stat int32
}

type spanRec struct {
	span     ptrace.Span
	rs       int32
	parent   int32 // in-batch parent, -1 when absent
	durNs    int64
	tmix     uint64 // traceMix of the span's trace ID
	isErr    bool
	hasChild bool // some span of the batch names it as parent
	errChild bool // some error span of the batch names it as parent
	opStat   int32
	edgeStat int32 // -1: no edge ends at this span
	op       *series
	edge     *series
}

// collect reads td into pooled scratch: services, durations, error flags
// and the parent of every span found in the same batch.
func (t *Tracker) collect(td ptrace.Traces) *batch {
	b := t.batches.Get().(*batch)
	lo, hi := int64(t.cfg.Histogram.Lowest), int64(t.cfg.Histogram.Highest)
	var lastTrace pcommon.TraceID
	lastMix := traceMix(lastTrace)
	b.ids.reset(td.SpanCount())
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		b.rss = append(b.rss, rsRec{name: spantree.ServiceName(rs.Resource())})
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				d := int64(s.EndTimestamp()) - int64(s.StartTimestamp())
				if s.EndTimestamp() < s.StartTimestamp() {
					d = 0 // end before start: count it, as the shortest span
				}
				d = min(max(d, lo), hi)
				if tid := s.TraceID(); tid != lastTrace {
					lastTrace, lastMix = tid, traceMix(tid)
				}
				r := spanRec{span: s, rs: int32(i), parent: -1, durNs: d, tmix: lastMix, isErr: t.cls.isError(s), edgeStat: -1}
				b.ids.put(lastMix, s.SpanID(), int32(len(b.spans)))
				b.spans = append(b.spans, r)
			}
		}
	}
	for i := range b.spans {
		r := &b.spans[i]
		pid := r.span.ParentSpanID()
		if pid.IsEmpty() {
			continue
		}
		if p, ok := b.ids.get(r.tmix, pid); ok && int(p) != i && b.spans[p].span.SpanID() == pid && b.spans[p].span.TraceID() == r.span.TraceID() {
			r.parent = p
			b.spans[p].hasChild = true
			if r.isErr {
				b.spans[p].errChild = true
			}
		}
	}
	return b
}

// maxPooledSpans keeps a huge batch's scratch from living on in the pool.
const maxPooledSpans = 1 << 16

func (t *Tracker) release(b *batch) {
	if cap(b.spans) > maxPooledSpans {
		return
	}
	clear(b.rss)
	clear(b.spans)
	b.rss, b.spans, b.stats = b.rss[:0], b.spans[:0], b.stats[:0]
	t.batches.Put(b)
}

// countLocked records every span of b into the window and resolves edges:
// in the batch directly, across batches through the edge store.
func (t *Tracker) countLocked(b *batch) {
	nowNs := t.now().UnixNano()
	t.advance(nowNs)
	slot := t.slot()
	pool := &t.pool
	for i := range b.rss {
		b.rss[i].svc = t.service(b.rss[i].name)
	}
	for i := range b.spans {
		r := &b.spans[i]
		svc := b.rss[r.rs].svc
		svc.record(pool, slot, r.durNs, r.isErr)
		r.op = t.operation(svc, r.span.Name())
		r.op.record(pool, slot, r.durNs, r.isErr)
		if IsOwnError(r.isErr, r.errChild) {
			svc.addOwn(slot, 1)
			r.op.addOwn(slot, 1)
		}
		t.counters.Spans++
		svc.total.spans++
		if r.isErr {
			t.counters.Errors++
			svc.total.errors++
		}

		kind := r.span.Kind()
		storable := !r.span.TraceID().IsEmpty() // IDs are what the store pairs on
		switch {
		case r.parent >= 0:
			p := &b.spans[r.parent]
			if caller := b.rss[p.rs].svc; caller != svc {
				r.edge = t.edge(caller.name, svc.name)
				r.edge.record(pool, slot, r.durNs, r.isErr || p.isErr)
				t.counters.EdgesInBatch++
			}
		case storable && !r.span.ParentSpanID().IsEmpty() && (kind == ptrace.SpanKindServer || kind == ptrace.SpanKindConsumer):
			// A callee whose caller is not in this batch.
			ref := spanRef{trace: r.span.TraceID(), span: r.span.ParentSpanID()}
			if c, ok := t.store.get(ref); ok && !c.callee {
				if c.service != svc.name {
					r.edge = t.edge(c.service, svc.name)
					r.edge.record(pool, slot, r.durNs, r.isErr || c.isErr)
					t.counters.EdgesAcross++
				}
				t.store.markMatched(ref)
			} else if !t.store.put(ref, half{service: svc.name, durNs: r.durNs, isErr: r.isErr, callee: true}, nowNs) {
				t.counters.EdgeStoreRefused++
			}
		}

		if storable && !r.hasChild && !r.span.SpanID().IsEmpty() && (kind == ptrace.SpanKindClient || kind == ptrace.SpanKindProducer) {
			// A caller whose callee is not in this batch.
			ref := spanRef{trace: r.span.TraceID(), span: r.span.SpanID()}
			if c, ok := t.store.get(ref); ok && c.callee {
				t.store.remove(ref)
				if c.service != svc.name {
					t.edge(svc.name, c.service).record(pool, slot, c.durNs, c.isErr || r.isErr)
					t.counters.EdgesAcross++
				}
			} else if !t.store.put(ref, half{service: svc.name, peer: peerName(r.span), durNs: r.durNs, isErr: r.isErr}, nowNs) {
				t.counters.EdgeStoreRefused++
			}
		}
	}
}
