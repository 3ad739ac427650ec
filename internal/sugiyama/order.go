package sugiyama

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// layered is one connected component after layer assignment, with a dummy
// node on every layer a long edge crosses, so every edge joins neighbouring
// layers. Real nodes come first (0..real-1), dummies after them.
type layered struct {
	real  int
	layer []int
	up    [][]int // neighbours one layer up
	down  [][]int // neighbours one layer down
	// crossUp and crossDown are up and down with every link as many
	// times as its arc has edges: what crossings are counted on.
	crossUp, crossDown [][]int
	layers             [][]int // left-to-right order of each layer
	pos                []int   // index of each node in its layer
	width              []float64
}

func (g *layered) size() int        { return len(g.layer) }
func (g *layered) dummy(v int) bool { return v >= g.real }

// seg is an edge between two neighbouring layers by its end positions.
type seg struct{ top, bot int }

// countCrossings counts the pairs of segments that cross strictly (segments
// sharing an end do not cross) after Barth, Jünger and Mutzel, with a
// Fenwick tree of the bottom positions inserted so far. segs must be
// sorted by top; bot values lie in [0, nBot).
func countCrossings(segs []seg, nBot int, scratch *[]int) int {
	tree := newFenwick(scratch, nBot)
	total, inserted := 0, 0
	for i := 0; i < len(segs); {
		j := i
		for ; j < len(segs) && segs[j].top == segs[i].top; j++ {
			// Inserted so far: segments with a smaller top. Count those
			// ending strictly right of this one.
			total += inserted - tree.upTo(segs[j].bot)
		}
		for ; i < j; i++ {
			tree.add(segs[i].bot)
			inserted++
		}
	}
	return total
}

// fenwick counts the bottom ends inserted so far by position.
type fenwick []int

// newFenwick returns an empty tree for positions [0, n) in *scratch.
func newFenwick(scratch *[]int, n int) fenwick {
	tree := slices.Grow((*scratch)[:0], n+1)[:n+1]
	*scratch = tree
	clear(tree)
	return tree
}

// upTo is how many inserted ends lie at or left of b.
func (t fenwick) upTo(b int) int {
	n := 0
	for k := b + 1; k > 0; k &= k - 1 {
		n += t[k]
	}
	return n
}

func (t fenwick) add(b int) {
	for k := b + 1; k < len(t); k += k & -k {
		t[k]++
	}
}

// orderer is the state of crossing reduction on one layered graph. It
// keeps every node's sorted neighbour positions (upPos above, downPos
// below) per layer and side, stamped with the tick they were taken at:
// they stay valid while the neighbouring layer keeps its order (changed[l]
// is the tick of layer l's last change), so sweeps, transposition, sifting
// and counting share them instead of sorting again. Transposition's swaps
// update the counts in place instead of marking a change, and leave the
// neighbouring layers' lists to be taken again once per layer, not
// updated swap by swap.
type orderer struct {
	g                     *layered
	upPos, downPos        [][]int
	upAt, downAt, changed []int
	// siftAt[l] is the tick layer l was last sifted at without moving a
	// node (-1: never): sifting it again before it or a neighbouring
	// layer changes would not move one either.
	siftAt []int
	tick   int
	// pairs[l] is the crossings between layers l and l+1, counted at tick
	// crossAt[l].
	pairs, crossAt []int
	// scratch
	cand                 []bool
	kept                 []keptPair
	seen                 []bool
	starts, queue, first []int
	index                []int
	*orderScratch
}

// orderScratch is the scratch of crossing reduction that grows as it is
// used; it lives in the workspace, so a layout reuses the last one's
// instead of allocating and clearing its own.
type orderScratch struct {
	tree                 []int
	med                  []float64
	movable, sorted, old []int
	keys                 []uint64
	diff                 []int32
	orig, oneUp, oneDown []int
	atUp, atDown         []int
}

