package sugiyama

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The fast counters must agree with counting every pair.
func TestCrossingCountersMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var tree []int
	for it := 0; it < 200; it++ {
		n := rng.IntN(40)
		segs := make([]seg, n)
		for i := range segs {
			segs[i] = seg{rng.IntN(8), rng.IntN(8)}
		}
		slices.SortFunc(segs, func(a, b seg) int { return a.top - b.top })
		want := 0
		for i := range segs {
			for j := range segs {
				if segs[i].top < segs[j].top && segs[i].bot > segs[j].bot {
					want++
				}
			}
		}
		if got := countCrossings(segs, 8, &tree); got != want {
			t.Fatalf("countCrossings %v = %d, want %d", segs, got, want)
		}

		a, b := make([]int, rng.IntN(6)), make([]int, rng.IntN(6))
		for i := range a {
			a[i] = rng.IntN(5)
		}
		for i := range b {
			b[i] = rng.IntN(5)
		}
		slices.Sort(a)
		slices.Sort(b)
		wantVW, wantWV := 0, 0
		for _, x := range a {
			for _, y := range b {
				if x > y {
					wantVW++
				} else if x < y {
					wantWV++
				}
			}
		}
		if vw, wv := crossCount(a, b); vw != wantVW || wv != wantWV {
			t.Fatalf("crossCount(%v, %v) = %d, %d, want %d, %d", a, b, vw, wv, wantVW, wantWV)
		}
	}
}

// sortByMedian must order like a comparison sort of the medians with
// ties by index, also when medians differ only in their lowest bits.
func TestSortByMedianMatchesComparisonSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	o := orderer{orderScratch: new(orderScratch)}
	for range 2000 {
		k := 1 + rng.IntN(150) // past sortKeys' insertion limit
		med := make([]float64, k)
		var movable []int
		for i := range med {
			switch rng.IntN(4) {
			case 0:
				med[i] = -1 // no neighbours: not movable
				continue
			case 1:
				med[i] = float64(rng.IntN(5)) / 2
			case 2:
				med[i] = math.Nextafter(float64(rng.IntN(3)), 10)
			default:
				med[i] = rng.Float64() * 4
			}
			movable = append(movable, i)
		}
		reverse := rng.IntN(2) == 0
		want := slices.Clone(movable)
		slices.SortStableFunc(want, func(a, b int) int { return cmp.Compare(med[a], med[b]) })
		if reverse {
			for lo := 0; lo < len(want); {
				hi := lo + 1
				for hi < len(want) && med[want[hi]] == med[want[lo]] {
					hi++
				}
				slices.Reverse(want[lo:hi])
				lo = hi
			}
		}
		if got := o.sortByMedian(med, movable, k, reverse); !slices.Equal(got, want) {
			t.Fatalf("sortByMedian(%v, reverse %v) = %v, want %v", med, reverse, got, want)
		}
	}
}

// Network simplex must find the least total edge length: compare with
// every layering of small random connected DAGs.
func TestRankLayersIsOptimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for it := 0; it < 150; it++ {
		n := 2 + rng.IntN(5)
		var arcs []arc
		for v := 1; v < n; v++ { // a spanning tree keeps it connected
			u := rng.IntN(v)
			arcs = append(arcs, arc{u, v, 1 + rng.IntN(3)})
		}
		for k := rng.IntN(4); k > 0; k-- {
			u, v := rng.IntN(n), rng.IntN(n)
			if u < v {
				arcs = append(arcs, arc{u, v, 1 + rng.IntN(3)})
			}
		}
		arcs = mergeArcs(arcs)
		cost := func(r []int) int {
			c := 0
			for _, a := range arcs {
				if r[a.to]-r[a.from] < 1 {
					return -1
				}
				c += a.w * (r[a.to] - r[a.from])
			}
			return c
		}
		best := -1
		r := make([]int, n)
		var search func(v int)
		search = func(v int) {
			if v == n {
				if c := cost(r); c >= 0 && (best < 0 || c < best) {
					best = c
				}
				return
			}
			for l := 0; l < n; l++ {
				r[v] = l
				search(v + 1)
			}
		}
		search(0)
		got := rankLayers(n, arcs, 0, new(workspace))
		if c := cost(got); c != best {
			t.Fatalf("arcs %v: layers %v cost %d, optimum %d", arcs, got, c, best)
		}
	}
}

