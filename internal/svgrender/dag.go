package svgrender

import (
	"cmp"
	"math"
	"slices"
	"strconv"

	"github.com/tracemap/tracemap/internal/colorscale"
	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/sugiyama"
)

// Node boxes are drawn at the size and place the layout gave them
// (servicedag.NodeSize is the one definition of that size), so the layout
// is computed for exactly the boxes drawn. Edges run from a port on the
// caller's border through the layout's dummy nodes, vertically through
// each layer they cross, to a port on the callee's border: between layers
// they cross only the free gap, inside a layer only the room the layout
// kept for the dummy node, so they never cross a box.
const (
	edgeFont    = 10.0 // px of the edge label
	lineFont    = 10.0 // px of a node's second to fourth lines
	stripeW     = 7    // the service-colour stripe on a node's left
	portInset   = 14   // ports keep this far from a box's corners
	loopW       = 16   // a self call's loop, right of its node
	dagPad      = 24   // around the drawing: room for loops and edge labels
	labelH      = 14   // height of an edge label's box
	labelMargin = 3    // free space kept around an edge label
)

type box struct{ cx, cy, w, h float64 }

func (b box) left() float64   { return b.cx - b.w/2 }
func (b box) right() float64  { return b.cx + b.w/2 }
func (b box) top() float64    { return b.cy - b.h/2 }
func (b box) bottom() float64 { return b.cy + b.h/2 }

// overlaps reports whether two boxes, each grown by m, intersect.
func (b box) overlaps(c box, m float64) bool {
	return math.Abs(b.cx-c.cx) < (b.w+c.w)/2+m && math.Abs(b.cy-c.cy) < (b.h+c.h)/2+m
}

// edgeLabel is where an edge's "N calls" label went (ok false: nowhere
// free; the counts stay in the edge's tooltip).
type edgeLabel struct {
	ok   bool
	at   box
	text string
	errs string
}

// dagView is a DAG placed for drawing.
type dagView struct {
	dag   *servicedag.DAG
	heat  HeatFunc
	scale colorscale.Scale
	rule  heat.HotRule
	trace *traceVerdict // nil for a service map
	slot  map[string]int
	link  func(int) (string, string)
	boxes []box
	// shown lists the nodes drawn (all but the smallest of a huge graph).
	shown   []int
	isShown []bool
	paths   [][]sugiyama.Point // per edge, border to border; nil when not drawn
	labels  []edgeLabel
	w, h    float64 // size of the drawing including dagPad
	// maxCalls scales edge widths.
	maxCalls int64
	// Verdicts per node, computed once for the drawing and the header.
	verdicts []nodeVerdict
}

func newDAGView(dag *servicedag.DAG, hf HeatFunc, opt Options, tv *traceVerdict) *dagView {
	v := &dagView{dag: dag, heat: hf, scale: opt.Scale, rule: opt.hotRule(), trace: tv, link: opt.NodeLink}
	if dag == nil || len(dag.Nodes) == 0 {
		return v
	}
	v.boxes = make([]box, len(dag.Nodes))
	services := make([]string, len(dag.Nodes))
	for i, n := range dag.Nodes {
		w, h := n.W, n.H
		if !(w > 0 && w < 1e5 && h > 0 && h < 1e5) { // not laid out, or broken
			w, h = servicedag.NodeSize(n.Name)
		}
		v.boxes[i] = box{cx: finite(n.X), cy: finite(n.Y), w: w, h: h}
		services[i] = nodeService(&dag.Nodes[i])
	}
	v.slot = serviceSlots(services)
	v.selectNodes()
	v.verdicts = make([]nodeVerdict, len(dag.Nodes))
	for _, i := range v.shown {
		v.verdicts[i] = v.verdict(i)
	}
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	grow := func(x, y float64) {
		minX, maxX = min(minX, x), max(maxX, x)
		minY, maxY = min(minY, y), max(maxY, y)
	}
	for _, i := range v.shown {
		b := v.boxes[i]
		grow(b.left(), b.top())
		grow(b.right(), b.bottom())
	}
	v.paths = make([][]sugiyama.Point, len(dag.Edges))
	v.labels = make([]edgeLabel, len(dag.Edges))
	edges := v.selectEdges()
	for _, i := range edges {
		v.maxCalls = max(v.maxCalls, dag.Edges[i].Calls)
	}
	v.routeAll(edges)
	v.placeLabels(edges)
	for _, i := range edges {
		for _, p := range v.paths[i] {
			grow(p.X, p.Y)
		}
		if l := v.labels[i]; l.ok {
			grow(l.at.left(), l.at.top())
			grow(l.at.right(), l.at.bottom())
		}
	}
	// Shift everything so the drawing starts at (dagPad, dagPad).
	dx, dy := dagPad-minX, dagPad-minY
	for i := range v.boxes {
		v.boxes[i].cx += dx
		v.boxes[i].cy += dy
	}
	for i, p := range v.paths {
		for j := range p {
			p[j].X += dx
			p[j].Y += dy
		}
		v.labels[i].at.cx += dx
		v.labels[i].at.cy += dy
	}
	v.w, v.h = maxX-minX+2*dagPad, maxY-minY+2*dagPad
	return v
}

