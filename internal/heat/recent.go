package heat

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/spanindex"
)

// seenSpan is a counted span, remembered for at least edge_store.ttl so that
// a child arriving later in another batch finds its caller (the edge) and,
// when the child failed, takes back the parent's own error.
//
// It holds no pointer (see ref).
type seenSpan struct {
	svc     ref
	op      ref
	edge    ref   // the edge that ends at this span; none (yet) when zero
	epoch   int64 // the sub-bucket it was counted in
	durNs   int64
	peer    uint32 // a CLIENT/PRODUCER span without child: the peer it names, 1-based in recentSpans.peerNames
	isErr   bool
	own     bool // counted as an own error (until a failing child shows up)
	kind    ptrace.SpanKind
	matched bool // a child was found
}

// waitLink chains the spans waiting for the same parent.
type waitLink struct {
	span int32 // index in generation.spans
	next int32 // next waiting child of that parent, -1 at the end
}

// generation holds the spans counted during one edge_store.ttl, and those
// of them whose parent was not seen yet. Two generations live at a time, so
// a span is remembered between ttl and 2×ttl.
//
// A batch often holds several spans of a trace one after another (a run):
// a run is indexed once, by trace, and its spans are found by scanning it,
// because a random write per span into a table of 100k slots was most of
// the counting cost in a gateway (its other stages keep evicting the table
// from the caches). A span alone in its batch's run is a run of one, so
// that the trace's other runs of the batch find its slot warm (an agent
// tier sends each service's spans apart: a leaf service's span of a trace
// is often alone). Only the spans of a trace with more runs or spans than
// a scan should cover are indexed by themselves, so that no lookup walks
// far.
type generation struct {
	start  int64
	traces spanindex.Index // trace key -> the trace's latest run in runs
	runs   []spanRun
	single spanindex.Index // span key -> index in spans, for spans in no run
	keys   []uint64        // span key of each span in spans
	spans  []seenSpan
	waits  []waitLink
	parent map[uint64]int32 // parent key -> first waiting child in waits
	bloom  []uint64         // bits of waited-for parent keys: most spans skip the map
	leaves []int32          // CLIENT/PRODUCER spans stored without a child

	open    int32 // the run the last span went to, -1 when that span is in none
	openMix uint64

	maxItems int
}

// spanRun is spans[first:first+n], all of one trace.
type spanRun struct {
	first, n int32
	prev     int32 // the trace's run before this one, -1 for its first
	// The trace's runs and their spans, this run included.
	count, total int32
}

// A trace's spans are scanned while the trace has at most maxRuns runs of
// at most scanMax spans in all; beyond, they are indexed one by one.
const (
	maxRuns = 8
	scanMax = 128
)

const bloomBits = 1 << 16

func newGeneration(maxItems int) *generation {
	return &generation{parent: make(map[uint64]int32), bloom: make([]uint64, bloomBits/64), open: -1, maxItems: maxItems}
}

func (g *generation) reset(start int64) {
	g.start = start
	if g.traces.Cap() > 0 { // the indexes are made on the first span
		g.resetIndexes()
	}
	// No clearing: seenSpan holds no pointer, and append overwrites.
	g.spans, g.keys, g.runs, g.waits, g.leaves = g.spans[:0], g.keys[:0], g.runs[:0], g.waits[:0], g.leaves[:0]
	g.open = -1
	clear(g.parent)
	clear(g.bloom)
}

// resetIndexes sizes the indexes for a full generation: every span may
// be a run of its own.
func (g *generation) resetIndexes() {
	g.traces.Reset(g.maxItems)
	g.single.Reset(g.maxItems)
}

func (g *generation) full() bool { return len(g.spans) >= g.maxItems }

// add remembers a span of the trace keyed mix under key; runLen is the
// length of the span's run in its batch. It returns the span's index, or
// -1 when the generation is full or the key is taken (a repeated span). The
// spans from index batchStart on came in the caller's batch, whose own
// index refused repeats already: they are not scanned for one.
func (g *generation) add(mix, key uint64, runLen, batchStart int32, s seenSpan) int32 {
	if g.full() {
		return -1
	}
	if g.traces.Cap() == 0 {
		// Made on the first span, not up front: a tracker that is only a
		// fallback (the svg exporter's) may never remember one.
		g.resetIndexes()
	}
	g.grow()
	i := int32(len(g.spans))
	if r := g.open; r >= 0 && g.openMix == mix && g.runs[r].first+g.runs[r].n == i && g.runs[r].total < scanMax {
		if g.scan(r, key, batchStart) >= 0 {
			return -1
		}
		g.runs[r].n++ // the run goes on
		g.runs[r].total++
	} else if started, repeat := g.startRun(mix, key, runLen, batchStart, i); repeat {
		return -1
	} else if !started {
		g.open = -1
		if !g.single.Add(key, int(i)) {
			return -1
		}
	}
	g.keys = append(g.keys, key)
	g.spans = append(g.spans, s)
	return i
}

