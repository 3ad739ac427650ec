package sugiyama

import (
	"cmp"
	"math"
	"slices"
)

// Layout draws g in layers, top to bottom. Every connected part is laid
// out on its own and the parts are placed side by side, in the order of
// their smallest node index.
func Layout(g Graph, opt Options) Result {
	opt = opt.sanitized()
	n := len(g.Nodes)
	res := Result{Nodes: make([]Placed, n), Edges: make([]Route, len(g.Edges))}
	if n == 0 {
		return res
	}
	ws := workspaces.Get().(*workspace)
	defer ws.release()
	loopW := opt.NodeGap / 2 // room right of a node for its self loop
	w, h := ws.floats.take(n), ws.floats.take(n)
	loop := ws.bools.take(n)
	parent := ws.ints.take(n) // union-find over the edges
	for v, nd := range g.Nodes {
		w[v], h[v], parent[v] = cleanSize(nd.W), cleanSize(nd.H), v
	}
	find := func(v int) int {
		for parent[v] != v {
			parent[v] = parent[parent[v]]
			v = parent[v]
		}
		return v
	}
	valid := func(e Edge) bool { return e.From >= 0 && e.From < n && e.To >= 0 && e.To < n }
	for _, e := range g.Edges {
		if !valid(e) {
			continue
		}
		if e.From == e.To {
			loop[e.From] = true
			continue
		}
		if a, b := find(e.From), find(e.To); a != b {
			parent[max(a, b)] = min(a, b) // the root is the smallest node
		}
	}
	compOf := ws.ints.take(n)
	var comps []*component
	for v := 0; v < n; v++ {
		r := find(v)
		if r == v {
			compOf[v] = len(comps)
			comps = append(comps, &component{})
		} else {
			compOf[v] = compOf[r]
		}
		c := comps[compOf[v]]
		c.nodes = append(c.nodes, v)
	}
	for i, e := range g.Edges {
		if valid(e) && e.From != e.To {
			c := comps[compOf[e.From]]
			c.edges = append(c.edges, i)
		}
	}

	// Lay out the parts, then stack the layers with a common height each.
	local := ws.ints.take(n)
	var layerH []float64
	for _, c := range comps {
		for i, v := range c.nodes {
			local[v] = i
		}
		c.layout(g, local, w, loop, loopW, opt, ws)
		for i, v := range c.nodes {
			l := c.lg.layer[i]
			for len(layerH) <= l {
				layerH = append(layerH, 0)
			}
			layerH[l] = math.Max(layerH[l], h[v])
		}
	}
	res.LayerY = make([]float64, len(layerH))
	y := 0.0
	for l, lh := range layerH {
		if l > 0 {
			y += opt.LayerGap
		}
		res.LayerY[l] = y + lh/2
		y += lh
	}
	res.Height = y
	x0 := 0.0
	for ci, c := range comps {
		if ci > 0 {
			x0 += opt.ComponentGap
		}
		right := 0.0
		for i := range c.lg.layer {
			right = math.Max(right, c.x[i]+c.lg.width[i]/2)
		}
		for i, v := range c.nodes {
			l := c.lg.layer[i]
			res.Nodes[v] = Placed{X: x0 + c.x[i], Y: res.LayerY[l], Layer: l}
		}
		// All routes of the part in one array. The edges of one arc (calls
		// both ways, or one call listed twice) run side by side, each in
		// its lane of the arc's dummies.
		lane := ws.ints.take(len(c.arcs))
		npts := 0
		for k := range c.edges {
			npts += 2*len(c.chain[c.edgeArc[k]]) + 2
		}
		buf := make([]Point, npts)
		for k, e := range c.edges {
			a := c.arcs[c.edgeArc[k]]
			off := (float64(min(lane[c.edgeArc[k]], maxLanes-1)) - float64(lanes(a.w)-1)/2) * laneGap(opt)
			lane[c.edgeArc[k]]++
			from, to := c.nodes[a.from], c.nodes[a.to]
			m := 2*len(c.chain[c.edgeArc[k]]) + 2
			pts := buf[:0:m]
			buf = buf[m:]
			pts = append(pts, Point{res.Nodes[from].X, res.Nodes[from].Y + h[from]/2})
			// Through each layer it crosses the edge runs vertically at
			// its dummy's x, across the layer's whole band, so it can only
			// meet the boxes of the layers it joins.
			for _, d := range c.chain[c.edgeArc[k]] {
				l := c.lg.layer[d]
				x := x0 + c.x[d] + off
				pts = append(pts, Point{x, res.LayerY[l] - layerH[l]/2}, Point{x, res.LayerY[l] + layerH[l]/2})
			}
			pts = append(pts, Point{res.Nodes[to].X, res.Nodes[to].Y - h[to]/2})
			if c.edgeRev[k] {
				slices.Reverse(pts)
			}
			res.Edges[e] = Route{Points: pts, Reversed: c.edgeRev[k]}
		}
		x0 += right
	}
	res.Width = x0
	for i, e := range g.Edges {
		if valid(e) && e.From == e.To {
			p := res.Nodes[e.From]
			r, top, bot := p.X+w[e.From]/2, p.Y-h[e.From]/4, p.Y+h[e.From]/4
			res.Edges[i] = Route{Points: []Point{{r, top}, {r + loopW, top}, {r + loopW, bot}, {r, bot}}}
		}
	}
	return res
}