// nodeService is the service a node stands for (a virtual node: its peer).
func nodeService(n *servicedag.Node) string {
	if n.Service != "" {
		return n.Service
	}
	return n.Name
}

// finite keeps a layout coordinate usable: NaN becomes 0 and anything
// beyond a million pixels is clamped, so a broken layout can neither break
// the document nor blow up its size.
func finite(f float64) float64 {
	const limit = 1e6
	switch {
	case math.IsNaN(f):
		return 0
	case f > limit:
		return limit
	case f < -limit:
		return -limit
	}
	return f
}

// Bounds on what one graph draws: a trace or window can name thousands of
// services, the picture stays readable and its size bounded.
const (
	maxNodes = 300
	maxEdges = 1200
)

// selectNodes picks the nodes to draw: all, or the maxNodes with the most
// spans (ties by index), in index order.
func (v *dagView) selectNodes() {
	v.shown = make([]int, len(v.boxes))
	for i := range v.shown {
		v.shown[i] = i
	}
	v.isShown = make([]bool, len(v.boxes))
	if len(v.shown) > maxNodes {
		slices.SortStableFunc(v.shown, func(a, b int) int { return cmp.Compare(v.dag.Nodes[b].Spans, v.dag.Nodes[a].Spans) })
		v.shown = v.shown[:maxNodes]
		slices.Sort(v.shown)
	}
	for _, i := range v.shown {
		v.isShown[i] = true
	}
}

// selectEdges returns the edges to draw: those between drawn nodes, at most
// maxEdges of them (the most called, ties by index), in index order.
func (v *dagView) selectEdges() []int {
	var ids []int
	for i, e := range v.dag.Edges {
		if e.From >= 0 && e.From < len(v.boxes) && e.To >= 0 && e.To < len(v.boxes) && v.isShown[e.From] && v.isShown[e.To] {
			ids = append(ids, i)
		}
	}
	if len(ids) > maxEdges {
		slices.SortStableFunc(ids, func(a, b int) int { return cmp.Compare(v.dag.Edges[b].Calls, v.dag.Edges[a].Calls) })
		ids = ids[:maxEdges]
		slices.Sort(ids)
	}
	return ids
}

// port is one edge end on the top or bottom side of a box.
type port struct {
	edge int
	out  bool    // the edge's start (else its end)
	toX  float64 // x of the route's next point away from the box
}

