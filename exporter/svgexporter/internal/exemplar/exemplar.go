// Package exemplar chooses, online and in bounded memory, the traces a
// window's pictures are drawn from: per key (a service, or a caller ->
// callee edge) up to K traces where the key was the error culprit, up to K
// of the slowest traces where it held the latency culprit's share, and one
// typical trace near the median duration of the key's traces.
//
// Memory is bounded by the keys tracked (MaxKeys) times 2K+1 held traces,
// whatever the traffic: each slot keeps only what can still win.
//
//   - error: the first K error traces of a key are kept (arrival order); a
//     later one cannot displace them, so it is refused without being held.
//   - slow: a min-heap of the K longest; a trace not longer than the
//     shortest of a full heap is refused, and the one it displaces is
//     released.
//   - typical: the key's durations are counted in a log-scale histogram
//     (4 buckets per power of two); a trace is kept when it lies closer to
//     the current median bucket than the kept one, which is then released.
//     The chosen trace is therefore near the median as known at its arrival.
//
// A trace may hold several slots; it is released (its data may be freed)
// when it holds none. Choose then picks at most MaxPictures distinct traces,
// round by round so that every key gets its first error, slow and typical
// trace before any key gets a second.
package exemplar

import (
	"cmp"
	"container/heap"
	"math/bits"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Reasons a trace is chosen (the values of internal/summary).
const (
	ReasonError   = "error"
	ReasonSlow    = "slow"
	ReasonTypical = "typical"
)

// Key is a service (From and To empty) or an edge (Service empty).
type Key struct {
	Service  string
	From, To string
}

func (k Key) compare(o Key) int {
	return cmp.Or(cmp.Compare(k.Service, o.Service), cmp.Compare(k.From, o.From), cmp.Compare(k.To, o.To))
}

// Offer is one trace as the chooser sees it.
type Offer struct {
	ID         pcommon.TraceID
	DurationNs int64
	// Keys are every service and edge of the trace (typical candidates).
	Keys []Key
	// Error are the keys where the trace's failure started; Slow the keys
	// that held the latency culprit's share.
	Error, Slow []Key
}

// Role is one slot a chosen trace fills.
type Role struct {
	Reason string
	Key    Key
}

// Chosen is a trace Choose picked, with every role it plays.
type Chosen struct {
	ID    pcommon.TraceID
	Roles []Role
}

// Options bound the chooser.
type Options struct {
	PerKey      int // K, at least 1
	MaxKeys     int // keys tracked; the rest are not offered
	MaxPictures int // traces Choose returns at most
}

type entry struct {
	id  pcommon.TraceID
	dur int64
	seq uint64
}

type slots struct {
	errors  []entry
	slow    slowHeap
	typical entry
	hasTyp  bool
	hist    [histBuckets]uint32
	n       uint32
}

// Chooser holds one window's candidates. Not safe for concurrent use.
type Chooser struct {
	opt  Options
	keys map[Key]*slots
	refs map[pcommon.TraceID]int
	seq  uint64
	// Untracked counts offers for keys beyond MaxKeys.
	Untracked int64
}

// New returns an empty chooser.
func New(opt Options) *Chooser {
	opt.PerKey = max(opt.PerKey, 1)
	return &Chooser{opt: opt, keys: map[Key]*slots{}, refs: map[pcommon.TraceID]int{}}
}

// Offer considers a trace. kept reports whether the caller must hold the
// trace's data (it fills at least one slot); released lists traces that no
// longer fill any slot, whose data the caller frees. An ID offered again
// while held only adds slots.
func (c *Chooser) Offer(o Offer) (kept bool, released []pcommon.TraceID) {
	c.seq++
	e := entry{id: o.ID, dur: o.DurationNs, seq: c.seq}
	take := func() { c.refs[o.ID]++; kept = true }
	drop := func(id pcommon.TraceID) {
		if c.refs[id]--; c.refs[id] <= 0 {
			delete(c.refs, id)
			released = append(released, id)
		}
	}
	for _, k := range o.Error {
		s := c.slotsOf(k)
		if s == nil || len(s.errors) >= c.opt.PerKey || s.holds(o.ID) {
			continue
		}
		s.errors = append(s.errors, e)
		take()
	}
	for _, k := range o.Slow {
		s := c.slotsOf(k)
		if s == nil || s.slow.holds(o.ID) {
			continue
		}
		if len(s.slow) < c.opt.PerKey {
			heap.Push(&s.slow, e)
			take()
		} else if e.dur > s.slow[0].dur {
			old := s.slow[0]
			s.slow[0] = e
			heap.Fix(&s.slow, 0)
			take()
			drop(old.id)
		}
	}
	for _, k := range o.Keys {
		s := c.slotsOf(k)
		if s == nil {
			continue
		}
		b := bucket(e.dur)
		s.hist[b]++
		s.n++
		med := s.median()
		if !s.hasTyp {
			s.typical, s.hasTyp = e, true
			take()
			continue
		}
		if s.typical.id != e.id && dist(b, med) < dist(bucket(s.typical.dur), med) {
			old := s.typical
			s.typical = e
			take()
			drop(old.id)
		}
	}
	return kept, released
}

// Held is how many distinct traces the chooser holds.
func (c *Chooser) Held() int { return len(c.refs) }

func (c *Chooser) slotsOf(k Key) *slots {
	s, ok := c.keys[k]
	if !ok {
		if len(c.keys) >= c.opt.MaxKeys {
			c.Untracked++
			return nil
		}
		s = &slots{}
		c.keys[k] = s
	}
	return s
}

func (s *slots) holds(id pcommon.TraceID) bool {
	return slices.ContainsFunc(s.errors, func(e entry) bool { return e.id == id })
}

// Choose returns at most MaxPictures distinct traces with their roles, in
// rounds: round r takes every key's r-th error trace, then r-th slowest,
// then (round 0 only) its typical trace, keys in name order.
func (c *Chooser) Choose() []Chosen {
	keys := make([]Key, 0, len(c.keys))
	for k := range c.keys {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, Key.compare)
	slow := make(map[Key][]entry, len(keys))
	for _, k := range keys {
		s := slices.Clone(c.keys[k].slow)
		slices.SortFunc(s, func(a, b entry) int { return cmp.Or(cmp.Compare(b.dur, a.dur), cmp.Compare(a.seq, b.seq)) })
		slow[k] = s
	}
	var out []Chosen
	at := map[pcommon.TraceID]int{}
	add := func(id pcommon.TraceID, r Role) {
		if i, ok := at[id]; ok {
			out[i].Roles = append(out[i].Roles, r)
			return
		}
		if len(out) >= c.opt.MaxPictures {
			return
		}
		at[id] = len(out)
		out = append(out, Chosen{ID: id, Roles: []Role{r}})
	}
	for r := 0; r < c.opt.PerKey; r++ {
		for _, k := range keys {
			if s := c.keys[k]; r < len(s.errors) {
				add(s.errors[r].id, Role{ReasonError, k})
			}
		}
		for _, k := range keys {
			if s := slow[k]; r < len(s) {
				add(s[r].id, Role{ReasonSlow, k})
			}
		}
		if r == 0 {
			for _, k := range keys {
				if s := c.keys[k]; s.hasTyp {
					add(s.typical.id, Role{ReasonTypical, k})
				}
			}
		}
	}
	return out
}

// histBuckets covers 1 ns .. 2^40 ns (18 minutes) and beyond in the last
// bucket, 4 buckets per power of two.
const histBuckets = 4 * 41

// bucket is the log-scale bucket of a duration: 4 per power of two, by the
// two bits after the leading one.
func bucket(ns int64) int {
	if ns <= 1 {
		return 0
	}
	u := uint64(ns)
	lz := 63 - bits.LeadingZeros64(u)
	frac := 0
	if lz >= 2 {
		frac = int(u>>(lz-2)) & 3
	} else {
		frac = int(u<<(2-lz)) & 3
	}
	return min(4*lz+frac, histBuckets-1)
}

// median is the bucket holding the key's median duration.
func (s *slots) median() int {
	half := (s.n + 1) / 2
	var sum uint32
	for b, n := range s.hist {
		sum += n
		if sum >= half {
			return b
		}
	}
	return histBuckets - 1
}

func dist(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}

// slowHeap is a min-heap by duration (the one to displace first on top);
// among equal durations the later arrival is displaced first.
type slowHeap []entry

func (h slowHeap) Len() int { return len(h) }
func (h slowHeap) Less(i, j int) bool {
	if h[i].dur != h[j].dur {
		return h[i].dur < h[j].dur
	}
	return h[i].seq > h[j].seq
}
func (h slowHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *slowHeap) Push(x any)   { *h = append(*h, x.(entry)) }
func (h *slowHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h slowHeap) holds(id pcommon.TraceID) bool {
	return slices.ContainsFunc(h, func(e entry) bool { return e.id == id })
}
