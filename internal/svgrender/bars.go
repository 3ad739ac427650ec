package svgrender

import (
	"math"
	"slices"

	"github.com/tracemap/tracemap/internal/spantree"
)

// bar is one drawn rectangle of a row, in pixels from the start of the time
// axis. A bar of a merged row stands for every span whose start falls in it.
type bar struct {
	x0, x1   float64
	errs     int
	busyNs   int64 // summed durations of the spans in the bar
	critical bool
	skewed   bool
}

// busy is the share of the bar's time its spans take (1 when they overlap
// or the trace has no duration): merged rows shade bars by it, so a row of
// short calls spread over a long stretch reads lighter than a busy one.
func (b bar) busy(ts timeScale) float64 {
	w := b.x1 - b.x0
	if ts.pxPerNs == 0 || w <= 0 {
		return 1
	}
	return min(1, float64(b.busyNs)*ts.pxPerNs/w)
}

// timeScale maps trace time to pixels of the bar area. Long idle gaps
// (stretches of the trace in which only the root spans run) are cut out:
// each is drawn as an axis break breakPx wide, and the rest of the trace
// shares the width at one scale, pxPerNs, so short spans stay visible.
type timeScale struct {
	width   float64 // pixels
	pxPerNs float64
	gaps    []gap // in time order
}

// gap is an idle stretch [from, to) of trace time, drawn breakPx wide
// starting at x.
type gap struct {
	from, to int64
	x        float64
}

// Idle gaps are cut when each is at least minGapShare of the trace and
// together at least minIdleShare of it: only where the busy part would
// otherwise get less than half the axis.
const (
	breakPx      = 28
	minGapShare  = 0.1
	minIdleShare = 0.5
)

func newTimeScale(t *spantree.Tree, width float64) timeScale {
	ts := timeScale{width: width}
	if t.Duration <= 0 {
		return ts
	}
	ts.gaps = idleGaps(t)
	busy := t.Duration
	for _, g := range ts.gaps {
		busy -= g.to - g.from
	}
	room := width - float64(len(ts.gaps))*breakPx
	if busy <= 0 || room < width/2 {
		ts.gaps = nil
		busy, room = t.Duration, width
	}
	ts.pxPerNs = room / float64(busy)
	for k := range ts.gaps {
		ts.gaps[k].x = ts.x(ts.gaps[k].from)
	}
	return ts
}

// idleGaps finds the stretches covered by no span below the roots, on a
// grid of gapGrid cells over the trace (one pass, no sort, whatever the
// span count): a cell is idle when no such span touches it, so a cut never
// hides busy time; gaps are found to a cell's precision.
func idleGaps(t *spantree.Tree) []gap {
	cover := make([]int32, gapGrid+1)
	scale := gapGrid / float64(t.Duration) // cells per nanosecond
	any := false
	for i := range t.Spans {
		s := &t.Spans[i]
		if s.Parent < 0 {
			continue
		}
		// The cells the span touches: [a, b), rounded outwards.
		x0, x1 := float64(s.Offset)*scale, float64(s.Offset+max(s.End-s.Start, 0))*scale
		a, b := 0, gapGrid
		if x0 > 0 {
			a = min(int(x0), gapGrid-1)
		}
		if x1 < gapGrid {
			b = int(x1)
			if float64(b) < x1 {
				b++
			}
			b = max(b, a+1)
		}
		cover[a]++
		cover[b]--
		any = true
	}
	if !any {
		return nil
	}
	d := t.Duration
	minCells := int(math.Ceil(minGapShare * gapGrid))
	var gaps []gap
	idle, sum, run := 0, int32(0), 0
	flush := func(end int) {
		if run >= minCells {
			gaps = append(gaps, gap{from: int64(float64(end-run) / gapGrid * float64(d)), to: int64(float64(end) / gapGrid * float64(d))})
			idle += run
		}
		run = 0
	}
	for k := 0; k < gapGrid; k++ {
		if sum += cover[k]; sum > 0 {
			flush(k)
		} else {
			run++
		}
	}
	flush(gapGrid)
	if float64(idle) < minIdleShare*gapGrid {
		return nil
	}
	return gaps
}

// gapGrid is the resolution of idle-gap detection, in cells per trace.
const gapGrid = 4096

// x maps an offset from the trace start to pixels: time inside a gap
// lands proportionally inside its break.
func (ts timeScale) x(off int64) float64 {
	x, prev := 0.0, int64(0)
	for _, g := range ts.gaps {
		if off < g.from {
			break
		}
		x += float64(g.from-prev) * ts.pxPerNs
		if off < g.to {
			return x + breakPx*float64(off-g.from)/float64(g.to-g.from)
		}
		x += breakPx
		prev = g.to
	}
	return x + float64(off-prev)*ts.pxPerNs
}

// extent is where a span lies, clamped into the axis (a tree whose offsets
// disagree with its duration still draws inside the picture).
func (ts timeScale) extent(s *spantree.Span) (x0, x1 float64) {
	d := s.End - s.Start
	if d < 0 {
		d = 0
	}
	if len(ts.gaps) == 0 {
		x0 = clamp(float64(s.Offset)*ts.pxPerNs, 0, ts.width)
		x1 = clamp(x0+float64(d)*ts.pxPerNs, x0, ts.width)
		return x0, x1
	}
	x0 = clamp(ts.x(s.Offset), 0, ts.width)
	x1 = clamp(ts.x(s.Offset+d), x0, ts.width)
	return x0, x1
}