// routeAll routes the edges: the layout's interior points (one dummy per
// layer crossed) become vertical runs through their layers, and each end
// gets its own port, spread along the box side in the order of where the
// edges go, so edges leave and enter a box without crossing each other
// there.
func (v *dagView) routeAll(edges []int) {
	band := 0.0 // half the height of a layer's band
	for _, i := range v.shown {
		band = max(band, v.boxes[i].h/2)
	}
	inner := make([][]sugiyama.Point, len(v.dag.Edges))
	sides := map[[2]int][]port{} // (node, 0 top / 1 bottom) -> ports
	for _, i := range edges {
		e := v.dag.Edges[i]
		if e.From == e.To {
			continue
		}
		a, b := v.boxes[e.From], v.boxes[e.To]
		if a.cy == b.cy { // one layer (a broken layout): border to border
			continue
		}
		down := a.cy < b.cy
		var mid []sugiyama.Point
		if n := len(e.Points); n > 2 {
			for _, p := range e.Points[1 : n-1] {
				q := sugiyama.Point{X: finite(p.X), Y: finite(p.Y)}
				if (down && q.Y > a.cy && q.Y < b.cy) || (!down && q.Y < a.cy && q.Y > b.cy) {
					// sugiyama gives a run through each layer as two points
					// at one x; older encodings one point: either way one
					// run per layer, centred on the layer.
					if k := len(mid) - 1; k >= 0 && mid[k].X == q.X && math.Abs(mid[k].Y-q.Y) <= 2*band+1 {
						mid[k].Y = (mid[k].Y + q.Y) / 2
						continue
					}
					mid = append(mid, q)
				}
			}
		}
		// Each dummy becomes a vertical run through its layer's band.
		run := make([]sugiyama.Point, 0, 2*len(mid))
		for _, q := range mid {
			if down {
				run = append(run, sugiyama.Point{X: q.X, Y: q.Y - band}, sugiyama.Point{X: q.X, Y: q.Y + band})
			} else {
				run = append(run, sugiyama.Point{X: q.X, Y: q.Y + band}, sugiyama.Point{X: q.X, Y: q.Y - band})
			}
		}
		inner[i] = run
		firstX, lastX := b.cx, a.cx
		if len(run) > 0 {
			firstX, lastX = run[0].X, run[len(run)-1].X
		}
		fromSide, toSide := 1, 0
		if !down {
			fromSide, toSide = 0, 1
		}
		sides[[2]int{e.From, fromSide}] = append(sides[[2]int{e.From, fromSide}], port{edge: i, out: true, toX: firstX})
		sides[[2]int{e.To, toSide}] = append(sides[[2]int{e.To, toSide}], port{edge: i, toX: lastX})
	}
	start := make([]sugiyama.Point, len(v.dag.Edges))
	end := make([]sugiyama.Point, len(v.dag.Edges))
	keys := make([][2]int, 0, len(sides))
	for k := range sides {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]int) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return cmp.Compare(a[1], b[1])
	})
	for _, k := range keys {
		ps := sides[k]
		slices.SortStableFunc(ps, func(a, b port) int {
			if c := cmp.Compare(a.toX, b.toX); c != 0 {
				return c
			}
			return cmp.Compare(a.edge, b.edge)
		})
		b := v.boxes[k[0]]
		y := b.top()
		if k[1] == 1 {
			y = b.bottom()
		}
		span := max(b.w-2*portInset, 0)
		for j, p := range ps {
			x := b.cx
			if len(ps) > 1 {
				x = b.left() + portInset + span*float64(j)/float64(len(ps)-1)
			}
			if len(ps) > 1 && len(ps) <= 3 { // a few edges: closer to the middle
				x = b.cx + (x-b.cx)/2
			}
			if p.out {
				start[p.edge] = sugiyama.Point{X: x, Y: y}
			} else {
				end[p.edge] = sugiyama.Point{X: x, Y: y}
			}
		}
	}
	for _, i := range edges {
		e := v.dag.Edges[i]
		a, b := v.boxes[e.From], v.boxes[e.To]
		switch {
		case e.From == e.To:
			r := a.right()
			v.paths[i] = []sugiyama.Point{{X: r, Y: a.cy - 10}, {X: r + loopW, Y: a.cy - 10}, {X: r + loopW, Y: a.cy + 10}, {X: r, Y: a.cy + 10}}
		case a.cy == b.cy:
			pa, pb := sugiyama.Point{X: a.cx, Y: a.cy}, sugiyama.Point{X: b.cx, Y: b.cy}
			v.paths[i] = []sugiyama.Point{a.border(pb), b.border(pa)}
		default:
			pts := make([]sugiyama.Point, 0, len(inner[i])+2)
			pts = append(pts, start[i])
			pts = append(pts, inner[i]...)
			v.paths[i] = append(pts, end[i])
		}
	}
}

