package heat

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// spanRef is (trace ID, span ID): the key both halves of a call meet on. A
// caller is stored under its own span ID, a callee under its parent span ID.
type spanRef struct {
	trace pcommon.TraceID
	span  pcommon.SpanID
}

// half is one side of a call waiting for the other.
type half struct {
	service string // the stored side's service (canonical, owned)
	peer    string // caller only: peer.service / server.address, for virtual edges
	durNs   int64
	isErr   bool
	callee  bool // true: a callee waiting for its caller
	matched bool // caller only: a callee was found; kept for fan-out until TTL
	expires int64
}

// expiry is a FIFO entry; since every entry lives for the same TTL the queue
// is ordered by expiry. Entries removed from the map leave stale queue
// elements behind, recognised by their expiry time.
type expiry struct {
	ref     spanRef
	expires int64
}

// edgeStore pairs callers and callees that arrive in different batches,
// bounded by maxItems, each entry living ttl nanoseconds. Not safe for
// concurrent use; the Tracker's lock guards it.
type edgeStore struct {
	ttl      int64
	maxItems int
	items    map[spanRef]half
	queue    []expiry
	head     int
}

func newEdgeStore(cfg EdgeStoreConfig) *edgeStore {
	return &edgeStore{
		ttl:      int64(cfg.TTL),
		maxItems: cfg.MaxItems,
		items:    make(map[spanRef]half),
	}
}

// put stores h under ref unless the store is full or ref is taken; it
// reports whether h was stored.
func (e *edgeStore) put(ref spanRef, h half, now int64) bool {
	if len(e.items) >= e.maxItems {
		return false
	}
	if _, taken := e.items[ref]; taken {
		return false
	}
	h.expires = now + e.ttl
	h.peer = strings.Clone(h.peer) // owned: the batch's memory is not kept
	e.items[ref] = h
	if len(e.queue)-e.head >= 4*e.maxItems {
		e.compact()
	}
	e.queue = append(e.queue, expiry{ref: ref, expires: h.expires})
	return true
}

// get returns the entry at ref, if any.
func (e *edgeStore) get(ref spanRef) (half, bool) {
	h, ok := e.items[ref]
	return h, ok
}

// markMatched keeps a caller for further callees (fan-out) but stops it from
// becoming a virtual edge when it expires.
func (e *edgeStore) markMatched(ref spanRef) {
	if h, ok := e.items[ref]; ok {
		h.matched = true
		e.items[ref] = h
	}
}

// compact drops queue elements whose entry was removed, bounding the queue by
// the live entries when callers and callees pair up faster than they expire.
func (e *edgeStore) compact() {
	live := e.queue[:0]
	for _, q := range e.queue[e.head:] {
		if h, ok := e.items[q.ref]; ok && h.expires == q.expires {
			live = append(live, q)
		}
	}
	clear(e.queue[len(live):])
	e.queue = live
	e.head = 0
}

func (e *edgeStore) remove(ref spanRef) { delete(e.items, ref) }

func (e *edgeStore) len() int { return len(e.items) }

// expire removes every entry whose TTL has passed and hands it to fn.
func (e *edgeStore) expire(now int64, fn func(half)) {
	for e.head < len(e.queue) && e.queue[e.head].expires <= now {
		q := e.queue[e.head]
		e.queue[e.head] = expiry{}
		e.head++
		if h, ok := e.items[q.ref]; ok && h.expires == q.expires {
			delete(e.items, q.ref)
			fn(h)
		}
	}
	// Reclaim the consumed front once it dominates the slice, so the queue
	// stays proportional to what lives within one TTL.
	if e.head > 0 && e.head*2 >= len(e.queue) {
		n := copy(e.queue, e.queue[e.head:])
		clear(e.queue[n:])
		e.queue = e.queue[:n]
		e.head = 0
	}
}
