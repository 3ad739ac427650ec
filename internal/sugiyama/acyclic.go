package sugiyama

// arc is a weighted edge of a simple directed graph on local node indices.
type arc struct {
	from, to int
	w        int
}

// feedbackOrder orders the nodes so that few arcs (by weight) point
// backwards, with the greedy heuristic of Eades, Lin and Smyth: sinks go to
// the end, sources to the front, otherwise the node with the largest
// out-weight minus in-weight goes to the front. Arcs must have from != to.
// It returns the position of each node in that order.
func feedbackOrder(n int, arcs []arc, ws *workspace) []int {
	out, in := incidence(n, arcs, ws)
	ints := ws.ints.take(3 * n)
	outDeg, inDeg, delta := ints[:n:n], ints[n:2*n:2*n], ints[2*n:] // delta: remaining out-weight minus in-weight
	for _, a := range arcs {
		outDeg[a.from]++
		inDeg[a.to]++
		delta[a.from] += a.w
		delta[a.to] -= a.w
	}
	removed := ws.bools.take(n)
	// Every node enters each list at most once.
	sinks, sources := ws.ints.take(n)[:0], ws.ints.take(n)[:0]
	var h deltaHeap
	for v := 0; v < n; v++ {
		switch {
		case outDeg[v] == 0:
			sinks = append(sinks, v)
		case inDeg[v] == 0:
			sources = append(sources, v)
		default:
			h.push(deltaItem{v, delta[v]})
		}
	}
	front := ws.ints.take(n)[:0]
	back := ws.ints.take(n)[:0] // filled from the end: reversed at the finish
	remove := func(v int) {
		removed[v] = true
		for _, i := range out[v] {
			u := arcs[i].to
			if removed[u] {
				continue
			}
			inDeg[u]--
			delta[u] += arcs[i].w
			if inDeg[u] == 0 {
				sources = append(sources, u)
			} else {
				h.push(deltaItem{u, delta[u]})
			}
		}
		for _, i := range in[v] {
			u := arcs[i].from
			if removed[u] {
				continue
			}
			outDeg[u]--
			delta[u] -= arcs[i].w
			if outDeg[u] == 0 {
				sinks = append(sinks, u)
			} else {
				h.push(deltaItem{u, delta[u]})
			}
		}
	}
	// take moves the last node of a stack to dst unless it is gone.
	take := func(stack, dst *[]int) bool {
		v := (*stack)[len(*stack)-1]
		*stack = (*stack)[:len(*stack)-1]
		if removed[v] {
			return false
		}
		*dst = append(*dst, v)
		remove(v)
		return true
	}
	for left := n; left > 0; {
		if len(sinks) > 0 {
			if take(&sinks, &back) {
				left--
			}
			continue
		}
		if len(sources) > 0 {
			if take(&sources, &front) {
				left--
			}
			continue
		}
		it := h.pop()
		if removed[it.v] || it.delta != delta[it.v] {
			continue // stale entry
		}
		front = append(front, it.v)
		remove(it.v)
		left--
	}
	pos := ws.ints.take(n)
	for i, v := range front {
		pos[v] = i
	}
	for i, v := range back {
		pos[v] = n - 1 - i
	}
	return pos
}

type deltaItem struct{ v, delta int }

// before orders the heap: the largest delta first, the smallest node on
// ties, so the order is deterministic.
func (a deltaItem) before(b deltaItem) bool {
	if a.delta != b.delta {
		return a.delta > b.delta
	}
	return a.v < b.v
}

// deltaHeap is a binary heap of deltaItems (typed, so pushes do not box).
type deltaHeap []deltaItem

func (h *deltaHeap) push(x deltaItem) {
	*h = append(*h, x)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[i].before(s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *deltaHeap) pop() deltaItem {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		c := 2*i + 1
		if c >= len(s) {
			break
		}
		if c+1 < len(s) && s[c+1].before(s[c]) {
			c++
		}
		if !s[c].before(s[i]) {
			break
		}
		s[i], s[c] = s[c], s[i]
		i = c
	}
	*h = s
	return top
}

// incidence lists the arcs leaving (out) and entering (in) every node, in
// arc order, in two shared arrays.
func incidence(n int, arcs []arc, ws *workspace) (out, in [][]int) {
	out, in = ws.lists.take(n), ws.lists.take(n)
	deg := ws.ints.take(2 * n)
	for _, a := range arcs {
		deg[a.from]++
		deg[n+a.to]++
	}
	buf := ws.ints.take(2 * len(arcs))
	for v := range n {
		out[v], buf = buf[:0:deg[v]], buf[deg[v]:]
		in[v], buf = buf[:0:deg[n+v]], buf[deg[n+v]:]
	}
	for i, a := range arcs {
		out[a.from] = append(out[a.from], i)
		in[a.to] = append(in[a.to], i)
	}
	return out, in
}

// dfsOrder orders the nodes the way dot breaks cycles: the reverse
// postorder of a depth-first search along the arcs, started from the nodes
// in index order (those marked first before the others), so the arcs that
// point backwards are those closing a cycle on the search's path. It
// returns the position of each node.
func dfsOrder(n int, arcs []arc, first []bool, ws *workspace) []int {
	out, _ := incidence(n, arcs, ws)
	visited := ws.bools.take(n)
	next := ws.ints.take(n) // per node on the stack: its next out-arc
	stack := ws.ints.take(n)[:0]
	pos := ws.ints.take(n)
	done := 0
	search := func(s int) {
		visited[s] = true
		stack = append(stack, s)
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			if next[v] < len(out[v]) {
				u := arcs[out[v][next[v]]].to
				next[v]++
				if !visited[u] {
					visited[u] = true
					stack = append(stack, u)
				}
				continue
			}
			stack = stack[:len(stack)-1]
			done++
			pos[v] = n - done
		}
	}
	for _, marked := range []bool{true, false} {
		for s := range n {
			if !visited[s] && first[s] == marked {
				search(s)
			}
		}
	}
	return pos
}