func clamp(v, lo, hi float64) float64 {
	if !(v >= lo) { // also NaN
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// marks are what a merged row draws besides its bars: ticks at the bins
// holding failed spans, and the stretches covered by spans on the critical
// path (underlined, like a single critical span's bar).
type marks struct {
	errAt []float64    // x of each bin with a failed span
	crit  [][2]float64 // x ranges covered by critical spans
}

// rowBars computes the bars and marks of every row. A row of one span gets
// its exact bar. Merged rows are binned: the axis is cut into bins of binPx
// pixels and each maximal run of covered bins is one bar, so a row never has
// more bars than half its bins. binPx starts at one pixel (spans narrower
// than a pixel share a bar) and doubles until the bars and marks of all rows
// fit the budget.
func rowBars(t *spantree.Tree, rows []row, ts timeScale, budget int) (bars [][]bar, mk []marks, binPx int) {
	bars = make([][]bar, len(rows))
	mk = make([]marks, len(rows))
	for binPx = 1; ; binPx *= 2 {
		bins := int(math.Ceil(ts.width/float64(binPx))) + 1
		sc := binScratch{cover: make([]int32, bins+1), crit: make([]int32, bins+1), runOf: make([]int32, bins+1), marked: make([]bool, bins+1)}
		total := 0
		for i, r := range rows {
			mk[i].errAt, mk[i].crit = mk[i].errAt[:0], mk[i].crit[:0]
			if len(r.members) == 1 && !r.overflow {
				bars[i] = append(bars[i][:0], spanBar(t, r.members[0], ts))
			} else {
				bars[i] = binRow(t, r.members, ts, binPx, &sc, bars[i][:0], &mk[i])
			}
			total += len(bars[i]) + len(mk[i].errAt) + len(mk[i].crit)
		}
		if total <= budget || float64(binPx) >= ts.width {
			return bars, mk, binPx
		}
	}
}

func spanBar(t *spantree.Tree, i int32, ts timeScale) bar {
	s := &t.Spans[i]
	x0, x1 := ts.extent(s)
	b := bar{x0: x0, x1: x1, busyNs: max(s.End-s.Start, 0), critical: s.Critical, skewed: s.Skew != 0}
	if s.Error {
		b.errs = 1
	}
	return b
}

// binScratch is binRow's working space, one entry per bin (+1), left
// cleared for the next row.
type binScratch struct {
	cover  []int32 // difference array, then coverage
	crit   []int32 // the same for critical spans
	runOf  []int32 // bin -> index of its bar
	marked []bool  // bin already has an error mark
}

// binRow bins the spans of a merged row.
func binRow(t *spantree.Tree, members []int32, ts timeScale, binPx int, sc *binScratch, dst []bar, mk *marks) []bar {
	bp := float64(binPx)
	cover, runOf := sc.cover, sc.runOf
	last := len(cover) - 1
	binsOf := func(s *spantree.Span) (int, int) {
		x0, x1 := ts.extent(s)
		b0 := int(x0 / bp)
		b1 := int(math.Ceil(x1 / bp))
		if b1 <= b0 {
			b1 = b0 + 1
		}
		return min(b0, last-1), min(b1, last)
	}
	// Difference array: cover[b] > 0 after the prefix sum means bin b is covered.
	for _, m := range members {
		b0, b1 := binsOf(&t.Spans[m])
		cover[b0]++
		cover[b1]--
	}
	first := len(dst)
	var sum int32
	open := false
	for b := 0; b < last; b++ {
		sum += cover[b]
		cover[b] = 0
		if sum <= 0 {
			open = false
			continue
		}
		if !open {
			dst = append(dst, bar{x0: float64(b) * bp})
			open = true
		}
		dst[len(dst)-1].x1 = float64(b+1) * bp
		runOf[b] = int32(len(dst) - 1)
	}
	cover[last] = 0
	anyCrit := false
	for _, m := range members {
		s := &t.Spans[m]
		b0, b1 := binsOf(s)
		r := &dst[runOf[b0]]
		r.busyNs += max(s.End-s.Start, 0)
		if s.Error {
			r.errs++
			if !sc.marked[b0] {
				sc.marked[b0] = true
				mk.errAt = append(mk.errAt, float64(b0)*bp)
			}
		}
		if s.Critical {
			r.critical, anyCrit = true, true
			sc.crit[b0]++
			sc.crit[b1]--
		}
		r.skewed = r.skewed || s.Skew != 0
	}
	for i := first; i < len(dst); i++ {
		dst[i].x1 = min(dst[i].x1, ts.width)
	}
	for _, x := range mk.errAt {
		sc.marked[int(x/bp)] = false
	}
	slices.Sort(mk.errAt)
	if anyCrit {
		sum, open := int32(0), false
		for b := 0; b <= last; b++ {
			sum += sc.crit[b]
			sc.crit[b] = 0
			switch {
			case sum > 0 && !open:
				mk.crit = append(mk.crit, [2]float64{float64(b) * bp, 0})
				open = true
			case sum <= 0 && open:
				mk.crit[len(mk.crit)-1][1] = min(float64(b)*bp, ts.width)
				open = false
			}
		}
	}
	return dst
}
