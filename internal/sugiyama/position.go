package sugiyama

import (
	"math"
	"slices"
)

// Horizontal coordinates after Brandes and Köpf ("Fast and simple
// horizontal coordinate assignment", 2001): four layouts, each aligning
// nodes with a median neighbour into vertical blocks (up or down, leftmost
// or rightmost median first) and packing the blocks, then the average of
// the two median candidates per node. Segments between two dummies win
// conflicts, so long edges run straight. Blocks are packed by a longest
// path over the block order, which keeps every layer's order and spacing.

// sep is the least distance between the centres of neighbours a and b.
func (g *layered) sep(a, b int, gap float64) float64 {
	if g.dummy(a) && g.dummy(b) {
		gap /= 2
	}
	return (g.width[a]+g.width[b])/2 + gap
}

// placer is the state of coordinate assignment. The up and down lists are
// sorted by position; the edge from upper u to lower v is number
// upOff[v]+i, where i is u's index in up[v], and downOff[u]+j, where j is
// v's index in down[u]. marked is indexed by the first number, downEdge
// maps the second to it.
type placer struct {
	g        *layered
	gap      float64
	upOff    []int
	downOff  []int
	downEdge []int
	marked   []bool
	// align's scratch, reused by its four runs
	root, next, start, indeg, fill, queue []int
	cons                                  []con
	x                                     []float64
}

// con asks block to to stay at least sep right of the block it belongs to.
type con struct {
	to  int
	sep float64
}

// blockConstraints makes, for every two neighbours a, b of a layer (read
// from the right when mirrored), the constraint that block[b] stays
// g.sep(a, b) right of block[a] (a block is named by a node, block[v] the
// block of v), grouped by the left block: cons[start[k]:start[k+1]] are
// block k's (counted, then filled); indeg counts the constraints into each
// block. start (n+1), fill and indeg (n) must be zero; take makes cons.
func (g *layered) blockConstraints(block []int, mirrored bool, gap float64, start, fill, indeg []int, take func(int) []con) []con {
	at := func(layer []int, i int) int {
		if mirrored {
			return layer[len(layer)-1-i]
		}
		return layer[i]
	}
	for _, layer := range g.layers {
		for i := 1; i < len(layer); i++ {
			start[block[at(layer, i-1)]+1]++
		}
	}
	n := len(block)
	for v := range n {
		start[v+1] += start[v]
	}
	cons := take(start[n])
	copy(fill, start[:n])
	for _, layer := range g.layers {
		for i := 1; i < len(layer); i++ {
			a, b := at(layer, i-1), at(layer, i)
			cons[fill[block[a]]] = con{block[b], g.sep(a, b, gap)}
			fill[block[a]]++
			indeg[block[b]]++
		}
	}
	return cons
}

// packRight moves every block right as far as its constraints demand
// (blockConstraints), in topological order from the blocks no constraint
// points to; indeg is used up. It returns, in queue's array, the blocks
// it reached: fewer than all when the constraints have a cycle.
func packRight(x []float64, cons []con, start, indeg, queue, block []int) []int {
	queue = queue[:0]
	for v := range indeg {
		if block[v] == v && indeg[v] == 0 {
			queue = append(queue, v)
		}
	}
	for k := 0; k < len(queue); k++ {
		a := queue[k]
		for _, c := range cons[start[a]:start[a+1]] {
			x[c.to] = math.Max(x[c.to], x[a]+c.sep)
			if indeg[c.to]--; indeg[c.to] == 0 {
				queue = append(queue, c.to)
			}
		}
	}
	return queue
}

func newPlacer(g *layered, gap float64, ws *workspace) *placer {
	n := g.size()
	take := ws.ints.take
	p := &placer{g: g, gap: gap, upOff: take(n + 1), downOff: take(n + 1),
		root: take(n), next: take(n), start: take(n + 1), indeg: take(n), fill: take(n), queue: take(n)[:0],
		x: ws.floats.take(n), cons: make([]con, 0, n)}
	for v := range n {
		p.upOff[v+1] = p.upOff[v] + len(g.up[v])
		p.downOff[v+1] = p.downOff[v] + len(g.down[v])
	}
	p.marked = ws.bools.take(p.upOff[n])
	p.downEdge = take(p.downOff[n])
	for v := range n {
		for i, u := range g.up[v] {
			j, _ := slices.BinarySearchFunc(g.down[u], v, func(a, b int) int { return g.pos[a] - g.pos[b] })
			p.downEdge[p.downOff[u]+j] = p.upOff[v] + i
		}
	}
	return p
}

