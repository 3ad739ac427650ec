package sugiyama

import "container/heap"

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
func feedbackOrder(n int, arcs []arc) []int {
	out := make([][]int, n)
	in := make([][]int, n)
	outDeg := make([]int, n)
	inDeg := make([]int, n)
	delta := make([]int, n) // remaining out-weight minus in-weight
	for i, a := range arcs {
		out[a.from] = append(out[a.from], i)
		in[a.to] = append(in[a.to], i)
		outDeg[a.from]++
		inDeg[a.to]++
		delta[a.from] += a.w
		delta[a.to] -= a.w
	}
	removed := make([]bool, n)
	var sinks, sources []int
	h := &deltaHeap{}
	for v := 0; v < n; v++ {
		switch {
		case outDeg[v] == 0:
			sinks = append(sinks, v)
		case inDeg[v] == 0:
			sources = append(sources, v)
		default:
			heap.Push(h, deltaItem{v, delta[v]})
		}
	}
	front := make([]int, 0, n)
	back := make([]int, 0, n) // filled from the end: reversed at the finish
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
				heap.Push(h, deltaItem{u, delta[u]})
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
				heap.Push(h, deltaItem{u, delta[u]})
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
		it := heap.Pop(h).(deltaItem)
		if removed[it.v] || it.delta != delta[it.v] {
			continue // stale entry
		}
		front = append(front, it.v)
		remove(it.v)
		left--
	}
	pos := make([]int, n)
	for i, v := range front {
		pos[v] = i
	}
	for i, v := range back {
		pos[v] = n - 1 - i
	}
	return pos
}

type deltaItem struct{ v, delta int }

// deltaHeap pops the largest delta first, the smallest node on ties, so the
// order is deterministic.
type deltaHeap []deltaItem

func (h deltaHeap) Len() int { return len(h) }
func (h deltaHeap) Less(i, j int) bool {
	if h[i].delta != h[j].delta {
		return h[i].delta > h[j].delta
	}
	return h[i].v < h[j].v
}
func (h deltaHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *deltaHeap) Push(x any)   { *h = append(*h, x.(deltaItem)) }
func (h *deltaHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
