package sugiyama

import "slices"

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
	inTree []bool  // per arc
	tree   [][]int // tree arcs by node
	// Rooted spanning tree: parent arc of each node (-1 for the root),
	// postorder number lim and the lowest lim in the subtree low.
	parent []int
	lim    []int
	low    []int
	post   []int // node by postorder number
	cut    []int // cut value per tree arc
	ws     *workspace
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
func rankLayers(n int, arcs []arc, maxIter int, ws *workspace) []int {
	take := ws.ints.take
	nw := &network{
		n:      n,
		arcs:   arcs,
		ws:     ws,
		inTree: ws.bools.take(len(arcs)),
		tree:   ws.lists.take(n),
		parent: take(n),
		lim:    take(n),
		low:    take(n),
		post:   take(n),
		cut:    take(len(arcs)),
		netOut: take(n),
		next:   take(n),
		rank:   take(n),
		stack:  take(n)[:0], // at most every node
	}
	nw.out, nw.in = incidence(n, arcs, ws)
	// A node has at most its degree in tree arcs: one shared array.
	buf := take(2 * len(arcs))
	for v := range n {
		k := len(nw.out[v]) + len(nw.in[v])
		nw.tree[v], buf = buf[:0:k], buf[k:]
	}
	nw.initRank()
	if n > 1 {
		nw.feasibleTree()
		nw.buildTree()
		if maxIter <= 0 {
			// Enough to reach the optimum on graphs up to a few thousand
			// nodes; bounded so the total work (a pivot costs O(n))
			// stays near 4e6 steps on larger ones.
			maxIter = min(n+100, 4_000_000/n)
		}
		nw.pivot(maxIter)
	}
	nw.normalize()
	nw.balance()
	return nw.rank
}

// initRank is the longest path layering from the sources.
func (nw *network) initRank() {
	indeg := nw.ws.ints.take(nw.n)
	for _, a := range nw.arcs {
		indeg[a.to]++
	}
	queue := nw.ws.ints.take(nw.n)[:0]
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
	inT := nw.ws.bools.take(nw.n)
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
						nw.addTree(i)
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
		nw.addTree(best)
		size++
		grow(u)
	}
}

// buildTree roots the tree at node 0, numbers it in postorder and computes
// every cut value from the net outflow of each subtree.
func (nw *network) buildTree() {
	nw.number(0, -1, 0, true)
}

// number walks the tree below root (reached by parentArc, -1 for the
// root of the whole tree) and sets parent, low and lim, the postorder
// numbers starting at first. With cuts it also sets the cut value of every
// tree arc below root: the net outflow of a subtree is its nodes' own
// outflow plus its children's, and an arc's cut value is the outflow of
// the subtree on its tail side.
func (nw *network) number(root, parentArc, first int, cuts bool) {
	nw.parent[root] = parentArc
	nw.next[root] = 0
	nw.low[root] = first
	order := first
	stack := append(nw.stack[:0], root)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		k := nw.next[v]
		pushed := false
		for k < len(nw.tree[v]) {
			i := nw.tree[v][k]
			k++
			if i == nw.parent[v] {
				continue
			}
			a := nw.arcs[i]
			u := a.to
			if u == v {
				u = a.from
			}
			nw.parent[u] = i
			nw.next[u] = 0
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
		nw.post[order] = v
		order++
		if !cuts {
			continue
		}
		out := nw.netOut[v]
		for _, i := range nw.out[v] {
			out += nw.arcs[i].w
		}
		for _, i := range nw.in[v] {
			out -= nw.arcs[i].w
		}
		nw.netOut[v] = 0
		if p := nw.parent[v]; p >= 0 && v != root {
			a := nw.arcs[p]
			up := a.to
			if a.from == v {
				nw.cut[p] = out
			} else {
				nw.cut[p] = -out
				up = a.from
			}
			nw.netOut[up] += out
		}
	}
	nw.stack = stack
}