// grow makes room for one more span. The arrays double, up to maxItems,
// so their memory (and what the garbage collector counts as live heap)
// follows the spans a generation holds, and the first fill copies less
// than the spans' size again; append's own growth allocated five times it.
// A reset generation keeps its arrays.
func (g *generation) grow() {
	if len(g.spans) < cap(g.spans) {
		return
	}
	n := min(max(2*cap(g.spans), minGrow), g.maxItems)
	g.spans = append(make([]seenSpan, 0, n), g.spans...)
	g.keys = append(make([]uint64, 0, n), g.keys...)
}

// minGrow is the arrays' first size.
const minGrow = 1024

// startRun opens a run at span i, the first of runLen spans of a trace in
// a batch, chained to the trace's earlier runs. It does not when the trace
// has too many runs or spans to scan (the span is then indexed by itself),
// nor when the span repeats one of the earlier runs. A span indexed by
// itself is not looked for in runs: a repeat comes the way the first copy
// came (an exporter retries whole batches), and a span that first came in
// a run and then by itself is remembered twice.
func (g *generation) startRun(mix, key uint64, runLen, batchStart, i int32) (started, repeat bool) {
	prev := int32(g.traces.Find(mix))
	r := spanRun{first: i, n: 1, prev: prev, count: 1, total: 1}
	if prev >= 0 {
		if g.scan(prev, key, batchStart) >= 0 {
			return false, true
		}
		p := &g.runs[prev]
		if p.count >= maxRuns || p.total+runLen > scanMax {
			return false, false
		}
		r.count, r.total = p.count+1, p.total+1
	} else if runLen > scanMax {
		return false, false
	}
	g.open, g.openMix = int32(len(g.runs)), mix
	g.runs = append(g.runs, r)
	g.traces.Set(mix, int(g.open))
	return true, false
}

// scan looks key up among the spans before index end in run r and the
// trace's runs before it.
func (g *generation) scan(r int32, key uint64, end int32) int32 {
	for ; r >= 0; r = g.runs[r].prev {
		run := g.runs[r]
		if run.first >= end {
			continue
		}
		for j, k := range g.keys[run.first:min(run.first+run.n, end)] {
			if k == key {
				return run.first + int32(j)
			}
		}
	}
	return -1
}

// find returns the remembered span of the trace keyed mix under key, or
// nil. The pointer is valid until the next add, which may move the spans.
func (g *generation) find(mix, key uint64) *seenSpan {
	if len(g.spans) == 0 {
		return nil // also: the indexes may not be made yet
	}
	if r := g.traces.Find(mix); r >= 0 {
		if i := g.scan(int32(r), key, int32(len(g.spans))); i >= 0 {
			return &g.spans[i]
		}
	}
	if g.single.Len() > 0 { // rarely: only spans of very large traces
		if i := g.single.Find(key); i >= 0 {
			return &g.spans[i]
		}
	}
	return nil
}

// wait records that span i waits for the span with key parent.
func (g *generation) wait(parent uint64, i int32) {
	next, ok := g.parent[parent]
	if !ok {
		next = -1
	}
	g.parent[parent] = int32(len(g.waits))
	g.waits = append(g.waits, waitLink{span: i, next: next})
	g.bloom[(parent>>48)/64] |= 1 << ((parent >> 48) % 64)
}

// mayWait is false when no span waits for key (most of the time).
func (g *generation) mayWait(key uint64) bool {
	return len(g.parent) > 0 && g.bloom[(key>>48)/64]&(1<<((key>>48)%64)) != 0
}

// take removes and returns the first waiting child for key, -1 when none.
func (g *generation) take(key uint64) (head int32) {
	head, ok := g.parent[key]
	if !ok {
		return -1
	}
	delete(g.parent, key)
	return head
}

// recentSpans is the edge store: two generations of remembered spans,
// rotated every ttl on the tracker's clock, at most maxItems spans each.
type recentSpans struct {
	ttl       int64
	maxItems  int
	cur       *generation
	prev      *generation
	started   bool
	peers     map[string]uint32 // interned peer names -> index+1 in peerNames
	peerNames []string
}

