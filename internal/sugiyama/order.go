package sugiyama

import (
	"math/rand/v2"
	"slices"
	"sort"
)

// layered is one connected component after layer assignment, with a dummy
// node on every layer a long edge crosses, so every edge joins neighbouring
// layers. Real nodes come first (0..real-1), dummies after them.
type layered struct {
	real   int
	layer  []int
	up     [][]int // neighbours one layer up
	down   [][]int // neighbours one layer down
	layers [][]int // left-to-right order of each layer
	pos    []int   // index of each node in its layer
	width  []float64
	// Sorted neighbour positions of the nodes of the layer being
	// reordered (see sortNeighbours).
	upPos, downPos [][]int
}

func (g *layered) size() int        { return len(g.layer) }
func (g *layered) dummy(v int) bool { return v >= g.real }

// seg is an edge between two neighbouring layers by its end positions.
type seg struct{ top, bot int }

// countCrossings counts the pairs of segments that cross strictly (segments
// sharing an end do not cross) with an accumulator tree over the bottom
// positions (Barth, Jünger, Mutzel). segs must be sorted by top; bot values
// lie in [0, nBot).
func countCrossings(segs []seg, nBot int, scratch *[]int) int {
	size := 1
	for size < nBot {
		size *= 2
	}
	if cap(*scratch) < 2*size {
		*scratch = make([]int, 2*size)
	}
	tree := (*scratch)[:2*size]
	clear(tree)
	total := 0
	for i := 0; i < len(segs); {
		j := i
		for j < len(segs) && segs[j].top == segs[i].top {
			// Inserted so far: segments with a smaller top. Count those
			// ending strictly right of this one.
			k := segs[j].bot + size
			for k > 1 {
				if k%2 == 0 {
					total += tree[k+1]
				}
				k /= 2
			}
			j++
		}
		for ; i < j; i++ {
			for k := segs[i].bot + size; k >= 1; k /= 2 {
				tree[k]++
			}
		}
	}
	return total
}

// orderer holds scratch space for crossing reduction.
type orderer struct {
	g    *layered
	segs []seg
	tree []int
	med  []float64
	nbuf []int
	// sortLayer's scratch
	movable, sorted, old []int
}

func (o *orderer) between(l int) int {
	g := o.g
	o.segs = o.segs[:0]
	for _, u := range g.layers[l] {
		for _, v := range g.down[u] {
			o.segs = append(o.segs, seg{g.pos[u], g.pos[v]})
		}
	}
	return countCrossings(o.segs, len(g.layers[l+1]), &o.tree)
}

func (o *orderer) total() int {
	c := 0
	for l := 0; l+1 < len(o.g.layers); l++ {
		c += o.between(l)
	}
	return c
}

// initOrder fills the layers breadth first from the top (or the bottom),
// which places the nodes of a subtree next to each other.
func (g *layered) initOrder(fromTop bool) {
	for l := range g.layers {
		g.layers[l] = g.layers[l][:0]
	}
	n := g.size()
	seen := make([]bool, n)
	next := g.down
	if !fromTop {
		next = g.up
	}
	starts := make([]int, n)
	for v := range starts {
		starts[v] = v
	}
	// Start from the top (bottom) layer's nodes, then any node left.
	sort.SliceStable(starts, func(i, j int) bool {
		li, lj := g.layer[starts[i]], g.layer[starts[j]]
		if !fromTop {
			li, lj = -li, -lj
		}
		return li < lj
	})
	queue := make([]int, 0, n)
	for _, s := range starts {
		if seen[s] {
			continue
		}
		seen[s] = true
		queue = append(queue[:0], s)
		for k := 0; k < len(queue); k++ {
			v := queue[k]
			g.layers[g.layer[v]] = append(g.layers[g.layer[v]], v)
			for _, u := range next[v] {
				if !seen[u] {
					seen[u] = true
					queue = append(queue, u)
				}
			}
		}
	}
	g.renumber()
}

func (g *layered) renumber() {
	for _, layer := range g.layers {
		for i, v := range layer {
			g.pos[v] = i
		}
	}
}

// median is the weighted median position of v's neighbours in nbrs
// (Gansner et al.), or -1 when it has none.
func (o *orderer) median(v int, nbrs [][]int) float64 {
	p := o.nbuf[:0]
	for _, u := range nbrs[v] {
		p = append(p, o.g.pos[u])
	}
	o.nbuf = p
	m := len(p)
	switch m {
	case 0:
		return -1
	case 1:
		return float64(p[0])
	case 2:
		return float64(p[0]+p[1]) / 2
	}
	slices.Sort(p)
	if m%2 == 1 {
		return float64(p[m/2])
	}
	left := float64(p[m/2-1] - p[0])
	right := float64(p[m-1] - p[m/2])
	if left+right == 0 {
		return float64(p[m/2-1]+p[m/2]) / 2
	}
	return (float64(p[m/2-1])*right + float64(p[m/2])*left) / (left + right)
}