// conflicts marks non-inner segments that cross an inner segment (one
// between two dummies); those are never used for alignment.
func (p *placer) conflicts() {
	g := p.g
	for l := 0; l+1 < len(g.layers); l++ {
		upper, lower := g.layers[l], g.layers[l+1]
		k0, scan := 0, 0
		for l1, v := range lower {
			inner := -1
			if g.dummy(v) && len(g.up[v]) == 1 && g.dummy(g.up[v][0]) {
				inner = g.up[v][0]
			}
			if l1 != len(lower)-1 && inner < 0 {
				continue
			}
			k1 := len(upper) - 1
			if inner >= 0 {
				k1 = g.pos[inner]
			}
			for ; scan <= l1; scan++ {
				w := lower[scan]
				for i, u := range g.up[w] {
					if q := g.pos[u]; q < k0 || q > k1 {
						p.marked[p.upOff[w]+i] = true
					}
				}
			}
			k0 = k1
		}
	}
}

// align computes one of the four layouts into out: blocks aligned towards
// the top (fromTop) or bottom, medians taken from the left (fromLeft) or
// right.
func (p *placer) align(fromTop, fromLeft bool, out []float64) {
	g := p.g
	root, next := p.root, p.next // next: the next node of v's block, cyclic
	for v := range root {
		root[v], next[v] = v, v
	}
	pos := func(v int) int { // position in this layout's reading direction
		if fromLeft {
			return g.pos[v]
		}
		return len(g.layers[g.layer[v]]) - 1 - g.pos[v]
	}
	nbrs := g.up
	if !fromTop {
		nbrs = g.down
	}
	at := func(layer []int, i int) int {
		if fromLeft {
			return layer[i]
		}
		return layer[len(layer)-1-i]
	}
	L := len(g.layers)
	for s := 1; s < L; s++ {
		l := s
		if !fromTop {
			l = L - 1 - s
		}
		layer := g.layers[l]
		r := -1
		for i := range layer {
			v := at(layer, i)
			ns := nbrs[v] // sorted left to right by place
			d := len(ns)
			for m := (d - 1) / 2; m <= d/2 && d > 0; m++ {
				if next[v] != v {
					break
				}
				j := m
				if !fromLeft {
					j = d - 1 - m
				}
				u := ns[j]
				edge := p.upOff[v] + j
				if !fromTop {
					edge = p.downEdge[p.downOff[v]+j]
				}
				if p.marked[edge] || r >= pos(u) {
					continue
				}
				next[u] = v
				root[v] = root[u]
				next[v] = root[v]
				r = pos(u)
			}
		}
	}
	// Pack blocks: x[root b] >= x[root a] + sep for neighbours a, b.
	start, indeg := p.start, p.indeg
	clear(start)
	clear(indeg)
	cons := g.blockConstraints(root, !fromLeft, p.gap, start, p.fill, indeg, func(k int) []con { return p.cons[:k] })
	x := p.x
	clear(x)
	p.queue = packRight(x, cons, start, indeg, p.queue, root)
	// Blocks never cross, so the block order is acyclic; should it not
	// be, place() repairs the spacing afterwards.
	for v := range out {
		out[v] = x[root[v]]
		if !fromLeft {
			out[v] = -out[v]
		}
	}
}