func newOrderer(g *layered, ws *workspace) *orderer {
	n, L := g.size(), len(g.layers)
	ints := ws.ints.take
	o := &orderer{g: g, upPos: ws.lists.take(n), downPos: ws.lists.take(n),
		upAt: ints(L), downAt: ints(L), changed: ints(L), siftAt: ints(L), pairs: ints(L), crossAt: ints(L),
		cand: ws.bools.take(L), kept: ws.kept.take(n), index: ints(n),
		seen: ws.bools.take(n), starts: ints(n), first: ints(L + 1), queue: ints(n)[:0],
		orderScratch: &ws.order}
	// Every list gets its exact capacity in one shared array.
	deg := 0
	for v := range n {
		deg += len(g.crossUp[v]) + len(g.crossDown[v])
	}
	buf := ints(deg)
	for v := range n {
		k := len(g.crossUp[v])
		o.upPos[v], buf = buf[:0:k], buf[k:]
		k = len(g.crossDown[v])
		o.downPos[v], buf = buf[:0:k], buf[k:]
	}
	for l := range L {
		o.upAt[l], o.downAt[l], o.crossAt[l], o.siftAt[l] = -1, -1, -1, -1
	}
	return o
}

// touch records that layer l changed order.
func (o *orderer) touch(l int) {
	o.tick++
	o.changed[l] = o.tick
}

// sortUp makes upPos valid for the nodes of layer l. Walking the layer
// above left to right appends every node's neighbour positions in sorted
// order, so nothing is sorted.
func (o *orderer) sortUp(l int) {
	if l == 0 || o.upAt[l] >= o.changed[l-1] {
		return
	}
	g := o.g
	for _, v := range g.layers[l] {
		o.upPos[v] = o.upPos[v][:0]
	}
	for i, u := range g.layers[l-1] {
		for _, v := range g.crossDown[u] {
			o.upPos[v] = append(o.upPos[v], i)
		}
	}
	o.upAt[l] = o.tick
}

// sortDown makes downPos valid for the nodes of layer l, like sortUp.
func (o *orderer) sortDown(l int) {
	if l+1 == len(o.g.layers) || o.downAt[l] >= o.changed[l+1] {
		return
	}
	g := o.g
	for _, v := range g.layers[l] {
		o.downPos[v] = o.downPos[v][:0]
	}
	for i, w := range g.layers[l+1] {
		for _, v := range g.crossUp[w] {
			o.downPos[v] = append(o.downPos[v], i)
		}
	}
	o.downAt[l] = o.tick
}

// swapped updates what stays valid when transposition swaps neighbours v
// and w of layer l: the crossings of the two layer pairs
// change by what the swap removed (dUp above, dDown below). Layer l itself
// is not marked changed, so nothing is counted again for a swap. It also
// forgets the kept pairs that count the edges of v's and w's neighbours.
// Their position lists go stale; transpose drops them once the layer is
// done (nothing reads them before), and taking them again walks each edge
// once, cheaper than searching every neighbour's list at every swap.
func (o *orderer) swapped(l, v, w, dUp, dDown int) {
	g := o.g
	o.forget(g.up[v])
	o.forget(g.up[w])
	o.forget(g.down[v])
	o.forget(g.down[w])
	if l > 0 && o.counted(l-1) {
		o.pairs[l-1] += dUp
	}
	if l+1 < len(g.layers) && o.counted(l) {
		o.pairs[l] += dDown
	}
}

// forget drops the kept pairs of nodes nbrs.
func (o *orderer) forget(nbrs []int) {
	for _, y := range nbrs {
		o.kept[y] = keptPair{-1, -1}
	}
}

// between counts the crossings between layers l and l+1, again only when
// one of them changed since the last count.
func (o *orderer) between(l int) int {
	if o.counted(l) {
		return o.pairs[l]
	}
	g := o.g
	o.sortDown(l)
	// countCrossings over the layer's lists as they are, node by node
	// left to right, instead of copied into segments first.
	tree := newFenwick(&o.tree, len(g.layers[l+1]))
	total, inserted := 0, 0
	for _, u := range g.layers[l] {
		p := o.downPos[u]
		for _, b := range p {
			total += inserted - tree.upTo(b)
		}
		for _, b := range p {
			tree.add(b)
		}
		inserted += len(p)
	}
	o.pairs[l] = total
	o.crossAt[l] = o.tick
	return o.pairs[l]
}

// counted reports whether pairs[l] is still the count between layers l
// and l+1.
func (o *orderer) counted(l int) bool {
	return o.crossAt[l] >= o.changed[l] && o.crossAt[l] >= o.changed[l+1]
}

