package sugiyama

import (
	"cmp"
	"math"
	"slices"
	"sort"
)

// Crossings counts the edge crossings of a layered drawing the way
// crossing reduction sees them: between every two neighbouring layers, two
// edges cross when their left-to-right order swaps strictly (edges sharing
// an end point do not cross). An edge is at its node's X on the node's own
// layer and, on every layer in between, where its route passes that
// layer's y (r.LayerY, else the y of the layer's nodes). Self loops and
// edges within one layer are not counted. It works for any Result with
// layers, so drawings by other tools can be measured the same way.
func Crossings(g Graph, r Result) int {
	n := min(len(g.Nodes), len(r.Nodes))
	// Known layers and their y.
	ys := map[int]float64{}
	for l, y := range r.LayerY {
		ys[l] = y
	}
	for v := 0; v < n; v++ {
		if _, ok := ys[r.Nodes[v].Layer]; !ok {
			ys[r.Nodes[v].Layer] = r.Nodes[v].Y
		}
	}
	known := make([]int, 0, len(ys))
	for l := range ys {
		known = append(known, l)
	}
	slices.Sort(known)
	index := make(map[int]int, len(known))
	for i, l := range known {
		index[l] = i
	}
	// Per gap between known layers i and i+1: the edges' x at both ends.
	type fseg struct{ top, bot float64 }
	gaps := make([][]fseg, len(known))
	var xs []float64
	for i, e := range g.Edges {
		if e.From < 0 || e.From >= n || e.To < 0 || e.To >= n {
			continue
		}
		a, b := r.Nodes[e.From], r.Nodes[e.To]
		if a.Layer == b.Layer {
			continue
		}
		if a.Layer > b.Layer {
			a, b = b, a
		}
		var pts []Point
		if i < len(r.Edges) {
			pts = r.Edges[i].Points
		}
		lo, hi := index[a.Layer], index[b.Layer]
		xs = append(xs[:0], a.X)
		for k := lo + 1; k < hi; k++ {
			y := ys[known[k]]
			x, ok := crossAt(pts, y)
			if !ok { // no route there: straight between the centres
				t := (y - a.Y) / (b.Y - a.Y)
				x = a.X + t*(b.X-a.X)
			}
			xs = append(xs, x)
		}
		xs = append(xs, b.X)
		for k, x := range xs {
			if math.IsNaN(x) { // only a malformed Result gets here
				xs[k] = 0
			}
		}
		for k := lo; k < hi; k++ {
			gaps[k] = append(gaps[k], fseg{xs[k-lo], xs[k-lo+1]})
		}
	}
	total := 0
	var segs []seg
	var tree, ranks []int
	for _, fs := range gaps {
		if len(fs) < 2 {
			continue
		}
		slices.SortFunc(fs, func(p, q fseg) int {
			if c := cmp.Compare(p.top, q.top); c != 0 {
				return c
			}
			return cmp.Compare(p.bot, q.bot)
		})
		// Equal x means a shared end: give equal values equal ranks.
		bots := make([]float64, len(fs))
		for i, f := range fs {
			bots[i] = f.bot
		}
		slices.Sort(bots)
		bots = slices.Compact(bots)
		ranks = ranks[:0]
		segs = segs[:0]
		topRank := 0
		for i, f := range fs {
			if i > 0 && f.top != fs[i-1].top {
				topRank++
			}
			segs = append(segs, seg{topRank, sort.SearchFloat64s(bots, f.bot)})
		}
		total += countCrossings(segs, len(bots), &tree)
	}
	return total
}

// crossAt is the x where the polyline pts passes height y.
func crossAt(pts []Point, y float64) (float64, bool) {
	for i := 1; i < len(pts); i++ {
		p, q := pts[i-1], pts[i]
		if (p.Y <= y && y <= q.Y) || (q.Y <= y && y <= p.Y) {
			if p.Y == q.Y {
				return (p.X + q.X) / 2, true
			}
			return p.X + (y-p.Y)/(q.Y-p.Y)*(q.X-p.X), true
		}
	}
	return 0, false
}