// border is where the segment from the box centre towards p leaves the box.
func (b box) border(p sugiyama.Point) sugiyama.Point {
	dx, dy := p.X-b.cx, p.Y-b.cy
	t := 1.0
	if dx != 0 {
		t = min(t, b.w/2/math.Abs(dx))
	}
	if dy != 0 {
		t = min(t, b.h/2/math.Abs(dy))
	}
	return sugiyama.Point{X: b.cx + t*dx, Y: b.cy + t*dy}
}

// placeLabels puts each edge's label on the first free spot along the
// parts of its route that run between layers (the middle of each such
// segment first, then towards its ends), the most called edges first; a
// spot is free when it overlaps no box and no label already placed.
func (v *dagView) placeLabels(edges []int) {
	order := slices.Clone(edges)
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(v.dag.Edges[b].Calls, v.dag.Edges[a].Calls) })
	var taken []box
	for _, i := range v.shown {
		taken = append(taken, v.boxes[i])
	}
	for _, i := range order {
		e := &v.dag.Edges[i]
		l := edgeLabel{text: strconv.FormatInt(e.Calls, 10) + plural(e.Calls, " call", " calls")}
		if e.Errors > 0 {
			l.errs = " · " + strconv.FormatInt(e.Errors, 10) + " err"
		}
		w := servicedag.TextWidth(l.text+l.errs, edgeFont, false, 64) + 6
		pts := v.paths[i]
	search:
		for _, frac := range [...]float64{0.5, 0.3, 0.7, 0.15, 0.85} {
			for j := 1; j < len(pts); j++ {
				p, q := pts[j-1], pts[j]
				if p.X == q.X && len(pts) > 2 && e.From != e.To { // a run through a layer
					continue
				}
				c := box{cx: p.X + frac*(q.X-p.X), cy: p.Y + frac*(q.Y-p.Y), w: w, h: labelH}
				if e.From == e.To {
					c.cx = q.X + w/2 + 4
					c.cy = (p.Y + q.Y) / 2
				}
				if v.free(c, taken) {
					l.ok, l.at = true, c
					taken = append(taken, c)
					break search
				}
			}
		}
		v.labels[i] = l
	}
}

func (v *dagView) free(c box, taken []box) bool {
	for _, t := range taken {
		if c.overlaps(t, labelMargin) {
			return false
		}
	}
	return true
}

// nodeStats is the window statistics that colour a node: its service's,
// when heat knows the service.
func (v *dagView) nodeStats(n *servicedag.Node) (heat.Stats, bool) {
	if v.heat == nil {
		return heat.Stats{}, false
	}
	return v.heat(nodeService(n))
}

// section writes the graph's title, its key and the graph (or a note that
// there is none) below y, centred in a page width wide.
func (v *dagView) section(o *out, width, y float64, what string) {
	textAt(o, "h3", margin, y)
	o.raw(`Service graph<tspan class="mut" font-weight="normal"> · fill: own-error rate · stripe: service · thick border: hot · outer border: culprit (dashed: time) · dashed box: uninstrumented</tspan>`)
	if len(v.shown) < len(v.boxes) {
		o.raw(`<tspan class="ee"> · the `)
		o.i(int64(len(v.shown)))
		o.raw(" busiest of ")
		o.i(int64(len(v.boxes)))
		o.raw(" services</tspan>")
	}
	o.raw("</text>\n")
	if len(v.boxes) == 0 {
		textAt(o, "mut", margin, y+30)
		o.raw("no services in this ")
		o.raw(what)
		o.raw("</text>\n")
		return
	}
	v.draw(o, (width-v.w)/2, y+14, what)
}

// sectionHeight is the height section takes below its y.
func (v *dagView) sectionHeight() float64 {
	if len(v.boxes) == 0 {
		return 40
	}
	return 14 + v.h
}

// draw writes the DAG with its top-left corner at (x, y). what names the
// node counts in tooltips ("trace" or "window").
func (v *dagView) draw(o *out, x, y float64, what string) {
	if len(v.boxes) == 0 {
		return
	}
	o.raw(`<g transform="translate(`)
	o.f(x)
	o.raw(",")
	o.f(y)
	o.raw(`)">`)
	for i := range v.dag.Edges {
		v.drawEdge(o, i, what)
	}
	for _, i := range v.shown {
		v.drawNode(o, i, what)
	}
	for i := range v.dag.Edges {
		v.drawEdgeLabel(o, i)
	}
	o.raw("</g>\n")
}