// sortLayer reorders layer l by the medians of its neighbours in nbrs;
// nodes without neighbours keep their place. reverse flips ties.
func (o *orderer) sortLayer(l int, nbrs [][]int, reverse bool) {
	g := o.g
	layer := g.layers[l]
	if len(layer) < 2 {
		return
	}
	med := o.med[:0]
	movable := o.movable[:0]
	for i, v := range layer {
		med = append(med, o.median(v, nbrs))
		if med[i] >= 0 {
			movable = append(movable, i)
		}
	}
	o.med, o.movable = med, movable
	sorted := append(o.sorted[:0], movable...)
	o.sorted = sorted
	slices.SortFunc(sorted, func(a, b int) int {
		switch {
		case med[a] < med[b]:
			return -1
		case med[a] > med[b]:
			return 1
		case reverse:
			return b - a
		}
		return a - b
	})
	old := append(o.old[:0], layer...)
	o.old = old
	for k, i := range movable {
		layer[i] = old[sorted[k]]
	}
	for i, v := range layer {
		g.pos[v] = i
	}
}

// sortNeighbours records, for every node of layer l, the sorted positions
// of its neighbours; they stay valid while only layer l changes.
func (g *layered) sortNeighbours(l int) {
	if g.upPos == nil {
		// Every list gets its exact capacity in one shared array.
		n := g.size()
		g.upPos, g.downPos = make([][]int, n), make([][]int, n)
		deg := 0
		for v := range n {
			deg += len(g.up[v]) + len(g.down[v])
		}
		buf := make([]int, deg)
		for v := range n {
			k := len(g.up[v])
			g.upPos[v], buf = buf[:0:k], buf[k:]
			k = len(g.down[v])
			g.downPos[v], buf = buf[:0:k], buf[k:]
		}
	}
	for _, v := range g.layers[l] {
		g.upPos[v] = positions(g.upPos[v][:0], g.up[v], g.pos)
		g.downPos[v] = positions(g.downPos[v][:0], g.down[v], g.pos)
	}
}

func positions(dst, nodes, pos []int) []int {
	for _, u := range nodes {
		dst = append(dst, pos[u])
	}
	switch len(dst) {
	case 0, 1:
	case 2:
		if dst[0] > dst[1] {
			dst[0], dst[1] = dst[1], dst[0]
		}
	default:
		slices.Sort(dst)
	}
	return dst
}

// pairCross counts the crossings among the edges of v and w (neighbours in
// a layer prepared by sortNeighbours) with v left of w (vw) and with w
// left of v (wv).
func (g *layered) pairCross(v, w int) (vw, wv int) {
	a, b := crossCount(g.upPos[v], g.upPos[w])
	c, d := crossCount(g.downPos[v], g.downPos[w])
	return a + c, b + d
}

// crossCount counts, for sorted end positions a (left node) and b (right
// node), the pairs with a > b, which cross, and a < b, which would cross
// if the nodes swapped.
func crossCount(a, b []int) (vw, wv int) {
	lt, le := 0, 0 // elements of a below x, and up to x
	for _, x := range b {
		for lt < len(a) && a[lt] < x {
			lt++
		}
		le = max(le, lt)
		for le < len(a) && a[le] <= x {
			le++
		}
		wv += lt
		vw += len(a) - le
	}
	return vw, wv
}

// transpose swaps neighbours in a layer while that removes crossings
// (with reverse, also when it keeps them equal, to leave plateaus).
func (g *layered) transpose(reverse bool) {
	candidate := make([]bool, len(g.layers))
	for l := range candidate {
		candidate[l] = true
	}
	for round := 0; round < maxTranspose; round++ {
		delta := 0
		for l, layer := range g.layers {
			if !candidate[l] {
				continue
			}
			candidate[l] = false
			g.sortNeighbours(l)
			for i := 0; i+1 < len(layer); i++ {
				v, w := layer[i], layer[i+1]
				c0, c1 := g.pairCross(v, w)
				if c1 < c0 || (c0 > 0 && reverse && c1 == c0) {
					layer[i], layer[i+1] = w, v
					g.pos[v], g.pos[w] = i+1, i
					delta += c0 - c1
					candidate[l] = true
					if l > 0 {
						candidate[l-1] = true
					}
					if l+1 < len(g.layers) {
						candidate[l+1] = true
					}
				}
			}
		}
		if delta < 1 {
			return
		}
	}
}

// effort is how hard crossing reduction tries. Small drawings get many
// sweeps and random restarts (they cost microseconds and small graphs are
// where a bad local optimum shows); large ones converge with few sweeps.
// Tuned on the graphs of cmd/layoutbench.
type effort struct {
	initSweeps int // sweeps from each initial order
	stale      int // sweeps without improvement before giving up
	passes     int // sweeps from the best start at most
	sift       int // sifting rounds at the end at most
	restarts   int // random restarts
}