// treeUpdate adds (or subtracts) cut to the cut values of the tree arcs
// from v up to the lowest common ancestor of v and w, which it returns.
// dir tells which orientation of an arc gains.
func (nw *network) treeUpdate(v, w, cut int, dir bool) int {
	for !nw.inSubtree(w, v) {
		p := nw.parent[v]
		a := nw.arcs[p]
		if (v == a.from) == dir {
			nw.cut[p] += cut
		} else {
			nw.cut[p] -= cut
		}
		if nw.lim[a.from] > nw.lim[a.to] {
			v = a.from
		} else {
			v = a.to
		}
	}
	return v
}

func (nw *network) addTree(i int) {
	nw.inTree[i] = true
	a := nw.arcs[i]
	nw.tree[a.from] = append(nw.tree[a.from], i)
	nw.tree[a.to] = append(nw.tree[a.to], i)
}

func (nw *network) removeTree(i int) {
	nw.inTree[i] = false
	a := nw.arcs[i]
	for _, v := range [2]int{a.from, a.to} {
		k := slices.Index(nw.tree[v], i)
		nw.tree[v] = slices.Delete(nw.tree[v], k, k+1)
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
	// The tree arcs in a ring the leaving arc is searched in; an
	// entering arc takes the place of the one it replaces.
	ring := nw.ws.ints.take(nw.n)[:0] // a spanning tree has n-1 arcs
	slot := nw.ws.ints.take(len(nw.arcs))
	for i, in := range nw.inTree {
		if in {
			slot[i] = len(ring)
			ring = append(ring, i)
		}
	}
	m := len(ring)
	start := 0
	for iter := 0; iter < maxIter && m > 0; iter++ {
		// Leaving arc: the most negative cut value among the first
		// searchSize negative ones, searching on from the last position.
		leave, found := -1, 0
		for k, at := 0, start; k < m && found < searchSize; k, at = k+1, at+1 {
			if at == m {
				at = 0
			}
			i := ring[at]
			if nw.cut[i] < 0 {
				found++
				if leave < 0 || nw.cut[i] < nw.cut[leave] {
					leave = i
				}
			}
		}
		if leave < 0 {
			return
		}
		start = (slot[leave] + 1) % m
		// The subtree side of the leaving arc.
		f := nw.arcs[leave]
		sub := f.to
		if nw.parent[f.from] == leave {
			sub = f.from
		}
		tailSide := sub == f.from
		// Entering arc: from the head side to the tail side, least slack
		// (then lowest index). Scan the subtree's arcs when it is small.
		enter, enterSlack := -1, 0
		consider := func(i int) {
			a := nw.arcs[i]
			if nw.inTree[i] {
				return
			}
			fromIn, toIn := nw.inSubtree(a.from, sub), nw.inSubtree(a.to, sub)
			if fromIn == toIn || toIn != tailSide {
				return
			}
			if s := nw.slack(i); enter < 0 || s < enterSlack || (s == enterSlack && i < enter) {
				enter, enterSlack = i, s
			}
		}
		// Every candidate has one end on each side: scan the smaller.
		subtree := nw.post[nw.low[sub] : nw.lim[sub]+1]
		side := [][]int{subtree}
		if 2*len(subtree) > nw.n {
			side = [][]int{nw.post[:nw.low[sub]], nw.post[nw.lim[sub]+1:]}
		}
		for _, nodes := range side {
			for _, v := range nodes {
				for _, i := range nw.out[v] {
					consider(i)
				}
				for _, i := range nw.in[v] {
					consider(i)
				}
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
			for _, v := range subtree {
				nw.rank[v] += d
			}
		}
		// Only the cut values on the tree path between the entering arc's
		// ends change, and only the numbering below their common ancestor.
		cut := nw.cut[leave]
		e := nw.arcs[enter]
		lca := nw.treeUpdate(e.from, e.to, cut, true)
		nw.treeUpdate(e.to, e.from, cut, false)
		nw.cut[enter] = -cut
		nw.cut[leave] = 0
		nw.removeTree(leave)
		nw.addTree(enter)
		slot[enter] = slot[leave]
		ring[slot[enter]] = enter
		nw.number(lca, nw.parent[lca], nw.low[lca], false)
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
	count := nw.ws.ints.take(maxRank + 1)
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