// Eades-Lin-Smyth never reverses an arc of a DAG and reverses one arc of
// a simple cycle.
func TestFeedbackOrder(t *testing.T) {
	dag := []arc{{0, 1, 1}, {1, 2, 1}, {0, 2, 1}, {3, 2, 1}, {4, 0, 1}}
	pos := feedbackOrder(5, dag, new(workspace))
	for _, a := range dag {
		if pos[a.from] > pos[a.to] {
			t.Fatalf("DAG arc %v reversed in %v", a, pos)
		}
	}
	ring := []arc{{0, 1, 1}, {1, 2, 1}, {2, 3, 1}, {3, 0, 5}}
	pos = feedbackOrder(4, ring, new(workspace))
	var back []arc
	for _, a := range ring {
		if pos[a.from] > pos[a.to] {
			back = append(back, a)
		}
	}
	if len(back) != 1 || back[0].w != 1 {
		t.Fatalf("ring reversed %v, want one light arc", back)
	}
}

// Sifting never adds crossings.
func TestSiftNeverAddsCrossings(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for it := 0; it < 30; it++ {
		g := &layered{real: 0}
		L := 2 + rng.IntN(4)
		g.layers = make([][]int, L)
		for l := 0; l < L; l++ {
			for k := 1 + rng.IntN(6); k > 0; k-- {
				v := len(g.layer)
				g.layer = append(g.layer, l)
				g.layers[l] = append(g.layers[l], v)
			}
		}
		g.up = make([][]int, len(g.layer))
		g.down = make([][]int, len(g.layer))
		g.pos = make([]int, len(g.layer))
		g.width = make([]float64, len(g.layer))
		for l := 0; l+1 < L; l++ {
			for k := rng.IntN(12); k > 0; k-- {
				a := g.layers[l][rng.IntN(len(g.layers[l]))]
				b := g.layers[l+1][rng.IntN(len(g.layers[l+1]))]
				g.down[a] = append(g.down[a], b)
				g.up[b] = append(g.up[b], a)
			}
		}
		g.crossUp, g.crossDown = g.up, g.down
		o := newOrderer(g, new(workspace))
		o.renumber()
		before := o.total()
		o.sift()
		if after := o.total(); after > before {
			t.Fatalf("sifting raised crossings from %d to %d", before, after)
		}
	}
}

// Crossing reduction counts what a reader sees: an edge drawn along
// another (a call both ways, or the same call listed twice) crosses what
// the other crosses, so the count the ordering minimised is the one
// Crossings measures on the drawing.
func TestOrderingCountsEveryEdgeDrawn(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	opt := DefaultOptions().sanitized()
	for it := 0; it < 40; it++ {
		n := 8 + rng.IntN(40)
		g := Graph{Nodes: make([]Node, n)}
		for v := range g.Nodes {
			g.Nodes[v] = Node{W: 40, H: 20}
		}
		for v := 1; v < n; v++ { // connected: one part
			g.Edges = append(g.Edges, Edge{From: rng.IntN(v), To: v})
		}
		for k := n + rng.IntN(2*n); k > 0; k-- {
			e := Edge{From: rng.IntN(n), To: rng.IntN(n)}
			if e.From == e.To {
				continue
			}
			g.Edges = append(g.Edges, e)
			switch rng.IntN(4) {
			case 0:
				g.Edges = append(g.Edges, Edge{From: e.To, To: e.From})
			case 1:
				g.Edges = append(g.Edges, e)
			}
		}
		c := &component{nodes: make([]int, n), edges: make([]int, len(g.Edges))}
		local := make([]int, n)
		for v := range n {
			c.nodes[v], local[v] = v, v
		}
		for i := range g.Edges {
			c.edges[i] = i
		}
		w := make([]float64, n)
		for v := range w {
			w[v] = 40
		}
		ws := new(workspace)
		c.layout(g, local, w, make([]bool, n), 0, opt, ws)
		if got := Crossings(g, Layout(g, opt)); got != c.crossings {
			t.Fatalf("graph %d: ordering counted %d crossings, the drawing has %d", it, c.crossings, got)
		}
	}
}