// place sets the x of every node's centre, the leftmost box edge at 0.
func (g *layered) place(gap float64, ws *workspace) []float64 {
	n := g.size()
	byPos := func(a, b int) int { return g.pos[a] - g.pos[b] }
	for v := 0; v < n; v++ {
		slices.SortFunc(g.up[v], byPos)
		slices.SortFunc(g.down[v], byPos)
	}
	p := newPlacer(g, gap, ws)
	p.conflicts()
	var xs [4][]float64
	all := ws.floats.take(4 * n)
	var lo, hi [4]float64
	smallest := 0
	for k := range xs {
		fromTop, fromLeft := k < 2, k%2 == 0
		xs[k] = all[k*n : (k+1)*n]
		p.align(fromTop, fromLeft, xs[k])
		lo[k], hi[k] = math.Inf(1), math.Inf(-1)
		for v, x := range xs[k] {
			lo[k] = math.Min(lo[k], x-g.width[v]/2)
			hi[k] = math.Max(hi[k], x+g.width[v]/2)
		}
		if hi[k]-lo[k] < hi[smallest]-lo[smallest] {
			smallest = k
		}
	}
	for k := range xs {
		shift := lo[smallest] - lo[k]
		if k%2 == 1 {
			shift = hi[smallest] - hi[k]
		}
		for v := range xs[k] {
			xs[k][v] += shift
		}
	}
	x := ws.floats.take(n)
	var c [4]float64
	for v := range x {
		for k := range c {
			c[k] = xs[k][v]
		}
		slices.Sort(c[:])
		x[v] = (c[1] + c[2]) / 2
	}
	// The balanced median keeps the spacing in exact arithmetic; enforce it
	// against rounding (and any cycle in the block order).
	left := math.Inf(1)
	for _, layer := range g.layers {
		for i, v := range layer {
			if i > 0 {
				x[v] = math.Max(x[v], x[layer[i-1]]+g.sep(layer[i-1], v, gap))
			}
			left = math.Min(left, x[v]-g.width[v]/2)
		}
	}
	for v := range x {
		x[v] -= left
	}
	return x
}

// relax moves the Brandes-Köpf coordinates x towards the least sum of
// weighted squared horizontal edge lengths (dot's weights: 1 between real
// nodes, 2 from a real node to a dummy, 8 between dummies), keeping every
// long edge straight and every layer's order and spacing. Each chain of
// dummies is one unit with one x (split where two chains cross, see
// units), pulled only by its two end segments; a real node is a unit of
// its own.
//
// First, layer by layer in down and up sweeps in turn, the layer's units
// move to the weighted mean of their neighbours, in order and spaced, by
// a weighted isotonic regression (pooling adjacent violators on the
// targets less the cumulative separations). A chain moved in one layer
// may then crowd its neighbours in another; straighten restores the
// spacing. Second, settle sweeps, which keep all spacings at every step,
// take back part of what that cost. Each phase stops after its sweeps
// (sweeps each) or once no unit moved by more than relaxTol.
func (g *layered) relax(x []float64, gap float64, sweeps int, ws *workspace) {
	if sweeps <= 0 || len(g.layers) < 3 {
		return // without dummies Brandes-Köpf is as good
	}
	r := newRelaxer(g, gap, ws)
	xu := r.xu
	for v := range x {
		xu[r.unit[v]] += x[v] / float64(r.size[r.unit[v]])
	}
	for s := 0; s < sweeps; s++ {
		moved := 0.0
		for k := range g.layers {
			l := k
			if s%2 == 1 {
				l = len(g.layers) - 1 - k
			}
			moved = max(moved, r.fit(g.layers[l], nil))
		}
		if moved < relaxTol && s > 0 {
			break
		}
	}
	for v := range x {
		x[v] = xu[r.unit[v]]
	}
	g.straighten(x, r.unit, gap, ws)
	for v := range x {
		xu[r.unit[v]] = x[v]
	}
	for s := 0; s < sweeps; s++ {
		moved := r.moveChains()
		for k := range g.layers {
			l := k
			if s%2 == 1 {
				l = len(g.layers) - 1 - k
			}
			moved = max(moved, r.fit(g.layers[l], r.wall))
		}
		if moved < relaxTol && s > 0 {
			break
		}
	}
	for v := range x {
		x[v] = xu[r.unit[v]]
	}
	g.straighten(x, r.unit, gap, ws) // against rounding; puts the left edge at 0
}

// relaxTol is the largest move (in px) of a sweep after which relax stops.
const relaxTol = 0.5

// relaxer is the state of relax.
type relaxer struct {
	g    *layered
	gap  float64
	unit []int     // see units
	size []int     // per unit: its nodes
	wall []bool    // per unit: a chain of more than one dummy
	top  []int     // per chain unit: the node above its top dummy
	bot  []int     // and below its bottom dummy
	xu   []float64 // per unit: x
	// per chain unit: the room its neighbours in all its layers leave
	lo, hi []float64
	// per layer slot: target less offset, weight, offset; the pooled
	// blocks' weighted sums, weights and sizes
	target, weight, off, bsum, bw []float64
	bn                            []int
}