// uncrossed reports whether layer l's edges are known to cross none, so
// reordering it cannot remove a crossing.
func (o *orderer) uncrossed(l int) bool {
	L := len(o.g.layers)
	return (l == 0 || o.counted(l-1) && o.pairs[l-1] == 0) && (l+1 == L || o.counted(l) && o.pairs[l] == 0)
}

func (o *orderer) total() int {
	c := 0
	for l := 0; l+1 < len(o.g.layers); l++ {
		c += o.between(l)
	}
	return c
}

// initOrder fills the layers breadth first from the top (or the bottom),
// which places the nodes of a subtree next to each other; undirected, the
// search also follows edges back up (down), placing a node's other parents
// near it.
func (o *orderer) initOrder(fromTop, undirected bool) {
	g := o.g
	for l := range g.layers {
		g.layers[l] = g.layers[l][:0]
	}
	seen := o.seen
	clear(seen)
	next, prev := g.down, g.up
	if !fromTop {
		next, prev = g.up, g.down
	}
	// Start from the top (bottom) layer's nodes, then any node left: the
	// nodes by layer, each layer's in index order (a counting sort).
	L := len(g.layers)
	rank := func(v int) int {
		if fromTop {
			return g.layer[v]
		}
		return L - 1 - g.layer[v]
	}
	first, starts := o.first, o.starts
	clear(first)
	for v := range g.layer {
		first[rank(v)+1]++
	}
	for k := range L {
		first[k+1] += first[k]
	}
	for v := range g.layer {
		starts[first[rank(v)]] = v
		first[rank(v)]++
	}
	queue := o.queue
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
			if !undirected {
				continue
			}
			for _, u := range prev[v] {
				if !seen[u] {
					seen[u] = true
					queue = append(queue, u)
				}
			}
		}
	}
	o.renumber()
}

// renumber sets every position after the layers were rewritten.
func (o *orderer) renumber() {
	for l, layer := range o.g.layers {
		for i, v := range layer {
			o.g.pos[v] = i
		}
		o.touch(l)
	}
}

