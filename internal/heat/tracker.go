package heat

import (
	"cmp"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Counters are cumulative since the Tracker was created.
type Counters struct {
	Spans  int64 // spans observed
	Errors int64 // of which errors

	// Observations diverted to OverflowKey because a cap was reached.
	ServiceOverflows   int64
	OperationOverflows int64
	EdgeOverflows      int64

	EdgesInBatch     int64 // calls resolved within one batch
	EdgesAcross      int64 // calls resolved through the edge store
	VirtualEdges     int64 // caller -> uninstrumented peer, on caller expiry
	ExpiredCallers   int64 // CLIENT/PRODUCER spans that expired without a child
	ExpiredCallees   int64 // spans that expired still waiting for their parent
	EdgeStoreRefused int64 // spans not remembered: store full or span repeated
}

// Keys is the current number of tracked keys, overflow keys included.
type Keys struct {
	Services, Operations, Edges int
	// EdgeStore is the number of spans remembered for edge_store.ttl, of
	// which Waiting still wait for their parent.
	EdgeStore, Waiting int
}

// service is a service's own series plus its operations.
type service struct {
	series
	name    string
	ops     map[string]*series
	total   *serviceTotal
	callers []callerEdge // see edgeBetween
}

// callerEdge is the edge from a calling service.
type callerEdge struct {
	svc  *service
	edge *series
}

// serviceTotal counts a service's spans since the Tracker started; unlike the
// window it survives the service's eviction, so monotonic counters per
// service can be exported (and summed across gateways).
type serviceTotal struct {
	spans, errors int64
}

// Tracker keeps the sliding-window statistics. All methods are safe for
// concurrent use. It runs no goroutine or timer: the window rotates and the
// edge store expires on the clock, checked by every call.
type Tracker struct {
	cfg     Config
	now     func() time.Time
	widthNs int64
	cls     classifier

	batches sync.Pool // *batch scratch

	mu         sync.Mutex
	started    bool
	epoch      int64 // current sub-bucket number: now / widthNs
	services   map[string]*service
	totals     map[string]*serviceTotal // at most MaxServices+1 names
	edges      map[EdgeKey]*series
	operations int // operation keys, overflow keys excluded
	store      *recentSpans
	refs       refTable
	rng        uint64 // xorshift state for duration sampling (series.weight)
	pool       histPool
	seq        uint64
	counters   Counters
	onOverflow func(kind, key string)
	overflowed [3]bool
}

// Overflow kinds passed to the overflow handler.
const (
	KindService   = "service"
	KindOperation = "operation"
	KindEdge      = "edge"
)

// NewTracker returns a Tracker for a validated cfg. now is the clock (nil
// means time.Now); tests inject their own.
func NewTracker(cfg Config, now func() time.Time) *Tracker {
	if now == nil {
		now = time.Now
	}
	return &Tracker{
		cfg:      cfg,
		now:      now,
		widthNs:  int64(cfg.Window) / int64(cfg.Buckets),
		cls:      newClassifier(cfg.Errors),
		batches:  sync.Pool{New: func() any { return new(batch) }},
		services: make(map[string]*service),
		totals:   make(map[string]*serviceTotal),
		edges:    make(map[EdgeKey]*series),
		store:    newRecentSpans(cfg.EdgeStore),
		pool:     histPool{cfg: cfg.Histogram},
		rng:      rand.Uint64() | 1,
	}
}

// SetOverflowHandler registers fn, called once per kind (KindService,
// KindOperation, KindEdge) with the first key that did not fit, so the owner
// can log it once. fn runs with the Tracker locked and must not call it.
func (t *Tracker) SetOverflowHandler(fn func(kind, key string)) {
	t.mu.Lock()
	t.onOverflow = fn
	t.mu.Unlock()
}

// Close releases the tracker's state. There is no background work to stop;
// Close exists so owners need not know that.
func (t *Tracker) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dropAll()
	t.store = newRecentSpans(t.cfg.EdgeStore)
}

// Observe counts every span of td and resolves its edges, without touching td.
func (t *Tracker) Observe(td ptrace.Traces) {
	b := t.collect(td, true)
	t.mu.Lock()
	t.countLocked(b)
	t.mu.Unlock()
	t.release(b)
}

// Service returns the window statistics of a service. A service the window
// does not track while the service cap is reached is reported as
// Stats{Overflow: true}: it may be counted in the overflow bucket, whose
// values are not its own.
func (t *Tracker) Service(name string) (Stats, bool) {
	return t.stats(func() *series {
		if s, ok := t.services[name]; ok {
			return &s.series
		}
		if o, ok := t.services[OverflowKey]; ok && t.countServices() >= t.cfg.MaxServices {
			return &series{bucket: o.bucket}
		}
		return nil
	})
}