// maxLanes bounds the lanes of one arc's dummies: more edges than that
// between two nodes share the last, so a graph listing one call a
// thousand times stays narrow.
const maxLanes = 8

// lanes is how many lanes the dummies of an arc of w edges have.
func lanes(w int) int { return min(max(w, 1), maxLanes) }

// laneGap is the distance between two lanes of one arc.
func laneGap(opt Options) float64 { return opt.NodeGap / 3 }

// component is one connected part of the graph being laid out.
type component struct {
	nodes     []int // global indices of its nodes; local index = position
	edges     []int // global indices of its edges (no self loops)
	arcs      []arc // the edges made acyclic, duplicates merged
	edgeArc   []int // per edge: its arc
	edgeRev   []bool
	chain     [][]int // per arc: its dummies, top to bottom
	lg        *layered
	crossings int
	x         []float64
}

func (c *component) layout(g Graph, local []int, w []float64, loop []bool, loopW float64, opt Options, ws *workspace) {
	k := len(c.nodes)
	// Distinct directed pairs with their multiplicity.
	pairs := ws.arcs.take(len(c.edges))[:0]
	for _, e := range c.edges {
		pairs = append(pairs, arc{local[g.Edges[e].From], local[g.Edges[e].To], 1})
	}
	pairs = mergeArcs(pairs)
	width := ws.floats.take(k)
	for i, v := range c.nodes {
		width[i] = w[v]
		if loop[v] {
			width[i] += 2 * loopW
		}
	}
	// The orders that break cycles are taken without the arcs into a
	// source, and the sources are then put first: those arcs, and only
	// they, point backwards on their account. Only orders under which
	// every node a source reaches is still reached along the layers are
	// drawn, so the sources are above all they call; a depth-first
	// search from them gives one.
	source := ws.bools.take(k)
	for i, v := range c.nodes {
		source[i] = g.Nodes[v].Source
	}
	open, sources := pairs, slices.Contains(source, true)
	if sources {
		open = ws.arcs.take(len(pairs))[:0]
		for _, a := range pairs {
			if !source[a.to] {
				open = append(open, a)
			}
		}
	}
	order := func(pos []int) []int { return pos }
	fits := func([]int) bool { return true }
	if sources {
		order = func(pos []int) []int { return sourcesFirst(pos, source, ws) }
		fits = newReach(k, open, source, ws).keptBy
	}
	pos := order(feedbackOrder(k, open, ws))
	if !fits(pos) {
		pos = order(dfsOrder(k, open, source, ws))
	}
	c.build(pairs, pos, width, opt, ws)
	// Which arcs of a cycle to reverse decides the layers, and no rule is
	// best on every graph. A graph with cycles is also drawn with the arcs
	// dot reverses (a depth-first search), and a small one with the greedy
	// choice made on the reversed graph; the drawing with the fewest
	// crossings is kept. An acyclic graph has no arc backwards in any of
	// these orders, so it is drawn once.
	try := func(alt []int) {
		if c.crossings == 0 || !fits(alt) || sameBackArcs(pairs, pos, alt) {
			return
		}
		other := &component{nodes: c.nodes, edges: c.edges}
		other.build(pairs, alt, width, opt, ws)
		if other.crossings < c.crossings {
			pos, *c = alt, *other
		}
	}
	if c.crossings > 0 && hasBackArc(pairs, pos) {
		try(order(dfsOrder(k, open, source, ws)))
		if k <= smallGraph {
			rev := ws.arcs.take(len(open))
			for i, a := range open {
				rev[i] = arc{a.to, a.from, a.w}
			}
			alt := feedbackOrder(k, rev, ws)
			for v := range alt {
				alt[v] = k - 1 - alt[v]
			}
			try(order(alt))
		}
	}
	c.edgeArc = ws.ints.take(len(c.edges))
	c.edgeRev = ws.bools.take(len(c.edges))
	for i, e := range c.edges {
		a, b := local[g.Edges[e].From], local[g.Edges[e].To]
		if pos[a] > pos[b] {
			a, b = b, a
			c.edgeRev[i] = true
		}
		c.edgeArc[i], _ = slices.BinarySearchFunc(c.arcs, arc{from: a, to: b}, cmpArc)
	}
	c.x = c.lg.place(opt.NodeGap, ws)
	c.lg.relax(c.x, opt.NodeGap, opt.CompactSweeps, ws)
}