func newRelaxer(g *layered, gap float64, ws *workspace) relaxer {
	n := g.size()
	widest := 0
	for _, layer := range g.layers {
		widest = max(widest, len(layer))
	}
	fl := ws.floats.take(3*n + 5*widest)
	r := relaxer{g: g, gap: gap, unit: g.units(ws), size: ws.ints.take(n), wall: ws.bools.take(n),
		top: ws.ints.take(n), bot: ws.ints.take(n), xu: fl[:n], lo: fl[n : 2*n], hi: fl[2*n : 3*n], bn: ws.ints.take(widest)}
	fl = fl[3*n:]
	r.target, r.weight, r.off, r.bsum, r.bw = fl[:widest], fl[widest:2*widest], fl[2*widest:3*widest], fl[3*widest:4*widest], fl[4*widest:]
	for v := range n {
		u := r.unit[v]
		r.size[u]++
		if g.dummy(v) {
			if a := g.up[v][0]; r.unit[a] != u {
				r.top[u] = a
			}
			if b := g.down[v][0]; r.unit[b] != u {
				r.bot[u] = b
			}
		}
	}
	for v := range n {
		r.wall[v] = r.size[v] > 1
	}
	return r
}

// pull is the weight of the segment between a and b.
func (r *relaxer) pull(a, b int) float64 {
	switch {
	case r.g.dummy(a) && r.g.dummy(b):
		return 8
	case r.g.dummy(a) || r.g.dummy(b):
		return 2
	}
	return 1
}

// want is where the unit of v would best be, and how hard it pulls.
func (r *relaxer) want(v int) (t, w float64) {
	g, xu, unit := r.g, r.xu, r.unit
	if g.dummy(v) {
		u := unit[v]
		a, b := r.top[u], r.bot[u]
		wa, wb := r.pull(a, v), r.pull(b, v)
		return (wa*xu[unit[a]] + wb*xu[unit[b]]) / (wa + wb), wa + wb
	}
	sum := 0.0
	for _, u := range g.up[v] {
		p := r.pull(u, v)
		sum, w = sum+p*xu[unit[u]], w+p
	}
	for _, u := range g.down[v] {
		p := r.pull(u, v)
		sum, w = sum+p*xu[unit[u]], w+p
	}
	if w == 0 {
		return xu[v], 1
	}
	return sum / w, w
}

// fit moves the units of layer to their wanted places, in order and
// spaced, by a weighted isotonic regression. With wall set, the units it
// marks stay and the runs between them move, each kept between its two
// walls. It returns the largest move.
func (r *relaxer) fit(layer []int, wall []bool) float64 {
	g, xu, unit := r.g, r.xu, r.unit
	target, weight, off, bsum, bw, bn := r.target, r.weight, r.off, r.bsum, r.bw, r.bn
	moved := 0.0
	for i := 0; i < len(layer); {
		if wall != nil && wall[unit[layer[i]]] {
			i++
			continue
		}
		j, o := i, 0.0
		for ; j < len(layer) && (wall == nil || !wall[unit[layer[j]]]); j++ {
			v := layer[j]
			if j > i {
				o += g.sep(layer[j-1], v, r.gap)
			}
			t, w := r.want(v)
			target[j], weight[j], off[j] = t-o, w, o
		}
		// The walls bound all shifted targets alike.
		zlo, zhi := math.Inf(-1), math.Inf(1)
		if i > 0 {
			u := layer[i-1]
			zlo = xu[unit[u]] + g.sep(u, layer[i], r.gap)
		}
		if j < len(layer) {
			w := layer[j]
			zhi = xu[unit[w]] - g.sep(layer[j-1], w, r.gap) - o
		}
		nb := 0
		for q := i; q < j; q++ {
			sum, w, c := target[q]*weight[q], weight[q], 1
			for nb > 0 && bsum[nb-1]*w > sum*bw[nb-1] { // the last block's mean is greater
				nb--
				sum, w, c = sum+bsum[nb], w+bw[nb], c+bn[nb]
			}
			bsum[nb], bw[nb], bn[nb] = sum, w, c
			nb++
		}
		q := i
		for b := range nb {
			z := bsum[b] / bw[b]
			if zlo <= zhi { // else spacing lost to rounding: straighten mends it
				z = max(min(z, zhi), zlo)
			}
			for range bn[b] {
				u := unit[layer[q]]
				nx := z + off[q]
				moved = max(moved, math.Abs(nx-xu[u]))
				xu[u] = nx
				q++
			}
		}
		i = j
	}
	return moved
}