// Operation returns the window statistics of a service's span name.
func (t *Tracker) Operation(service, span string) (Stats, bool) {
	return t.stats(func() *series {
		if s, ok := t.services[service]; ok {
			return s.ops[span]
		}
		return nil
	})
}

// Edge returns the window statistics of the caller -> callee edge: calls
// (Spans), failed calls and the callee-side latency.
func (t *Tracker) Edge(caller, callee string) (Stats, bool) {
	return t.stats(func() *series { return t.edges[EdgeKey{Caller: caller, Callee: callee}] })
}

// stats brings the window up to the clock and returns the statistics of the
// series find picks (nil: not tracked), with the Tracker locked.
func (t *Tracker) stats(find func() *series) (Stats, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.advance(t.now().UnixNano())
	s := find()
	if s == nil {
		return Stats{}, false
	}
	return s.stats(&t.pool), true
}

// Hot reports whether a service's error rate is at or above the threshold
// with at least MinSpans spans in the window.
func (t *Tracker) Hot(service string) bool {
	st, ok := t.Service(service)
	return ok && t.hot(st)
}

func (t *Tracker) hot(st Stats) bool { return t.cfg.HotRule().Hot(st) }

// Services lists the services with spans in the window, sorted.
func (t *Tracker) Services() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.advance(t.now().UnixNano())
	return slices.Sorted(maps.Keys(t.services))
}

// Edges lists the edges with calls in the window, sorted by caller, callee.
func (t *Tracker) Edges() []EdgeKey {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.advance(t.now().UnixNano())
	return slices.SortedFunc(maps.Keys(t.edges), func(a, b EdgeKey) int {
		return cmp.Or(strings.Compare(a.Caller, b.Caller), strings.Compare(a.Callee, b.Callee))
	})
}

// Counters returns the cumulative counters.
func (t *Tracker) Counters() Counters {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.advance(t.now().UnixNano())
	return t.counters
}

// Keys returns the number of tracked keys and stored edge candidates.
func (t *Tracker) Keys() Keys {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.advance(t.now().UnixNano())
	k := Keys{Services: len(t.services), Edges: len(t.edges), EdgeStore: t.store.len(), Waiting: t.store.waiting()}
	for _, s := range t.services {
		k.Operations += len(s.ops)
	}
	return k
}

// ServiceStats calls fn for every service in the window, in no order, with
// the Tracker locked (fn must not call the Tracker). It serves metric
// callbacks without building a list.
func (t *Tracker) ServiceStats(fn func(name string, st Stats, hot bool)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.advance(t.now().UnixNano())
	for name, s := range t.services {
		st := s.stats(&t.pool)
		fn(name, st, t.hot(st))
	}
}

// ServiceTotals calls fn for every service seen since the Tracker started
// (bounded like the live services), in no order, with its cumulative span
// and error counts, with the Tracker locked (fn must not call the Tracker).
func (t *Tracker) ServiceTotals(fn func(name string, spans, errors int64)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for name, tot := range t.totals {
		fn(name, tot.spans, tot.errors)
	}
}

// advance rotates the window to the sub-bucket of nowNs and expires edge
// candidates. A clock that goes back leaves the window where it is.
func (t *Tracker) advance(nowNs int64) {
	e := nowNs / t.widthNs
	switch {
	case !t.started:
		t.started = true
		t.epoch = e
	case e > t.epoch:
		n := int64(t.cfg.Buckets)
		if e-t.epoch >= n {
			t.dropAll()
		} else {
			for next := t.epoch + 1; next <= e; next++ {
				t.expireSlot(int(next % n))
			}
		}
		t.epoch = e
	}
	t.store.rotate(nowNs, t.expireGeneration)
}

func (t *Tracker) slot() int { return int(t.epoch % int64(t.cfg.Buckets)) }

// expireSlot drops one sub-bucket from every key and forgets keys left empty,
// which frees room under the caps.
func (t *Tracker) expireSlot(slot int) {
	var parts []*hdr.Histogram
	for name, s := range t.services {
		for opName, op := range s.ops {
			if t.expireKey(op, slot) {
				delete(s.ops, opName)
				if opName != OverflowKey {
					t.operations--
				}
			}
		}
		// The service's window is the sum of its operations' windows.
		parts = parts[:0]
		for _, op := range s.ops {
			parts = append(parts, op.window)
		}
		s.expire(&t.pool, slot, parts...)
		if s.totalSpans == 0 {
			t.refs.drop(&s.series)
			s.release(&t.pool)
			delete(t.services, name)
		}
	}
	for k, e := range t.edges {
		if t.expireKey(e, slot) {
			delete(t.edges, k)
		}
	}
}