// sourcesFirst moves the sources to the front of the node order pos (the
// position of each node), each part keeping its order, and returns pos.
func sourcesFirst(pos []int, source []bool, ws *workspace) []int {
	byPos := ws.ints.take(len(pos))
	for v, p := range pos {
		byPos[p] = v
	}
	next := 0
	for _, first := range []bool{true, false} {
		for _, v := range byPos {
			if source[v] == first {
				pos[v] = next
				next++
			}
		}
	}
	return pos
}

// reach is what the sources of a graph reach along its arcs.
type reach struct {
	arcs   []arc
	out    [][]int
	source []bool
	seen   []bool
	queue  []int
	all    int // nodes reached along every arc
}

func newReach(n int, arcs []arc, source []bool, ws *workspace) *reach {
	out, _ := incidence(n, arcs, ws)
	r := &reach{arcs: arcs, out: out, source: source, seen: ws.bools.take(n), queue: ws.ints.take(n)[:0]}
	r.all = r.along(nil)
	return r
}

// along counts the nodes the sources reach along the arcs pointing
// forwards in the order pos (every arc when pos is nil).
func (r *reach) along(pos []int) int {
	clear(r.seen)
	q := r.queue[:0]
	for v, s := range r.source {
		if s {
			r.seen[v] = true
			q = append(q, v)
		}
	}
	for i := 0; i < len(q); i++ {
		for _, j := range r.out[q[i]] {
			if u := r.arcs[j].to; !r.seen[u] && (pos == nil || pos[u] > pos[q[i]]) {
				r.seen[u] = true
				q = append(q, u)
			}
		}
	}
	return len(q)
}

// keptBy reports whether every node the sources reach is still reached
// along the arcs that point forwards in the order pos; trivially so when
// none points backwards (an acyclic graph, as most traces are).
func (r *reach) keptBy(pos []int) bool {
	return !hasBackArc(r.arcs, pos) || r.along(pos) == r.all
}

// hasBackArc reports whether the order pos points an arc backwards.
func hasBackArc(arcs []arc, pos []int) bool {
	for _, a := range arcs {
		if pos[a.from] > pos[a.to] {
			return true
		}
	}
	return false
}

// sameBackArcs reports whether the orders p and q point the same arcs
// backwards.
func sameBackArcs(arcs []arc, p, q []int) bool {
	for _, a := range arcs {
		if (p[a.from] > p[a.to]) != (q[a.from] > q[a.to]) {
			return false
		}
	}
	return true
}

