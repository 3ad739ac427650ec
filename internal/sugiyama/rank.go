package sugiyama

// Layer assignment by network simplex (Gansner, Koutsofios, North, Vo:
// "A technique for drawing directed graphs", 1993): minimise the weighted
// sum of edge lengths subject to every arc being at least one layer long,
// then move nodes with balanced in/out weight to the least crowded layer
// they can take.

// network is the simplex state for one connected acyclic graph.
type network struct {
	n      int
	arcs   []arc
	out    [][]int // arc indices by tail
	in     [][]int // arc indices by head
	rank   []int
	inTree []bool // per arc
	// Rooted spanning tree: parent arc of each node (-1 for the root),
	// postorder number lim and the lowest lim in the subtree low.
	parent []int
	lim    []int
	low    []int
	cut    []int // cut value per tree arc
	// scratch
	netOut []int
	stack  []int
	next   []int
}

func (nw *network) slack(i int) int {
	a := nw.arcs[i]
	return nw.rank[a.to] - nw.rank[a.from] - 1
}

// rankLayers returns a layer per node (0 at the top) for a connected
// acyclic graph with n nodes; maxIter bounds the simplex pivots.
func rankLayers(n int, arcs []arc, maxIter int) []int {
	nw := &network{
		n:      n,
		arcs:   arcs,
		out:    make([][]int, n),
		in:     make([][]int, n),
		inTree: make([]bool, len(arcs)),
		parent: make([]int, n),
		lim:    make([]int, n),
		low:    make([]int, n),
		cut:    make([]int, len(arcs)),
		netOut: make([]int, n),
		next:   make([]int, n),
	}
	for i, a := range arcs {
		nw.out[a.from] = append(nw.out[a.from], i)
		nw.in[a.to] = append(nw.in[a.to], i)
	}
	nw.initRank()
	if n > 1 {
		nw.feasibleTree()
		nw.buildTree()
		if maxIter <= 0 {
			maxIter = 8*n + 1000
		}
		nw.pivot(maxIter)
	}
	nw.normalize()
	nw.balance()
	return nw.rank
}

// initRank is the longest path layering from the sources.
func (nw *network) initRank() {
	nw.rank = make([]int, nw.n)
	indeg := make([]int, nw.n)
	for _, a := range nw.arcs {
		indeg[a.to]++
	}
	queue := make([]int, 0, nw.n)
	for v := 0; v < nw.n; v++ {
		if indeg[v] == 0 {
			queue = append(queue, v)
		}
	}
	for k := 0; k < len(queue); k++ {
		v := queue[k]
		for _, i := range nw.out[v] {
			u := nw.arcs[i].to
			if r := nw.rank[v] + 1; r > nw.rank[u] {
				nw.rank[u] = r
			}
			if indeg[u]--; indeg[u] == 0 {
				queue = append(queue, u)
			}
		}
	}
}

// feasibleTree grows a spanning tree of tight arcs (slack 0), shifting the
// tree's ranks to make the least slack boundary arc tight when it is stuck.
func (nw *network) feasibleTree() {
	inT := make([]bool, nw.n)
	size := 0
	grow := func(start int) {
		stack := append(nw.stack[:0], start)
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, list := range [2][]int{nw.out[v], nw.in[v]} {
				for _, i := range list {
					a := nw.arcs[i]
					u := a.to
					if u == v {
						u = a.from
					}
					if !inT[u] && nw.slack(i) == 0 {
						inT[u] = true
						nw.inTree[i] = true
						size++
						stack = append(stack, u)
					}
				}
			}
		}
		nw.stack = stack
	}
	inT[0] = true
	size = 1
	grow(0)
	for size < nw.n {
		best, bestSlack := -1, 0
		for i, a := range nw.arcs {
			if inT[a.from] == inT[a.to] {
				continue
			}
			if s := nw.slack(i); best < 0 || s < bestSlack {
				best, bestSlack = i, s
			}
		}
		a := nw.arcs[best]
		delta := bestSlack
		if inT[a.to] {
			delta = -delta
		}
		for v := 0; v < nw.n; v++ {
			if inT[v] {
				nw.rank[v] += delta
			}
		}
		u := a.to
		if inT[u] {
			u = a.from
		}
		inT[u] = true
		nw.inTree[best] = true
		size++
		grow(u)
	}
}