func (v *dagView) edgeWidth(calls int64) float64 {
	if v.maxCalls <= 1 || calls <= 1 {
		return 1.5
	}
	return 1.5 + 4.5*math.Log1p(float64(calls))/math.Log1p(float64(v.maxCalls))
}

func (v *dagView) drawEdge(o *out, i int, what string) {
	e := &v.dag.Edges[i]
	pts := v.paths[i]
	if len(pts) < 2 {
		return
	}
	cls := "e"
	if e.Errors > 0 {
		cls = "e ee"
	}
	if e.Reversed {
		cls += " er"
	}
	o.raw(`<g class="`)
	o.raw(cls)
	o.raw(`"><title>`)
	from, to := &v.dag.Nodes[e.From], &v.dag.Nodes[e.To]
	o.text(from.Name, maxTooltip)
	o.raw(" → ")
	o.text(to.Name, maxTooltip)
	counts(o, e.Calls, " calls, ", e.Errors, what)
	if e.Calls > 0 {
		o.raw("\nmean callee duration ")
		o.raw(fmtDur(e.DurationNs / e.Calls))
	}
	if e.Reversed {
		o.raw("\ndrawn against the layer order (the graph has a cycle)")
	}
	o.raw(`</title><path d="M`)
	for j, p := range pts {
		if j > 0 {
			o.raw(" L")
		}
		o.f(p.X)
		o.raw(" ")
		o.f(p.Y)
	}
	w := v.edgeWidth(e.Calls)
	o.raw(`" stroke-width="`)
	o.f(w)
	o.raw(`"/>`)
	// Arrow head at the callee, along the last segment.
	p, q := pts[len(pts)-2], pts[len(pts)-1]
	dx, dy := q.X-p.X, q.Y-p.Y
	l := math.Hypot(dx, dy)
	if l > 0 {
		dx, dy = dx/l, dy/l
		hl, hw := 7+w, 3.5+w/2
		bx, by := q.X-dx*hl, q.Y-dy*hl
		o.raw(`<path class="ah" d="M`)
		o.f(q.X)
		o.raw(" ")
		o.f(q.Y)
		o.raw(" L")
		o.f(bx - dy*hw)
		o.raw(" ")
		o.f(by + dx*hw)
		o.raw(" L")
		o.f(bx + dy*hw)
		o.raw(" ")
		o.f(by - dx*hw)
		o.raw(`Z"/>`)
	}
	o.raw("</g>\n")
}

// drawEdgeLabel writes "N calls · E err" where placeLabels put it, on a
// white box: it interrupts the lines under it rather than being crossed.
func (v *dagView) drawEdgeLabel(o *out, i int) {
	l := v.labels[i]
	if v.paths[i] == nil || !l.ok {
		return
	}
	rectAt(o, "elb", l.at.left(), l.at.top(), l.at.w, l.at.h)
	textAt(o, "el", l.at.cx, l.at.cy+3.5)
	o.raw(l.text)
	if l.errs != "" {
		o.raw(`<tspan class="ee">`)
		o.raw(l.errs)
		o.raw("</tspan>")
	}
	o.raw("</text>\n")
}

// counts writes a tooltip line "\nN <noun>E errors in this <what>".
func counts(o *out, n int64, noun string, errs int64, what string) {
	o.raw("\n")
	o.i(n)
	o.raw(noun)
	o.i(errs)
	o.raw(" errors in this ")
	o.raw(what)
}

// f2 writes a value in 0..1 with two decimals.
func (o *out) f2(v float64) {
	o.num = strconv.AppendFloat(o.num[:0], math.Round(v*100)/100, 'f', -1, 64)
	o.w.Write(o.num)
}