// build turns the arcs acyclic by the node order pos, assigns layers,
// adds the dummies and orders the layers.
func (c *component) build(pairs []arc, pos []int, width []float64, opt Options, ws *workspace) {
	k := len(pos)
	arcs := ws.arcs.take(len(pairs))
	copy(arcs, pairs)
	for i, a := range arcs {
		if pos[a.from] > pos[a.to] {
			arcs[i].from, arcs[i].to = a.to, a.from
		}
	}
	c.arcs = mergeArcs(arcs)
	rank := rankLayers(k, c.arcs, opt.RankIterations, ws)

	// Every arc becomes a chain of links through its dummies; size all
	// lists first so they share a few arrays.
	straight := straightArcs(c.arcs, rank, opt.MaxDummies, ws)
	deg := ws.ints.take(2 * k) // links down from, and up into, each real node
	dummies, links := 0, 0
	weighted := false
	for i, a := range c.arcs {
		if !straight[i] {
			weighted = weighted || a.w > 1
			span := rank[a.to] - rank[a.from] - 1
			dummies += span
			links += span + 1
			deg[a.from]++
			deg[k+a.to]++
		}
	}
	size := k + dummies
	lg := &layered{real: k, layer: ws.ints.take(size)[:k], width: ws.floats.take(size)[:k],
		up: ws.lists.take(size), down: ws.lists.take(size)}
	c.lg = lg
	copy(lg.layer, rank)
	copy(lg.width, width)
	buf := ws.ints.take(2 * links)
	for v := range size {
		down, up := 1, 1 // a dummy's
		if v < k {
			down, up = deg[v], deg[k+v]
		}
		lg.down[v], buf = buf[:0:down], buf[down:]
		lg.up[v], buf = buf[:0:up], buf[up:]
	}
	c.chain = ws.lists.take(len(c.arcs))
	chains := ws.ints.take(dummies)
	link := func(a, b int) {
		lg.down[a] = append(lg.down[a], b)
		lg.up[b] = append(lg.up[b], a)
	}
	for i, a := range c.arcs {
		if straight[i] {
			continue
		}
		prev := a.from
		span := rank[a.to] - rank[a.from] - 1
		c.chain[i], chains = chains[:0:span], chains[span:]
		for l := rank[a.from] + 1; l < rank[a.to]; l++ {
			d := len(lg.layer)
			lg.layer = append(lg.layer, l)
			lg.width = append(lg.width, float64(lanes(a.w)-1)*laneGap(opt))
			c.chain[i] = append(c.chain[i], d)
			link(prev, d)
			prev = d
		}
		link(prev, a.to)
	}
	lg.crossUp, lg.crossDown = lg.up, lg.down
	if weighted {
		lg.weightLinks(c.arcs, c.chain, straight, ws)
	}
	maxL := 0
	for _, l := range lg.layer {
		maxL = max(maxL, l)
	}
	// Each layer's list gets its final size up front.
	count := ws.ints.take(maxL + 1)
	for _, l := range lg.layer {
		count[l]++
	}
	lg.layers = ws.lists.take(maxL + 1)
	for l, n := range count {
		lg.layers[l] = ws.ints.take(n)[:0]
	}
	lg.pos = ws.ints.take(len(lg.layer))
	c.crossings = lg.reduceCrossings(opt.OrderPasses, ws)
}

// weightLinks sets crossUp and crossDown: every link of an arc repeated
// as many times as edges were merged into it (a call both ways, or the
// same call twice), so that crossing reduction counts the crossings of
// every edge drawn, as Crossings and a reader do, not those of the arcs.
func (g *layered) weightLinks(arcs []arc, chain [][]int, straight []bool, ws *workspace) {
	n := g.size()
	deg := ws.ints.take(2 * n) // weighted links down from, and up into, each node
	links := 0
	for i, a := range arcs {
		if straight[i] {
			continue
		}
		deg[a.from] += a.w
		deg[n+a.to] += a.w
		for _, d := range chain[i] {
			deg[d] += a.w
			deg[n+d] += a.w
		}
		links += a.w * (len(chain[i]) + 1)
	}
	g.crossUp, g.crossDown = ws.lists.take(n), ws.lists.take(n)
	buf := ws.ints.take(2 * links)
	for v := range n {
		g.crossDown[v], buf = buf[:0:deg[v]], buf[deg[v]:]
		g.crossUp[v], buf = buf[:0:deg[n+v]], buf[deg[n+v]:]
	}
	for i, a := range arcs {
		if straight[i] {
			continue
		}
		prev := a.from
		for _, next := range append(chain[i], a.to) {
			for range a.w {
				g.crossDown[prev] = append(g.crossDown[prev], next)
				g.crossUp[next] = append(g.crossUp[next], prev)
			}
			prev = next
		}
	}
}

// straightArcs picks the long arcs that get no dummies when all of them
// would need more than budget: the longest ones, so dense graphs with
// long edges stay near linear in size. They are drawn as straight lines
// and take no part in ordering.
func straightArcs(arcs []arc, rank []int, budget int, ws *workspace) []bool {
	straight := ws.bools.take(len(arcs))
	span := func(i int) int { return rank[arcs[i].to] - rank[arcs[i].from] - 1 }
	var long []int
	total := 0
	for i := range arcs {
		if s := span(i); s > 0 {
			long = append(long, i)
			total += s
		}
	}
	if total <= budget {
		return straight
	}
	slices.SortStableFunc(long, func(a, b int) int { return span(a) - span(b) })
	used := 0
	for _, i := range long {
		if used+span(i) <= budget {
			used += span(i)
		} else {
			straight[i] = true
		}
	}
	return straight
}

func cmpArc(a, b arc) int {
	if c := cmp.Compare(a.from, b.from); c != 0 {
		return c
	}
	return cmp.Compare(a.to, b.to)
}

// mergeArcs sorts arcs and merges equal ones, adding their weights.
func mergeArcs(arcs []arc) []arc {
	slices.SortFunc(arcs, cmpArc)
	out := arcs[:0]
	for _, a := range arcs {
		if len(out) > 0 && cmpArc(out[len(out)-1], a) == 0 {
			out[len(out)-1].w += a.w
			continue
		}
		out = append(out, a)
	}
	return out
}