// Overlaps counts the pairs of node boxes that overlap (touching is fine;
// a tolerance of 1e-6 absorbs rounding).
func Overlaps(g Graph, r Result) int {
	n := min(len(g.Nodes), len(r.Nodes))
	type box struct{ x0, x1, y0, y1 float64 }
	boxes := make([]box, 0, n)
	for v := 0; v < n; v++ {
		w, h := cleanSize(g.Nodes[v].W), cleanSize(g.Nodes[v].H)
		p := r.Nodes[v]
		if w == 0 || h == 0 || math.IsNaN(p.X) || math.IsNaN(p.Y) {
			continue // no area, overlaps nothing
		}
		boxes = append(boxes, box{p.X - w/2, p.X + w/2, p.Y - h/2, p.Y + h/2})
	}
	slices.SortFunc(boxes, func(a, b box) int { return cmp.Compare(a.y0, b.y0) })
	const eps = 1e-6
	count := 0
	var active []box // boxes still reaching below the current top
	for _, b := range boxes {
		keep := active[:0]
		for _, a := range active {
			if a.y1 > b.y0+eps {
				keep = append(keep, a)
			}
		}
		active = keep
		for _, a := range active {
			if a.x0 < b.x1-eps && b.x0 < a.x1-eps {
				count++
			}
		}
		active = append(active, b)
	}
	return count
}

// EdgesThroughNodes counts the edges whose route passes through the box of
// a node other than its own two ends (touching a border is fine; 0.5 units
// of tolerance absorb rounding and sampled curves). Like Crossings it
// works for any Result, so other tools' drawings are measured the same way.
func EdgesThroughNodes(g Graph, r Result) int {
	n := min(len(g.Nodes), len(r.Nodes))
	type box struct {
		x0, x1, y0, y1 float64
		v              int
	}
	const tol = 0.5
	boxes := make([]box, 0, n)
	maxW := 0.0
	for v := 0; v < n; v++ {
		w, h := cleanSize(g.Nodes[v].W), cleanSize(g.Nodes[v].H)
		p := r.Nodes[v]
		if w <= 2*tol || h <= 2*tol || math.IsNaN(p.X) || math.IsNaN(p.Y) {
			continue
		}
		boxes = append(boxes, box{p.X - w/2 + tol, p.X + w/2 - tol, p.Y - h/2 + tol, p.Y + h/2 - tol, v})
		maxW = max(maxW, w)
	}
	slices.SortFunc(boxes, func(a, b box) int { return cmp.Compare(a.x0, b.x0) })
	// hits reports whether segment p-q enters the open box b (Liang-Barsky).
	hits := func(p, q Point, b box) bool {
		t0, t1 := 0.0, 1.0
		dx, dy := q.X-p.X, q.Y-p.Y
		for _, c := range [4][2]float64{{-dx, p.X - b.x0}, {dx, b.x1 - p.X}, {-dy, p.Y - b.y0}, {dy, b.y1 - p.Y}} {
			if c[0] == 0 {
				if c[1] <= 0 {
					return false
				}
				continue
			}
			t := c[1] / c[0]
			if c[0] < 0 {
				t0 = max(t0, t)
			} else {
				t1 = min(t1, t)
			}
		}
		return t0 < t1
	}
	count := 0
	for i, e := range g.Edges {
		if i >= len(r.Edges) || e.From < 0 || e.From >= n || e.To < 0 || e.To >= n {
			continue
		}
		pts := r.Edges[i].Points
		through := false
		for k := 1; k < len(pts) && !through; k++ {
			p, q := pts[k-1], pts[k]
			lo, hi := min(p.X, q.X), max(p.X, q.X)
			j := sort.Search(len(boxes), func(j int) bool { return boxes[j].x0 >= lo-maxW })
			for ; j < len(boxes) && boxes[j].x0 < hi; j++ {
				b := boxes[j]
				if b.v != e.From && b.v != e.To && b.x1 > lo && hits(p, q, b) {
					through = true
					break
				}
			}
		}
		if through {
			count++
		}
	}
	return count
}
