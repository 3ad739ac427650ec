package heat

import (
	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// refreshDivisor bounds how stale cached percentiles may get: they are
// recomputed once the values recorded since the last computation reach
// 1/refreshDivisor of the window's count (or a sub-bucket rotated out).
// Below refreshDivisor values every new value triggers a recomputation, so
// small windows are exact; large ones pay a percentile scan rarely.
const refreshDivisor = 64

// series is one key's sliding window: per sub-bucket counts and histogram,
// plus running window totals and a window histogram kept equal to the sum of
// the sub-bucket histograms. A service's series has no sub-bucket histograms
// (hists is nil): its operations partition its spans, so rotation rebuilds
// the service's window from theirs.
type series struct {
	spans, errors []int64          // per sub-bucket
	own           []int64          // own errors per sub-bucket (IsOwnError)
	hists         []*hdr.Histogram // per sub-bucket, allocated on first use; nil for services
	window        *hdr.Histogram   // sum of the sub-buckets' values
	totalSpans    int64
	totalErrors   int64
	totalOwn      int64
	bucket        bool // the OverflowKey series of its kind: Stats.Overflow
	ref           ref  // how the edge store names it

	// Cached percentiles and the number of values recorded since.
	p50, p90, p99 int64
	sinceCalc     int64

	// Batch memo: stats computed once per batch per key.
	seq     uint64
	statIdx int32

	// Durations recorded since the last fold, all of sub-bucket pendSlot:
	// writing them into the histograms in bursts (see fold) touches each
	// histogram's cache lines once per burst instead of once per span.
	pendDur  [pendCap]int64
	pendW    [pendCap]uint16
	npend    uint8
	pendSlot uint8
}

// pendCap is the burst: at the busy keys' rates a burst fills in well under
// a millisecond, and its memory (about 300 bytes per key) is bounded by the
// key caps.
const pendCap = 32

// histPool recycles histograms of evicted keys and rotated sub-buckets, so a
// steady state allocates none.
type histPool struct {
	cfg  HistogramConfig
	free []*hdr.Histogram
}

const maxFreeHists = 256

func (p *histPool) get() *hdr.Histogram {
	if n := len(p.free); n > 0 {
		h := p.free[n-1]
		p.free = p.free[:n-1]
		return h
	}
	return hdr.New(int64(p.cfg.Lowest), int64(p.cfg.Highest), p.cfg.SignificantFigures)
}

func (p *histPool) put(h *hdr.Histogram) {
	if h == nil || len(p.free) >= maxFreeHists {
		return
	}
	h.Reset()
	p.free = append(p.free, h)
}

func newSeries(buckets int) *series {
	s := newWindowSeries(buckets)
	s.hists = make([]*hdr.Histogram, buckets)
	return s
}

// newWindowSeries is a series without sub-bucket histograms, for services.
func newWindowSeries(buckets int) *series {
	return &series{
		spans:  make([]int64, buckets),
		errors: make([]int64, buckets),
		own:    make([]int64, buckets),
	}
}

// addOwn moves the own-error count of sub-bucket slot by d: +1 for an own
// error, -1 when a late failing child shows it was propagated.
func (s *series) addOwn(slot int, d int64) {
	if s.spans[slot] == 0 || s.own[slot]+d < 0 {
		return
	}
	s.own[slot] += d
	s.totalOwn += d
}

// Latency sampling of busy keys: below 2×sampleFrom spans in its window a
// key records every span's duration; beyond, one span in stride (a power of
// two up to maxStride, so that at least sampleFrom values stay recorded)
// with weight stride. Counts and error counts stay exact; percentiles come
// from a random sample of at least sampleFrom values, each standing for the
// spans it was picked from, which costs a fraction of the histogram writes
// (their cache misses are most of the counting cost at high rates). At 4,096
// values the rank of p99 is off by at most 0.31 percentile points (2σ),
// less than a 60 s window's p99 moves from one minute to the next in the
// load shapes we measured; 8,192 cost 10-20% more counting time.
const (
	sampleFrom = 4096
	maxStride  = 1024
)

// weight picks whether this span's duration is recorded: the weight to
// record it with, 0 to skip it.
// rng is the tracker's xorshift64 state (guarded by its lock).
func (s *series) weight(rng *uint64) int64 {
	stride := int64(1)
	for stride < maxStride && s.totalSpans >= 2*sampleFrom*stride {
		stride <<= 1
	}
	if stride == 1 {
		return 1
	}
	x := *rng
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	*rng = x
	if (x*0x2545F4914F6CDD1D)>>32&uint64(stride-1) != 0 {
		return 0
	}
	return stride
}

// record adds one span of durNs to sub-bucket slot, its duration with weight
// w (0: counted, duration not recorded; see weight). durNs is already
// clamped to the histogram's range.
func (s *series) record(p *histPool, slot int, durNs int64, isErr bool, w int64) {
	s.spans[slot]++
	s.totalSpans++
	if isErr {
		s.errors[slot]++
		s.totalErrors++
	}
	s.sinceCalc++
	if w == 0 {
		return
	}
	if s.npend > 0 && int(s.pendSlot) != slot {
		s.fold(p)
	}
	s.pendDur[s.npend], s.pendW[s.npend], s.pendSlot = durNs, uint16(w), uint8(slot)
	if s.npend++; s.npend == pendCap {
		s.fold(p)
	}
}

// fold writes the pending durations into the window histogram and their
// sub-bucket's. Every reader of the histograms folds first.
func (s *series) fold(p *histPool) {
	if s.npend == 0 {
		return
	}
	if s.window == nil {
		s.window = p.get()
	}
	var h *hdr.Histogram
	if s.hists != nil {
		if h = s.hists[s.pendSlot]; h == nil {
			h = p.get()
			s.hists[s.pendSlot] = h
		}
	}
	for i, d := range s.pendDur[:s.npend] {
		// In range by construction (clamped), so the errors cannot happen.
		_ = s.window.RecordValues(d, int64(s.pendW[i]))
		if h != nil {
			_ = h.RecordValues(d, int64(s.pendW[i]))
		}
	}
	s.npend = 0
}

// expire drops sub-bucket slot from the window and rebuilds the window
// histogram from what is left: for an operation or edge its other
// sub-buckets' histograms, for a service (no sub-bucket histograms) parts,
// its operations' windows after they dropped the slot. Merging a few
// histograms once per rotation allocates nothing; subtracting the expiring
// one went through hdr's Distribution, a bar per bucket.
func (s *series) expire(p *histPool, slot int, parts ...*hdr.Histogram) {
	s.fold(p)
	n := s.spans[slot]
	if n == 0 {
		return
	}
	s.totalSpans -= n
	s.totalErrors -= s.errors[slot]
	s.totalOwn -= s.own[slot]
	s.spans[slot], s.errors[slot], s.own[slot] = 0, 0, 0
	if s.hists != nil {
		p.put(s.hists[slot])
		s.hists[slot] = nil
		parts = s.hists
	}
	if s.window != nil {
		s.window.Reset()
		if s.totalSpans > 0 {
			for _, h := range parts {
				if h != nil {
					s.window.Merge(h)
				}
			}
		}
	}
	s.sinceCalc = s.window.TotalCount() + 1 // force a recomputation
}

// release returns every histogram to the pool; the series is dropped.
func (s *series) release(p *histPool) {
	s.npend = 0
	for i, h := range s.hists {
		p.put(h)
		s.hists[i] = nil
	}
	p.put(s.window)
	s.window = nil
}

// stats computes the window's view, recomputing percentiles only when
// enough has changed since the last time (see refreshDivisor).
func (s *series) stats(p *histPool) Stats {
	st := Stats{Spans: s.totalSpans, Errors: s.totalErrors, OwnErrors: s.totalOwn, Overflow: s.bucket}
	if s.totalSpans == 0 {
		return st
	}
	st.ErrorRate = float64(s.totalErrors) / float64(s.totalSpans)
	st.OwnErrorRate = float64(s.totalOwn) / float64(s.totalSpans)
	if s.sinceCalc > 0 && s.sinceCalc*refreshDivisor >= s.totalSpans {
		s.fold(p)
		s.p50 = s.window.ValueAtQuantile(50)
		s.p90 = s.window.ValueAtQuantile(90)
		s.p99 = s.window.ValueAtQuantile(99)
		s.sinceCalc = 0
	}
	st.P50Ms = float64(s.p50) / 1e6
	st.P90Ms = float64(s.p90) / 1e6
	st.P99Ms = float64(s.p99) / 1e6
	return st
}
