package heat

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/spanindex"
	"github.com/tracemap/tracemap/internal/spantree"
)

// batch is the per-call scratch, pooled: what can be read from the data is
// read before the Tracker is locked, so the locked part only counts.
type batch struct {
	rss   []rsRec
	spans []spanRec
	ids   spanindex.Index // (trace ID, span ID) key -> index in spans
	stats []Stats         // filled when annotating, indexed by *Stat fields
}

type rsRec struct {
	name     string // service.name as sent
	svc      *service
	overflow bool // counted under OverflowKey
	stat     int32
}

type spanRec struct {
	span     ptrace.Span
	rs       int32
	parent   int32 // in-batch parent, -1 when absent
	durNs    int64
	mix      uint64 // spanindex.TraceMix of its trace
	run      int32  // spans of its trace one after another in the batch, itself included
	key      uint64 // spanindex.TraceSpanKey of the span
	pkey     uint64 // of its parent span, 0 when it has none
	isErr    bool
	repeat   bool // its key came earlier in the batch
	kind     ptrace.SpanKind
	hasChild bool // some span of the batch names it as parent
	errChild bool // some error span of the batch names it as parent
	opStat   int32
	edgeStat int32 // -1: no edge values for this span
	op       *series
	edge     *series
}

// collect reads td into pooled scratch: services, durations, error flags
// and the parent of every span found in the same batch. classify is false
// for annotation after sampling, which counts nothing.
func (t *Tracker) collect(td ptrace.Traces, classify bool) *batch {
	b := t.batches.Get().(*batch)
	lo, hi := int64(t.cfg.Histogram.Lowest), int64(t.cfg.Histogram.Highest)
	var lastTrace pcommon.TraceID
	lastMix := spanindex.TraceMix(lastTrace)
	b.ids.Reset(td.SpanCount())
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		b.rss = append(b.rss, rsRec{name: spantree.ServiceName(rs.Resource())})
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				if tid := s.TraceID(); tid != lastTrace {
					lastTrace, lastMix = tid, spanindex.TraceMix(tid)
				}
				r := spanRec{span: s, rs: int32(i), parent: -1, edgeStat: -1, kind: s.Kind(), mix: lastMix}
				// Spans without trace or span ID cannot be anyone's parent;
				// a span that names itself as parent has none.
				if id := s.SpanID(); !id.IsEmpty() && !lastTrace.IsEmpty() {
					r.key = spanindex.TraceSpanKey(lastMix, id)
					r.repeat = !b.ids.Add(r.key, len(b.spans))
				}
				if pid := s.ParentSpanID(); !pid.IsEmpty() && pid != s.SpanID() {
					r.pkey = spanindex.TraceSpanKey(lastMix, pid)
				}
				if classify {
					d := int64(s.EndTimestamp()) - int64(s.StartTimestamp())
					if s.EndTimestamp() < s.StartTimestamp() {
						d = 0 // end before start: count it, as the shortest span
					}
					r.durNs = min(max(d, lo), hi)
					r.isErr = t.cls.isError(s)
				}
				b.spans = append(b.spans, r)
			}
		}
	}
	// Runs of a trace's spans matter only to the edge store, which
	// annotation does not touch.
	for start := 0; classify && start < len(b.spans); {
		end := start + 1
		for end < len(b.spans) && b.spans[end].mix == b.spans[start].mix {
			end++
		}
		for j := start; j < end; j++ {
			b.spans[j].run = int32(end - start)
		}
		start = end
	}
	for i := range b.spans {
		r := &b.spans[i]
		if r.pkey == 0 {
			continue
		}
		// Keys can collide by chance: confirm on the span itself.
		if p := b.ids.Find(r.pkey); p >= 0 && p != i && b.spans[p].span.SpanID() == r.span.ParentSpanID() && b.spans[p].span.TraceID() == r.span.TraceID() {
			r.parent = int32(p)
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

// countLocked records every span of b into the window and resolves its
// edges and own errors: within the batch directly, across batches through
// the recent spans (the edge store), in either arrival order.
func (t *Tracker) countLocked(b *batch) {
	nowNs := t.now().UnixNano()
	t.advance(nowNs)
	slot := t.slot()
	pool := &t.pool
	for i := range b.rss {
		rs := &b.rss[i]
		rs.svc = t.service(rs.name)
		rs.overflow = rs.svc.name == OverflowKey && rs.name != OverflowKey
	}
	store := t.store
	batchStart := int32(len(store.cur.spans))
	for i := range b.spans {
		r := &b.spans[i]
		svc := b.rss[r.rs].svc
		// Children that came in earlier batches, waiting for this span.
		if r.key != 0 {
			t.adopt(store.prev, r, svc, slot)
			t.adopt(store.cur, r, svc, slot)
		}

		// The service's window is the sum of its operations': it records
		// the durations its operation picks, with the same weight.
		r.op = t.operation(svc, r.span.Name())
		w := r.op.weight(&t.rng)
		r.op.record(pool, slot, r.durNs, r.isErr, w)
		svc.record(pool, slot, r.durNs, r.isErr, w)
		own := IsOwnError(r.isErr, r.errChild)
		if own {
			svc.addOwn(slot, 1)
			r.op.addOwn(slot, 1)
		}
		t.counters.Spans++
		svc.total.spans++
		if r.isErr {
			t.counters.Errors++
			svc.total.errors++
		}

		var parent *seenSpan
		switch {
		case r.parent >= 0:
			p := &b.spans[r.parent]
			if caller := b.rss[p.rs].svc; caller != svc {
				r.edge = t.call(t.edgeBetween(caller, svc), p.kind, p.isErr, r.durNs, r.isErr, own)
				t.counters.EdgesInBatch++
			}
		case r.pkey != 0:
			if parent = store.find(r.mix, r.pkey); parent != nil {
				parent.matched = true
				if caller := t.refs.service(parent.svc); caller != nil && caller != svc {
					r.edge = t.call(t.edgeBetween(caller, svc), parent.kind, parent.isErr, r.durNs, r.isErr, own)
					t.counters.EdgesAcross++
				}
				if r.isErr {
					t.propagated(parent)
				}
			}
		}

		if r.key == 0 {
			continue
		}
		if r.repeat {
			t.counters.EdgeStoreRefused++
			continue
		}
		seen := seenSpan{svc: svc.ref, op: r.op.ref, epoch: t.epoch, durNs: r.durNs,
			isErr: r.isErr, own: own, kind: r.kind, matched: r.hasChild}
		if r.edge != nil {
			seen.edge = r.edge.ref
		}
		idx := store.cur.add(r.mix, r.key, r.run, batchStart, seen)
		if idx < 0 {
			t.counters.EdgeStoreRefused++
			continue
		}
		if r.pkey != 0 && r.parent < 0 && parent == nil {
			store.cur.wait(r.pkey, idx) // a child before its parent
		}
		if spantree.Calls(r.kind) && !r.hasChild {
			// Read only for spans remembered: a peer is needed on expiry.
			store.cur.spans[idx].peer = store.intern(spantree.PeerName(r.span))
			store.cur.leaves = append(store.cur.leaves, idx)
		}
	}
}

// adopt resolves the children of generation g that waited for span r: each
// is a call from r's service (when it differs), and a failing child makes r
// a propagated error before r is counted.
func (t *Tracker) adopt(g *generation, r *spanRec, svc *service, slot int) {
	if !g.mayWait(r.key) {
		return
	}
	for w := g.take(r.key); w >= 0; w = g.waits[w].next {
		c := &g.spans[g.waits[w].span]
		r.hasChild = true
		if c.isErr {
			r.errChild = true
		}
		if callee := t.refs.service(c.svc); callee != nil && callee != svc {
			c.edge = t.call(t.edgeBetween(svc, callee), r.kind, r.isErr, c.durNs, c.isErr, c.own).ref
			t.counters.EdgesAcross++
		}
	}
}

// call counts one call on edge e: failed by IsFailedCall, an own error of
// the callee when the callee span's failure starts there.
func (t *Tracker) call(e *series, callerKind ptrace.SpanKind, callerErr bool, durNs int64, calleeErr, calleeOwn bool) *series {
	slot := t.slot()
	e.record(&t.pool, slot, durNs, IsFailedCall(callerKind, callerErr, calleeErr), e.weight(&t.rng))
	if calleeOwn {
		e.addOwn(slot, 1)
	}
	return e
}

// propagated reclassifies a remembered span whose failing child arrived
// after it: its error no longer starts there. Each span is reclassified once.
func (t *Tracker) propagated(s *seenSpan) {
	if !s.own {
		return
	}
	s.own = false
	for _, r := range [...]ref{s.svc, s.op, s.edge} {
		if x := t.refs.series(r); x != nil {
			t.addOwnAt(x, s.epoch, -1)
		}
	}
}

// addOwnAt moves the own errors counted in the sub-bucket of epoch, unless
// that sub-bucket has rotated out since (the correction left with it).
func (t *Tracker) addOwnAt(s *series, epoch, d int64) {
	if epoch > t.epoch || t.epoch-epoch >= int64(t.cfg.Buckets) {
		return
	}
	s.addOwn(int(epoch%int64(t.cfg.Buckets)), d)
}

// expireGeneration settles the remembered spans that leave: a CLIENT or
// PRODUCER span that found no child but names its peer becomes a call to
// that uninstrumented peer, and its own error is the peer's, not its
// service's; the children still waiting for a parent are counted.
func (t *Tracker) expireGeneration(g *generation) {
	for _, i := range g.leaves {
		s := &g.spans[i]
		if s.matched {
			continue
		}
		t.counters.ExpiredCallers++
		caller := t.refs.service(s.svc)
		if s.peer == 0 || caller == nil {
			continue
		}
		t.counters.VirtualEdges++
		own := s.own
		if own {
			t.propagated(s) // the failure starts in the peer
		}
		t.call(t.edge(caller.name, t.store.peerName(s.peer)), s.kind, s.isErr, s.durNs, false, own)
	}
	t.counters.ExpiredCallees += int64(g.waiting())
}

// maxCallers bounds the edges a service remembers it is called on.
const maxCallers = 16

// edgeBetween is t.edge(caller.name, callee.name), remembered on the callee
// so that most calls skip hashing two names; an edge that left the window
// (its ref dropped) or an overflow bucket is looked up again.
func (t *Tracker) edgeBetween(caller, callee *service) *series {
	for i := range callee.callers {
		if c := &callee.callers[i]; c.svc == caller {
			if c.edge.ref.idx != 0 && !c.edge.bucket {
				return c.edge
			}
			c.edge = t.edge(caller.name, callee.name)
			return c.edge
		}
	}
	e := t.edge(caller.name, callee.name)
	if len(callee.callers) < maxCallers {
		callee.callers = append(callee.callers, callerEdge{svc: caller, edge: e})
	}
	return e
}