// maxPeers bounds the interned peer names; beyond, new peers are not
// remembered (their calls are not counted as virtual edges).
const maxPeers = 4096

func newRecentSpans(cfg EdgeStoreConfig) *recentSpans {
	return &recentSpans{
		ttl: int64(cfg.TTL), maxItems: cfg.MaxItems,
		cur: newGeneration(cfg.MaxItems), prev: newGeneration(cfg.MaxItems),
		peers: make(map[string]uint32),
	}
}

// intern returns the number of peer (0 for none, or beyond maxPeers),
// allocating only for a new name.
func (r *recentSpans) intern(peer string) uint32 {
	if peer == "" {
		return 0
	}
	if n, ok := r.peers[peer]; ok {
		return n
	}
	if len(r.peerNames) >= maxPeers {
		return 0
	}
	p := strings.Clone(peer)
	r.peerNames = append(r.peerNames, p)
	r.peers[p] = uint32(len(r.peerNames))
	return uint32(len(r.peerNames))
}

// peerName is the name intern numbered n.
func (r *recentSpans) peerName(n uint32) string { return r.peerNames[n-1] }

func (r *recentSpans) len() int { return len(r.cur.spans) + len(r.prev.spans) }

// waiting counts the remembered spans still waiting for their parent.
func (r *recentSpans) waiting() int { return r.cur.waiting() + r.prev.waiting() }

func (g *generation) waiting() int {
	n := 0
	for _, head := range g.parent {
		for w := head; w >= 0; w = g.waits[w].next {
			n++
		}
	}
	return n
}

// find looks up the span keyed key of the trace keyed mix in both
// generations.
func (r *recentSpans) find(mix, key uint64) *seenSpan {
	if s := r.cur.find(mix, key); s != nil {
		return s
	}
	return r.prev.find(mix, key)
}

// rotate brings the generations up to nowNs: once the current one is ttl
// old it becomes the previous one, and the previous one leaves through
// expire. Every span was added within ttl of its generation's start, so it
// is remembered for at least ttl.
func (r *recentSpans) rotate(nowNs int64, expire func(*generation)) {
	if !r.started {
		r.started = true
		r.cur.start, r.prev.start = nowNs, nowNs
		return
	}
	if nowNs-r.cur.start < r.ttl {
		return
	}
	expire(r.prev)
	r.prev.reset(nowNs)
	r.cur, r.prev = r.prev, r.cur
	if nowNs-r.prev.start >= 2*r.ttl { // the clock jumped: that one is old too
		expire(r.prev)
		r.prev.reset(nowNs)
	}
}

// ref names a series without a pointer: the edge store remembers hundreds
// of thousands of spans, and memory without pointers is memory the garbage
// collector does not scan. A ref whose series was dropped (its key left the
// window) no longer resolves.
type ref struct{ idx, gen uint32 } // idx+1 into refTable.entries; 0 is none

type refEntry struct {
	s   *series
	svc *service // for service series
	gen uint32
}

// refTable maps refs to the live series.
type refTable struct {
	entries []refEntry
	free    []uint32
}

// add gives s (of svc, when it is a service's series) a ref.
func (t *refTable) add(s *series, svc *service) {
	var i uint32
	if n := len(t.free); n > 0 {
		i, t.free = t.free[n-1], t.free[:n-1]
	} else {
		t.entries = append(t.entries, refEntry{})
		i = uint32(len(t.entries) - 1)
	}
	e := &t.entries[i]
	e.s, e.svc = s, svc
	s.ref = ref{idx: i + 1, gen: e.gen}
}

// drop invalidates s's ref.
func (t *refTable) drop(s *series) {
	if s.ref.idx == 0 {
		return
	}
	e := &t.entries[s.ref.idx-1]
	e.s, e.svc = nil, nil
	e.gen++
	t.free = append(t.free, s.ref.idx-1)
	s.ref = ref{}
}

func (t *refTable) entry(r ref) *refEntry {
	if r.idx == 0 {
		return nil
	}
	if e := &t.entries[r.idx-1]; e.gen == r.gen && e.s != nil {
		return e
	}
	return nil
}

// series resolves r, nil when it names no live series.
func (t *refTable) series(r ref) *series {
	if e := t.entry(r); e != nil {
		return e.s
	}
	return nil
}

// service resolves a service's ref, nil when the service left the window.
func (t *refTable) service(r ref) *service {
	if e := t.entry(r); e != nil {
		return e.svc
	}
	return nil
}