// pct formats a rate as a percentage with up to one decimal: 4.2%, 25%, 0.1%.
func pct(rate float64) string {
	if !(rate >= 0) {
		rate = 0
	}
	v := math.Round(rate*1000) / 10
	if rate > 0 && v == 0 {
		return "<0.1%"
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + "%"
}

// fmtMs formats a latency given in milliseconds.
func fmtMs(ms float64) string {
	if !(ms >= 0) || math.IsInf(ms, 0) || ms > 1e12 {
		return "?"
	}
	return fmtDur(int64(math.Round(ms * 1e6)))
}

// heatLegend draws the colour scale with rate labels at (x, y), w wide.
// Header geometry shared by the trace picture and the service map: three
// lines (title, what, facts) at headerY, the verdict line at verdictY, the
// graph section at graphTop, and the heat legend right of the first three
// lines, or on a line of its own under the verdict when they leave it no
// room (narrow pictures); the graph section moves down by as much then.
const (
	heatLegendW    = 280                  // the scale's length
	heatLegendRoom = heatLegendW + 20     // with the last step's label
	headerGap      = 20                   // between header text and the legend
	verdictY       = 98                   // the verdict line's baseline
	graphTop       = verdictY + 20        // the graph section's, under it
	heatBesideY    = 40                   // the legend's bar beside the header
	heatBelowY     = verdictY + 30        // the bar on a line of its own
	heatBelowGraph = heatBelowY + 26 + 22 // the section's top under it
)

// The header's font sizes (classes h1 and h2).
const titlePx, linePx = 18, 13

// headerY are the baselines of the three header lines beside the legend.
var headerY = [3]float64{30, 52, 74}

// heatLegendAt places the heat legend on a page width wide whose header
// lines beside it need at most textW: it returns the legend bar's x and y,
// the room the header's lines have and the graph section's top.
func heatLegendAt(width, textW float64) (x, y, room, graphY float64) {
	x = width - margin - heatLegendRoom
	if margin+textW+headerGap <= x {
		return x, heatBesideY, x - headerGap - margin, graphTop
	}
	return margin, heatBelowY, width - 2*margin, heatBelowGraph
}

// run is a piece of a header line with its class ("" for plain text).
type run struct{ class, text string }

// runsWidth is the width of a line of runs at px pixels (class ee is bold).
func runsWidth(rs []run, px float64) float64 {
	w := 0.0
	for _, r := range rs {
		w += servicedag.TextWidth(r.text, px, r.class == "ee", len(r.text))
	}
	return w
}

// writeRuns writes a text element of class cls at (margin, y) holding rs
// (their texts are markup-free: fixed words, numbers and times).
func writeRuns(o *out, cls string, y float64, rs []run) {
	textAt(o, cls, margin, y)
	for _, r := range rs {
		if r.class == "" {
			o.raw(r.text)
			continue
		}
		o.raw(`<tspan class="` + r.class + `">` + r.text + "</tspan>")
	}
	o.raw("</text>\n")
}

// errorsRun shows an error count, marked when it is not 0.
func errorsRun(n int64) run {
	if n > 0 {
		return run{"ee", strconv.FormatInt(n, 10)}
	}
	return run{"", "0"}
}

func heatLegend(o *out, scale colorscale.Scale, x, y, w float64) {
	const steps = 48
	o.raw(`<g class="lg"><title>node fill: the service's own-error rate (failures that start in it) in the heat window, on a square-root scale</title>`)
	o.raw(`<text class="lt" x="`)
	o.f(x)
	o.raw(`" y="`)
	o.f(y - 6)
	o.raw(`">node fill: own-error rate (heat window)</text>`)
	sw := w / steps
	for i := 0; i < steps; i++ {
		level := (float64(i) + 0.5) / steps
		o.raw(`<rect fill="`)
		o.raw(scale.At(level).Hex())
		o.raw(`"`)
		rectAttrs(o, x+float64(i)*sw, y, sw+0.5, 12)
	}
	for _, r := range [...]float64{0, 0.01, 0.05, 0.25, 1} {
		lx := x + heatLevel(r)*w
		o.raw(`<path class="tk" d="M`)
		o.f(lx)
		o.raw(" ")
		o.f(y + 12)
		o.raw(" v4")
		o.raw(`"/><text class="lx" x="`)
		o.f(lx)
		o.raw(`" y="`)
		o.f(y + 26)
		o.raw(`">`)
		o.raw(pct(r))
		o.raw("</text>")
	}
	o.raw("</g>\n")
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