// median is the weighted median of sorted positions p (Gansner et al.),
// or -1 when there are none.
func median(p []int) float64 {
	m := len(p)
	switch m {
	case 0:
		return -1
	case 1:
		return float64(p[0])
	case 2:
		return float64(p[0]+p[1]) / 2
	}
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

// sortLayer reorders layer l by the medians of its neighbours above
// (fromUp) or below; nodes without neighbours keep their place. reverse
// flips ties.
func (o *orderer) sortLayer(l int, fromUp, reverse bool) {
	g := o.g
	layer := g.layers[l]
	if len(layer) < 2 {
		return
	}
	nbrPos := o.downPos
	if fromUp {
		o.sortUp(l)
		nbrPos = o.upPos
	} else {
		o.sortDown(l)
	}
	med := o.med[:0]
	movable := o.movable[:0]
	for i, v := range layer {
		med = append(med, median(nbrPos[v]))
		if med[i] >= 0 {
			movable = append(movable, i)
		}
	}
	o.med, o.movable = med, movable
	sorted := o.sortByMedian(med, movable, len(layer), reverse)
	old := append(o.old[:0], layer...)
	o.old = old
	moved := false
	for k, i := range movable {
		layer[i] = old[sorted[k]]
		moved = moved || i != sorted[k]
	}
	if !moved {
		return
	}
	for i, v := range layer {
		g.pos[v] = i
	}
	o.touch(l)
}

// sortByMedian returns the indices movable sorted by med, ties by index
// (descending with reverse). It sorts integer keys without a comparator
// func, which costs a third as much: a median is not negative, so its
// float bits order like it, and their low bits make room for the
// index. That keeps the order exact unless two different medians share
// the bits left (a difference below about 2^-40 of their size), which the
// check after the sort catches.
func (o *orderer) sortByMedian(med []float64, movable []int, k int, reverse bool) []int {
	shift := bits.Len(uint(k))
	mask := ^uint64(0) << shift
	keys := o.keys[:0]
	for _, i := range movable {
		t := i
		if reverse {
			t = k - 1 - i
		}
		keys = append(keys, math.Float64bits(med[i])&mask|uint64(t))
	}
	o.keys = keys
	sortKeys(keys)
	index := func(key uint64) int {
		t := int(key &^ mask)
		if reverse {
			return k - 1 - t
		}
		return t
	}
	sorted := o.sorted[:0]
	exact := true
	for j, key := range keys {
		i := index(key)
		if j > 0 && key&mask == keys[j-1]&mask && med[i] != med[sorted[j-1]] {
			exact = false
			break
		}
		sorted = append(sorted, i)
	}
	if !exact {
		sorted = append(sorted[:0], movable...)
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
	}
	o.sorted = sorted
	return sorted
}

// sortKeys sorts keys in place: by insertion up to 64 of them, since a
// layer's keys come mostly in order (the last sweep sorted it by nearly
// the same medians), which insertion passes in one scan; else by pdqsort.
func sortKeys(keys []uint64) {
	if len(keys) > 64 {
		slices.Sort(keys)
		return
	}
	for j := 1; j < len(keys); j++ {
		key, m := keys[j], j
		for ; m > 0 && keys[m-1] > key; m-- {
			keys[m] = keys[m-1]
		}
		keys[m] = key
	}
}

// crossCount counts, for sorted end positions a (left node) and b (right
// node), the pairs with a > b, which cross, and a < b, which would cross
// if the nodes swapped.
func crossCount(a, b []int) (vw, wv int) {
	if len(a) == 1 && len(b) == 1 { // most nodes (every dummy) have one
		switch {
		case a[0] > b[0]:
			return 1, 0
		case a[0] < b[0]:
			return 0, 1
		}
		return 0, 0
	}
	// Against a single end (a dummy or a leaf beside a hub) searching
	// the other list does instead of a merge.
	if len(b) == 1 {
		lt, le := bounds(a, b[0])
		return len(a) - le, lt
	}
	if len(a) == 1 {
		lt, le := bounds(b, a[0])
		return lt, len(b) - le
	}
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

// bounds returns how many elements of sorted p are below x and up to x:
// counted without branches over the short lists most nodes have (the
// branches of a scan or a binary search mispredict on them), else by
// binary search.
func bounds(p []int, x int) (lt, le int) {
	if len(p) > 16 {
		lt, _ = slices.BinarySearch(p, x)
		le = lt
		for le < len(p) && p[le] == x {
			le++
		}
		return lt, le
	}
	for _, y := range p {
		lt += int(uint(y-x) >> 63)
		le += int(uint(y-x-1) >> 63)
	}
	return lt, le
}

// keptPair is the neighbours a node was last kept unswapped with, on
// its right and on its left (-1: none); one record, so checking a pair
// and forgetting a node's pairs touch one place.
type keptPair struct{ r, l int32 }

// transpose swaps neighbours in a layer while that removes crossings
// (with reverse, also when it keeps them equal, to leave plateaus). A pair
// found not worth swapping is not counted again until one of its nodes'
// neighbours moves: kept[v].r is the right neighbour v was last kept with,
// kept[w].l the left one w was, and a pair is kept while both agree.
func (o *orderer) transpose(reverse bool, rounds int) {
	g := o.g
	candidate, kept, upPos, downPos := o.cand, o.kept, o.upPos, o.downPos
	for l := range candidate {
		candidate[l] = true
	}
	for v := range kept {
		kept[v] = keptPair{-1, -1}
	}
	for round := 0; round < rounds; round++ {
		delta := 0
		for l, layer := range g.layers {
			if !candidate[l] {
				continue
			}
			candidate[l] = false
			if o.uncrossed(l) {
				continue
			}
			o.sortUp(l)
			o.sortDown(l)
			for i := 0; i+1 < len(layer); i++ {
				v, w := layer[i], layer[i+1]
				if int(kept[v].r) == w && int(kept[w].l) == v {
					continue
				}
				// Most checks are of one-entry lists (every dummy):
				// compared here without a call or a branch, which
				// mispredicts on them.
				var upVW, upWV, downVW, downWV int
				if a, b := upPos[v], upPos[w]; len(a) == 1 && len(b) == 1 {
					d := a[0] - b[0]
					upVW, upWV = int(uint(-d)>>63), int(uint(d)>>63)
				} else {
					upVW, upWV = crossCount(a, b)
				}
				if a, b := downPos[v], downPos[w]; len(a) == 1 && len(b) == 1 {
					d := a[0] - b[0]
					downVW, downWV = int(uint(-d)>>63), int(uint(d)>>63)
				} else {
					downVW, downWV = crossCount(a, b)
				}
				c0, c1 := upVW+downVW, upWV+downWV
				if !(c1 < c0 || (c0 > 0 && reverse && c1 == c0)) {
					kept[v].r, kept[w].l = int32(w), int32(v)
					continue
				}
				layer[i], layer[i+1] = w, v
				g.pos[v], g.pos[w] = i+1, i
				o.swapped(l, v, w, upWV-upVW, downWV-downVW)
				delta += c0 - c1
				candidate[l] = true
				if l > 0 {
					candidate[l-1] = true
				}
				if l+1 < len(g.layers) {
					candidate[l+1] = true
				}
			}
			if candidate[l] { // swapped: the neighbours' lists are stale
				if l > 0 {
					o.downAt[l-1] = -1
				}
				if l+1 < len(g.layers) {
					o.upAt[l+1] = -1
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
// Tuned on the graphs of cmd/layoutbench and checked on held-out
// trace-shaped graphs (docs/bench/layout-engine.md).
type effort struct {
	initSweeps int // sweeps from each initial order
	stale      int // sweeps without improvement before giving up
	passes     int // sweeps from the best start at most
	sift       int // sifting rounds at the end at most
	restarts   int // random restarts
	// lean: one breadth-first start per tie order instead of both, and
	// the further sweeps once, from the best of all starts.
	lean bool
	// plateaus: every further sweep flips the median's ties and lets
	// transposition swap pairs that keep their crossings equal, not
	// every other pair of sweeps: a short run of further sweeps leaves
	// more local optima that way (1.4% fewer crossings in six sweeps on
	// the held-out graphs).
	plateaus bool
	// undirected: the breadth-first starts follow edges both ways, as
	// dot's initial order does, so a node's other parents and their
	// subtrees land near it.
	undirected bool
	transpose  int // transposition rounds per call at most
}

const (
	smallGraph = 64 // a drawing this size or smaller counts as small
	// Above this size (with dummies) the lean schedule with six further
	// sweeps, all on plateaus, and more sifting takes about half the
	// time of the full one and finds 0.9% more crossings: 1.9% fewer
	// than dot in total on 120 held-out trace-shaped graphs of 150-500
	// services (docs/bench/layout-engine.md).
	midGraph = 300
	// Above this size the lean schedule with all the further sweeps finds
	// as few crossings in three quarters of the time (held-out
	// trace-shaped graphs of 500 and 1,000 services).
	hugeGraph    = 1000
	midPasses    = 6
	maxRestarts  = 8
	maxSiftCost  = 20_000_000
	maxTranspose = 4 // transposition rounds per call
	// Drawings of 65-300 nodes: 16 rounds and undirected starts took
	// the held-out graphs of 100-200 services from 1.6% more crossings
	// than dot in total to 0.6% fewer (ours <= dot on 70 of 120 graphs,
	// was 52) for 46% more CPU (docs/bench/layout-engine.md).
	dotTranspose = 16
)

func effortFor(nodes, passes int) effort {
	switch {
	case nodes <= smallGraph:
		return effort{initSweeps: 4, stale: 4, passes: passes, sift: 3, restarts: min(maxRestarts, 2*smallGraph/max(nodes, 1)), transpose: maxTranspose}
	case nodes > hugeGraph:
		return effort{initSweeps: 4, stale: 8, passes: passes, sift: 2, lean: true, transpose: maxTranspose}
	case nodes > midGraph:
		return effort{initSweeps: 4, stale: 4, passes: min(passes, midPasses), sift: 6, lean: true, plateaus: true, transpose: maxTranspose}
	}
	// Like dot's mincross: four sweeps from each start (breadth first
	// both ways, as dot's are), then up to passes from the best, stopping
	// after eight without improvement, with transposition run nearly to
	// its end as dot runs it. A third sifting round costs little on layers
	// this narrow.
	return effort{initSweeps: 4, stale: 8, passes: passes, sift: 3, undirected: true, transpose: dotTranspose}
}

// reduceCrossings orders every layer. Median sweeps from two breadth-first
// orders (and, on small graphs, from random orders followed by sifting)
// pick a start; more sweeps continue from the best ordering until they
// stop improving. Graphs without random restarts (the large ones) run all
// of that twice instead: with the median sort's ties broken the way
// transposition breaks them in that sweep, and the other way (dot's way;
// which is better depends on the graph, and the two runs end in different
// local optima); the lean schedule of the larger ones sweeps further only
// once, from the best of both. Transposition and sifting finish. The best
// ordering seen is kept; it returns its crossings.
func (g *layered) reduceCrossings(passes int, ws *workspace) int {
	eff := effortFor(g.size(), passes)
	o := newOrderer(g, ws)
	width := ws.ints.take(len(g.layers))
	for _, l := range g.layer {
		width[l]++
	}
	best := ws.lists.take(len(g.layers))
	for l, w := range width {
		best[l] = ws.ints.take(w)
	}
	bestC := -1
	save := func(c int) {
		for l, layer := range g.layers {
			copy(best[l], layer)
		}
		bestC = c
	}
	load := func() {
		for l := range g.layers {
			g.layers[l] = append(g.layers[l][:0], best[l]...)
		}
		o.renumber()
	}
	keepIfBetter := func() {
		if c := o.total(); bestC < 0 || c < bestC {
			save(c)
		}
	}
	sweep := func(n int, flipTies, plateaus bool) {
		for it, stale := 0, 0; it < n && bestC > 0 && stale < eff.stale; it++ {
			reverse := plateaus || it%4 >= 2
			if it%2 == 0 {
				for l := 1; l < len(g.layers); l++ {
					o.sortLayer(l, true, reverse != flipTies)
				}
			} else {
				for l := len(g.layers) - 2; l >= 0; l-- {
					o.sortLayer(l, false, reverse != flipTies)
				}
			}
			o.transpose(reverse, eff.transpose)
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
	siftCost := 0
	for _, w := range width {
		siftCost += w * w
	}
	siftAll := func() {
		for round := 0; round < eff.sift && siftCost <= maxSiftCost && o.sift(); round++ {
		}
	}
	var rng *rand.Rand
	if eff.restarts > 0 {
		rng = rand.New(rand.NewPCG(1, uint64(g.size())))
	}
	tieOrders := []bool{false, true}
	if eff.restarts > 0 { // small graphs get their variety from the restarts
		tieOrders = tieOrders[:1]
	}
	// Once an ordering without crossings is found nothing can beat it.
	for i, flipTies := range tieOrders {
		for _, fromTop := range []bool{true, false} {
			if bestC == 0 {
				break
			}
			if eff.lean && fromTop == flipTies {
				continue
			}
			o.initOrder(fromTop, eff.undirected)
			keepIfBetter()
			sweep(min(eff.initSweeps, eff.passes), flipTies, false)
		}
		for k := 0; k < eff.restarts && bestC > 0; k++ {
			for _, layer := range g.layers {
				rng.Shuffle(len(layer), func(i, j int) { layer[i], layer[j] = layer[j], layer[i] })
			}
			o.renumber()
			keepIfBetter()
			sweep(min(eff.initSweeps, eff.passes), flipTies, false)
			siftAll()
			keepIfBetter()
		}
		if bestC == 0 {
			break
		}
		if eff.lean && i+1 < len(tieOrders) {
			continue
		}
		load()
		sweep(eff.passes, flipTies, eff.plateaus)
	}
	load()
	if bestC == 0 {
		return 0
	}
	o.transpose(false, eff.transpose)
	siftAll()
	return o.total()
}

// onlyEntry is p's one entry, 0 when the side has no layer (every list
// empty), or -1.
func onlyEntry(p []int, layer bool) int {
	switch {
	case !layer:
		return 0
	case len(p) == 1:
		return p[0]
	}
	return -1
}

// above is 1 when a > b: one edge ending at a left of one ending at b crosses it.
func above(a, b int) int {
	if a > b {
		return 1
	}
	return 0
}

// atOrRight fills *buf with, for every position t in [0, width], how many
// entries of p lie at t or right of it.
func atOrRight(buf *[]int, p []int, width int) []int {
	at := slices.Grow((*buf)[:0], width+1)[:width+1]
	*buf = at
	clear(at)
	for _, x := range p {
		at[x]++
	}
	for t := width - 1; t >= 0; t-- {
		at[t] += at[t+1]
	}
	return at
}

// against counts the crossings between the edges of a node a (n ends, at
// from atOrRight) and those of a node b ending at q: with a left of b
// (aLeft: a's ends right of b's) and with b left of a.
func against(at []int, n int, q []int) (aLeft, bLeft int) {
	for _, x := range q {
		aLeft += at[x+1]
		bLeft += n - at[x]
	}
	return aLeft, bLeft
}

// sift moves every node, one at a time, to the place in its layer where
// its edges cross the fewest others (both neighbouring layers counted),
// after Matuszewski, Schönfeld and Molitor. It reports whether anything
// moved. Crossings never increase.
func (o *orderer) sift() bool {
	g := o.g
	moved := false
	for l, layer := range g.layers {
		k := len(layer)
		if k < 2 || o.uncrossed(l) {
			continue
		}
		if o.siftAt[l] >= o.changed[l] && (l == 0 || o.siftAt[l] >= o.changed[l-1]) && (l+1 == len(g.layers) || o.siftAt[l] >= o.changed[l+1]) {
			continue
		}
		o.sortUp(l)
		o.sortDown(l)
		// The neighbouring layers stay put while this one is sifted: count
		// every pair once. diff[i*k+j] is how many more crossings the edges
		// of the i-th and j-th node (by index) make with the i-th right of
		// the j-th than left of it.
		diff := slices.Grow(o.diff[:0], k*k)[:k*k]
		o.diff = diff
		// Most pairs are of nodes with one neighbour on each side (every
		// dummy): up[i] and down[i] hold that position (0 for a side
		// without a layer), or -1 when the node has more.
		up := slices.Grow(o.oneUp[:0], k)[:k]
		down := slices.Grow(o.oneDown[:0], k)[:k]
		orig := append(o.orig[:0], layer...)
		o.oneUp, o.oneDown, o.orig = up, down, orig
		for i, v := range layer {
			o.index[v] = i
			up[i], down[i] = onlyEntry(o.upPos[v], l > 0), onlyEntry(o.downPos[v], l+1 < len(g.layers))
		}
		single := func(i int) bool { return up[i] >= 0 && down[i] >= 0 }
		for i := range k {
			for j := i + 1; j < k && single(i); j++ {
				if single(j) {
					d := above(up[j], up[i]) + above(down[j], down[i]) - above(up[i], up[j]) - above(down[i], down[j])
					diff[i*k+j], diff[j*k+i] = int32(d), int32(-d)
				}
			}
		}
		// Every other pair has a node a with more neighbours: count its
		// pairs from how many of a's ends lie at or right of each position.
		var wUp, wDown int
		if l > 0 {
			wUp = len(g.layers[l-1])
		}
		if l+1 < len(g.layers) {
			wDown = len(g.layers[l+1])
		}
		for ia, a := range layer {
			if single(ia) {
				continue
			}
			atUp := atOrRight(&o.atUp, o.upPos[a], wUp)
			atDown := atOrRight(&o.atDown, o.downPos[a], wDown)
			for ib, b := range layer {
				if ib == ia || ib < ia && !single(ib) {
					continue
				}
				aLeft, bLeft := against(atUp, len(o.upPos[a]), o.upPos[b])
				aLeft2, bLeft2 := against(atDown, len(o.downPos[a]), o.downPos[b])
				d := bLeft + bLeft2 - aLeft - aLeft2
				diff[ia*k+ib], diff[ib*k+ia] = int32(d), int32(-d)
			}
		}
		changed := false
		for i, v := range orig {
			// v, now at cur: the cost of each slot relative to the
			// leftmost.
			cur := g.pos[v]
			row := diff[i*k : (i+1)*k]
			bestK, bestD, d, curD := 0, 0, 0, 0
			slot := 0
			for _, w := range layer {
				if w == v {
					continue
				}
				d += int(row[o.index[w]]) // v moves from left of w to right of w
				slot++
				if slot == cur {
					curD = d
				}
				if d < bestD {
					bestK, bestD = slot, d
				}
			}
			if bestD >= curD {
				continue
			}
			changed = true
			if bestK < cur {
				copy(layer[bestK+1:cur+1], layer[bestK:cur])
			} else {
				copy(layer[cur:bestK], layer[cur+1:bestK+1])
			}
			layer[bestK] = v
			for p, x := range layer {
				g.pos[x] = p
			}
		}
		if changed {
			moved = true
			o.touch(l)
		} else {
			o.siftAt[l] = o.tick
		}
	}
	return moved
}