// buildTree roots the tree at node 0, numbers it in postorder and computes
// every cut value from the net outflow of each subtree.
func (nw *network) buildTree() {
	for v := range nw.parent {
		nw.parent[v] = -1
		nw.next[v] = 0
	}
	// Iterative DFS; next[v] walks v's out arcs then its in arcs.
	nw.parent[0] = -2 // visited marker for the root, reset below
	order := 0
	stack := append(nw.stack[:0], 0)
	nw.low[0] = 0
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		k := nw.next[v]
		deg := len(nw.out[v]) + len(nw.in[v])
		pushed := false
		for k < deg {
			var i int
			if k < len(nw.out[v]) {
				i = nw.out[v][k]
			} else {
				i = nw.in[v][k-len(nw.out[v])]
			}
			k++
			if !nw.inTree[i] || i == nw.parent[v] {
				continue
			}
			a := nw.arcs[i]
			u := a.to
			if u == v {
				u = a.from
			}
			nw.parent[u] = i
			nw.low[u] = order
			stack = append(stack, u)
			pushed = true
			break
		}
		nw.next[v] = k
		if pushed {
			continue
		}
		stack = stack[:len(stack)-1]
		nw.lim[v] = order
		order++
		// Net outflow of the subtree of v: its own arcs plus its children.
		out := 0
		for _, i := range nw.out[v] {
			out += nw.arcs[i].w
		}
		for _, i := range nw.in[v] {
			out -= nw.arcs[i].w
		}
		nw.netOut[v] += out
		if p := nw.parent[v]; p >= 0 {
			// Cut value: weight tail side -> head side minus the reverse.
			if nw.arcs[p].from == v {
				nw.cut[p] = nw.netOut[v]
			} else {
				nw.cut[p] = -nw.netOut[v]
			}
			up := nw.arcs[p].from
			if up == v {
				up = nw.arcs[p].to
			}
			nw.netOut[up] += nw.netOut[v]
		}
	}
	nw.stack = stack
	nw.parent[0] = -1
	for v := range nw.netOut {
		nw.netOut[v] = 0
	}
}

// inSubtree reports whether x lies in the tree below v.
func (nw *network) inSubtree(x, v int) bool {
	return nw.low[v] <= nw.lim[x] && nw.lim[x] <= nw.lim[v]
}

// pivot exchanges tree arcs with negative cut values for the tightest
// arc across the same cut until none is left or maxIter is reached.
func (nw *network) pivot(maxIter int) {
	const searchSize = 30
	start := 0
	m := len(nw.arcs)
	for iter := 0; iter < maxIter; iter++ {
		// Leaving arc: the most negative cut value among the first
		// searchSize negative ones, searching on from the last position.
		leave, found := -1, 0
		for k := 0; k < m && found < searchSize; k++ {
			i := (start + k) % m
			if nw.inTree[i] && nw.cut[i] < 0 {
				found++
				if leave < 0 || nw.cut[i] < nw.cut[leave] {
					leave = i
				}
			}
		}
		if leave < 0 {
			return
		}
		start = (leave + 1) % m
		// The subtree side of the leaving arc.
		f := nw.arcs[leave]
		sub := f.to
		if nw.parent[f.from] == leave {
			sub = f.from
		}
		tailSide := sub == f.from
		// Entering arc: from the head side to the tail side, least slack.
		enter, enterSlack := -1, 0
		for i, a := range nw.arcs {
			if nw.inTree[i] {
				continue
			}
			fromIn, toIn := nw.inSubtree(a.from, sub), nw.inSubtree(a.to, sub)
			if fromIn == toIn || toIn != tailSide {
				continue
			}
			if s := nw.slack(i); enter < 0 || s < enterSlack {
				enter, enterSlack = i, s
			}
		}
		if enter < 0 {
			return // cannot happen for a negative cut value; stay safe
		}
		if enterSlack > 0 {
			d := enterSlack
			if tailSide {
				d = -d
			}
			for v := 0; v < nw.n; v++ {
				if nw.inSubtree(v, sub) {
					nw.rank[v] += d
				}
			}
		}
		nw.inTree[leave] = false
		nw.inTree[enter] = true
		nw.buildTree()
	}
}

func (nw *network) normalize() {
	min := 0
	for v, r := range nw.rank {
		if v == 0 || r < min {
			min = r
		}
	}
	for v := range nw.rank {
		nw.rank[v] -= min
	}
}

// balance moves each node whose in-weight equals its out-weight (moving it
// does not change the total edge length) to the feasible layer holding the
// fewest nodes.
func (nw *network) balance() {
	maxRank := 0
	for _, r := range nw.rank {
		maxRank = max(maxRank, r)
	}
	count := make([]int, maxRank+1)
	for _, r := range nw.rank {
		count[r]++
	}
	for v := 0; v < nw.n; v++ {
		wIn, wOut := 0, 0
		lo, hi := 0, maxRank
		for _, i := range nw.in[v] {
			wIn += nw.arcs[i].w
			lo = max(lo, nw.rank[nw.arcs[i].from]+1)
		}
		for _, i := range nw.out[v] {
			wOut += nw.arcs[i].w
			hi = min(hi, nw.rank[nw.arcs[i].to]-1)
		}
		if wIn != wOut {
			continue
		}
		best := nw.rank[v]
		for r := lo; r <= hi; r++ {
			if count[r] < count[best] {
				best = r
			}
		}
		count[nw.rank[v]]--
		count[best]++
		nw.rank[v] = best
	}
}