// moveChains moves every wall (a chain of more than one dummy) towards
// its ends' weighted mean as far as its neighbours in all its layers let
// it, and returns the largest move.
func (r *relaxer) moveChains() float64 {
	g, xu, unit := r.g, r.xu, r.unit
	n := g.size()
	for v := g.real; v < n; v++ {
		r.lo[v], r.hi[v] = math.Inf(-1), math.Inf(1)
	}
	for v := g.real; v < n; v++ {
		u := unit[v]
		if !r.wall[u] {
			continue
		}
		layer, p := g.layers[g.layer[v]], g.pos[v]
		if p > 0 {
			a := layer[p-1]
			r.lo[u] = max(r.lo[u], xu[unit[a]]+g.sep(a, v, r.gap))
		}
		if p+1 < len(layer) {
			b := layer[p+1]
			r.hi[u] = min(r.hi[u], xu[unit[b]]-g.sep(v, b, r.gap))
		}
	}
	moved := 0.0
	for u := g.real; u < n; u++ {
		if !r.wall[u] || unit[u] != u || r.lo[u] > r.hi[u] {
			continue
		}
		t, _ := r.want(u)
		t = max(min(t, r.hi[u]), r.lo[u])
		moved = max(moved, math.Abs(t-xu[u]))
		xu[u] = t
	}
	return moved
}

// units numbers the chains of dummies: unit[v] is the top dummy of v's
// chain, or v for a real node. An inner segment (between two dummies)
// joins its lower end to its upper end's chain unless it crosses a
// segment already joined (scanning by the upper end), so that no two
// units cross and their left-to-right order has no cycle.
func (g *layered) units(ws *workspace) []int {
	unit := ws.ints.take(g.size())
	for v := range unit {
		unit[v] = v
	}
	for l := 0; l+1 < len(g.layers); l++ {
		last := -1
		for _, u := range g.layers[l] {
			if !g.dummy(u) {
				continue
			}
			if v := g.down[u][0]; g.dummy(v) && g.pos[v] > last {
				unit[v] = unit[u]
				last = g.pos[v]
			}
		}
	}
	return unit
}

// straighten gives all nodes of a unit (see units) one x, the mean of
// theirs, and restores the spacing without bending a chain: the units are
// pushed right in their left-to-right order until each is far enough
// from its left neighbours, and separately pushed left likewise from the
// right; the mean of both keeps all spacings (the constraints are linear)
// and moves the least on either side. Should the units' order have a
// cycle it falls back to pushing nodes apart layer by layer. Then the
// leftmost box edge is put at 0.
func (g *layered) straighten(x []float64, unit []int, gap float64, ws *workspace) {
	n := g.size()
	fl := ws.floats.take(3 * n)
	t, cnt, right := fl[:n], fl[n:2*n], fl[2*n:]
	for v := range n {
		t[unit[v]] += x[v]
		cnt[unit[v]]++
	}
	units := 0
	for v := range n {
		if unit[v] == v {
			t[v] /= cnt[v]
			units++
		}
	}
	start, indeg := ws.ints.take(n+1), ws.ints.take(n)
	cons := g.blockConstraints(unit, false, gap, start, ws.ints.take(n), indeg, ws.cons.take)
	lx := cnt // x pushed right (cnt is no longer needed)
	copy(lx, t)
	queue := packRight(lx, cons, start, indeg, ws.ints.take(n), unit)
	if len(queue) < units { // a cycle: keep x, push apart per layer
		for _, layer := range g.layers {
			for i := 1; i < len(layer); i++ {
				x[layer[i]] = math.Max(x[layer[i]], x[layer[i-1]]+g.sep(layer[i-1], layer[i], gap))
			}
		}
	} else {
		copy(right, t)
		for k := len(queue) - 1; k >= 0; k-- {
			a := queue[k]
			for _, c := range cons[start[a]:start[a+1]] {
				right[a] = math.Min(right[a], right[c.to]-c.sep)
			}
		}
		for v := range n {
			u := unit[v]
			x[v] = (lx[u] + right[u]) / 2
		}
	}
	lo := math.Inf(1)
	for v := range x {
		lo = math.Min(lo, x[v]-g.width[v]/2)
	}
	for v := range x {
		x[v] -= lo
	}
}