// expireKey drops sub-bucket slot from an operation or edge and reports
// whether the key is left empty; an empty key's histograms and ref are
// released, and the caller forgets it.
func (t *Tracker) expireKey(s *series, slot int) bool {
	s.expire(&t.pool, slot)
	if s.totalSpans != 0 {
		return false
	}
	t.refs.drop(s)
	s.release(&t.pool)
	return true
}

// dropAll forgets every key: the whole window has passed.
func (t *Tracker) dropAll() {
	for _, s := range t.services {
		for _, op := range s.ops {
			t.refs.drop(op)
			op.release(&t.pool)
		}
		t.refs.drop(&s.series)
		s.release(&t.pool)
	}
	for _, e := range t.edges {
		t.refs.drop(e)
		e.release(&t.pool)
	}
	clear(t.services)
	clear(t.edges)
	t.operations = 0
}

// overflow reports a cap reached, once per kind.
func (t *Tracker) overflow(kind int, kindName, key string) {
	if t.overflowed[kind] {
		return
	}
	t.overflowed[kind] = true
	if t.onOverflow != nil {
		t.onOverflow(kindName, key)
	}
}

// service returns the series of a service, creating it within the cap.
func (t *Tracker) service(name string) *service {
	if s, ok := t.services[name]; ok {
		return s
	}
	if name != OverflowKey && t.countServices() >= t.cfg.MaxServices {
		t.counters.ServiceOverflows++
		t.overflow(0, KindService, name)
		return t.service(OverflowKey)
	}
	name = strings.Clone(name) // never retain the batch's buffer
	s := &service{series: *newWindowSeries(t.cfg.Buckets), name: name, ops: make(map[string]*series), total: t.totalOf(name)}
	s.bucket = name == OverflowKey
	t.refs.add(&s.series, s)
	t.services[name] = s
	return s
}

// totalOf returns the cumulative counts of a service. The names are bounded
// like the live services: beyond MaxServices names, counts go to
// OverflowKey's total.
func (t *Tracker) totalOf(name string) *serviceTotal {
	if tot, ok := t.totals[name]; ok {
		return tot
	}
	if name != OverflowKey && len(t.totals) >= t.cfg.MaxServices {
		return t.totalOf(OverflowKey)
	}
	tot := new(serviceTotal)
	t.totals[name] = tot
	return tot
}

func (t *Tracker) countServices() int {
	n := len(t.services)
	if _, ok := t.services[OverflowKey]; ok {
		n--
	}
	return n
}

// operation returns the series of s's span name, creating it within the cap;
// beyond it the span counts under s's OverflowKey operation.
func (t *Tracker) operation(s *service, name string) *series {
	if op, ok := s.ops[name]; ok {
		return op
	}
	if name != OverflowKey {
		if t.operations >= t.cfg.MaxOperations {
			t.counters.OperationOverflows++
			t.overflow(1, KindOperation, s.name+" "+name)
			return t.operation(s, OverflowKey)
		}
		t.operations++
	}
	op := newSeries(t.cfg.Buckets)
	op.bucket = name == OverflowKey
	t.refs.add(op, nil)
	s.ops[strings.Clone(name)] = op
	return op
}

// edge returns the series of caller -> callee, creating it within the cap.
func (t *Tracker) edge(caller, callee string) *series {
	k := EdgeKey{Caller: caller, Callee: callee}
	if e, ok := t.edges[k]; ok {
		return e
	}
	if k.Caller != OverflowKey || k.Callee != OverflowKey {
		n := len(t.edges)
		if _, ok := t.edges[EdgeKey{OverflowKey, OverflowKey}]; ok {
			n--
		}
		if n >= t.cfg.MaxEdges {
			t.counters.EdgeOverflows++
			t.overflow(2, KindEdge, caller+" -> "+callee)
			return t.edge(OverflowKey, OverflowKey)
		}
	}
	k.Callee = strings.Clone(k.Callee) // caller names are canonical already
	e := newSeries(t.cfg.Buckets)
	e.bucket = k.Caller == OverflowKey && k.Callee == OverflowKey
	t.refs.add(e, nil)
	t.edges[k] = e
	return e
}