const (
	smallGraph   = 64 // a drawing this size or smaller counts as small
	maxRestarts  = 8
	maxTranspose = 4 // transposition rounds per call
	maxSiftCost  = 20_000_000
)

func effortFor(nodes, passes int) effort {
	if nodes <= smallGraph {
		return effort{initSweeps: 4, stale: 4, passes: passes, sift: 3, restarts: min(maxRestarts, 2*smallGraph/max(nodes, 1))}
	}
	// Like dot's mincross: four sweeps from each start, then up to
	// passes from the best, stopping after eight without improvement.
	return effort{initSweeps: 4, stale: 8, passes: passes, sift: 2}
}

// reduceCrossings orders every layer. Median sweeps from two breadth-first
// orders (and, on small graphs, from random orders followed by sifting)
// pick a start; more sweeps continue from the best ordering until they
// stop improving. All of that runs twice: with the median sort's ties
// broken the way transposition breaks them in that sweep, and the other
// way (dot breaks them the other way; which is better depends on the
// graph, and the two runs end in different local optima). Transposition
// and sifting finish. The best ordering seen is kept; it returns its
// crossings.
func (g *layered) reduceCrossings(passes int) int {
	eff := effortFor(g.size(), passes)
	o := &orderer{g: g}
	best := make([][]int, len(g.layers))
	bestC := -1
	save := func(c int) {
		for l, layer := range g.layers {
			best[l] = append(best[l][:0], layer...)
		}
		bestC = c
	}
	load := func() {
		for l := range g.layers {
			g.layers[l] = append(g.layers[l][:0], best[l]...)
		}
		g.renumber()
	}
	keepIfBetter := func() {
		if c := o.total(); bestC < 0 || c < bestC {
			save(c)
		}
	}
	sweep := func(n int, flipTies bool) {
		for it, stale := 0, 0; it < n && bestC > 0 && stale < eff.stale; it++ {
			reverse := it%4 >= 2
			if it%2 == 0 {
				for l := 1; l < len(g.layers); l++ {
					o.sortLayer(l, g.up, reverse != flipTies)
				}
			} else {
				for l := len(g.layers) - 2; l >= 0; l-- {
					o.sortLayer(l, g.down, reverse != flipTies)
				}
			}
			g.transpose(reverse)
			if c := o.total(); c < bestC {
				save(c)
				stale = 0
			} else {
				stale++
			}
		}
	}
	// A sifting round costs the sum of the squared layer widths; skip it
	// on drawings where that explodes (dense graphs with long edges).
	width := make([]int, len(g.layers))
	for _, l := range g.layer {
		width[l]++
	}
	siftCost := 0
	for _, w := range width {
		siftCost += w * w
	}
	siftAll := func() {
		for round := 0; round < eff.sift && siftCost <= maxSiftCost && g.sift(); round++ {
		}
	}
	rng := rand.New(rand.NewPCG(1, uint64(g.size())))
	for _, flipTies := range []bool{false, true} {
		for _, fromTop := range []bool{true, false} {
			g.initOrder(fromTop)
			keepIfBetter()
			sweep(min(eff.initSweeps, eff.passes), flipTies)
		}
		for k := 0; k < eff.restarts && bestC > 0; k++ {
			for _, layer := range g.layers {
				rng.Shuffle(len(layer), func(i, j int) { layer[i], layer[j] = layer[j], layer[i] })
			}
			g.renumber()
			keepIfBetter()
			sweep(min(eff.initSweeps, eff.passes), flipTies)
			siftAll()
			keepIfBetter()
		}
		load()
		sweep(eff.passes, flipTies)
	}
	load()
	g.transpose(false)
	siftAll()
	return o.total()
}

// sift moves every node, one at a time, to the place in its layer where
// its edges cross the fewest others (both neighbouring layers counted),
// after Matuszewski, Schönfeld and Molitor. It reports whether anything
// moved. Crossings never increase.
func (g *layered) sift() bool {
	moved := false
	var others []int
	for l, layer := range g.layers {
		if len(layer) < 2 {
			continue
		}
		g.sortNeighbours(l)
		order := slices.Clone(layer)
		for _, v := range order {
			others = others[:0]
			for _, w := range layer {
				if w != v {
					others = append(others, w)
				}
			}
			// Cost of each slot relative to slot 0 (v leftmost).
			cur := g.pos[v]
			bestK, bestD, d := 0, 0, 0
			curD := 0
			for k, w := range others {
				vw, wv := g.pairCross(v, w)
				d += wv - vw // v moves from left of w to right of w
				if k+1 == cur {
					curD = d
				}
				if d < bestD {
					bestK, bestD = k+1, d
				}
			}
			if bestD >= curD {
				continue
			}
			moved = true
			copy(layer, others[:bestK])
			layer[bestK] = v
			copy(layer[bestK+1:], others[bestK:])
			for i, x := range layer {
				g.pos[x] = i
			}
		}
	}
	return moved
}
