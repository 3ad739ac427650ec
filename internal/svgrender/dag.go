package svgrender

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tracemap/tracemap/internal/colorscale"
	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/sugiyama"
)

// Node boxes are drawn at the size their labels need. The layout's
// positions are stretched (x and y separately, uniformly, so straight edges
// stay straight) just enough that neighbouring boxes of a layer and
// consecutive layers keep a gap, so a layout that sized nodes smaller than
// these labels still draws without overlaps.
const (
	nodeCharW   = 7.2 // per character of the 12px name
	edgeLabelCW = 5.8 // per character of the 10px edge label
	nodeMinW    = 140 // room for "12345 spans · p99 123ms"
	nodeH       = 50
	nodePad     = 16
	nodeGapX    = 24
	layerGapY   = 40 // room for edge labels between layers
	maxStretch  = 4
	dagPad      = 24 // around the drawing: room for loops and edge labels
)

type box struct{ cx, cy, w, h float64 }

// dagView is a DAG placed for drawing.
type dagView struct {
	dag   *servicedag.DAG
	heat  HeatFunc
	scale colorscale.Scale
	hot   float64 // HotThreshold
	link  func(int) (string, string)
	boxes []box
	// shown lists the nodes drawn (all but the smallest of a huge graph).
	shown   []int
	isShown []bool
	paths   [][]sugiyama.Point // per edge, border to border; nil when not drawn
	paired  []bool             // the edge's reverse is drawn too
	w, h    float64            // size of the drawing including dagPad
	// maxCalls scales edge widths.
	maxCalls int64
}

func newDAGView(dag *servicedag.DAG, hf HeatFunc, opt Options) *dagView {
	v := &dagView{dag: dag, heat: hf, scale: opt.Scale, hot: opt.HotThreshold, link: opt.NodeLink}
	if dag == nil || len(dag.Nodes) == 0 {
		return v
	}
	v.boxes = make([]box, len(dag.Nodes))
	for i, n := range dag.Nodes {
		// Room for servicedag.MaxLabel characters and the ellipsis.
		w := max(nodeMinW, nodeCharW*float64(min(utf8.RuneCountInString(n.Name), servicedag.MaxLabel+1))+nodePad)
		v.boxes[i] = box{cx: finite(n.X), cy: finite(n.Y), w: w, h: nodeH}
	}
	v.selectNodes()
	sel := make([]box, len(v.shown))
	for k, i := range v.shown {
		sel[k] = v.boxes[i]
	}
	sx, sy := stretch(sel)
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	grow := func(x, y float64) {
		minX, maxX = min(minX, x), max(maxX, x)
		minY, maxY = min(minY, y), max(maxY, y)
	}
	for _, i := range v.shown {
		b := &v.boxes[i]
		b.cx, b.cy = b.cx*sx, b.cy*sy
		grow(b.cx-b.w/2, b.cy-b.h/2)
		grow(b.cx+b.w/2, b.cy+b.h/2)
	}
	v.paths = make([][]sugiyama.Point, len(dag.Edges))
	v.paired = make([]bool, len(dag.Edges))
	edges := v.selectEdges()
	drawn := make(map[[2]int]bool, len(edges))
	for _, i := range edges {
		drawn[[2]int{dag.Edges[i].From, dag.Edges[i].To}] = true
	}
	for _, i := range edges {
		e := dag.Edges[i]
		v.maxCalls = max(v.maxCalls, e.Calls)
		v.paths[i] = v.route(e, sx, sy)
		if e.From != e.To && drawn[[2]int{e.To, e.From}] {
			// A -> B and B -> A: each keeps to its own side.
			v.paired[i] = true
			sideStep(v.paths[i], 5)
		}
		for _, p := range v.paths[i] {
			grow(p.X, p.Y)
		}
	}
	// Shift everything so the drawing starts at (dagPad, dagPad).
	dx, dy := dagPad-minX, dagPad-minY
	for i := range v.boxes {
		v.boxes[i].cx += dx
		v.boxes[i].cy += dy
	}
	for _, p := range v.paths {
		for j := range p {
			p[j].X += dx
			p[j].Y += dy
		}
	}
	v.w, v.h = maxX-minX+2*dagPad, maxY-minY+2*dagPad
	return v
}

// stretch returns the smallest factors (1 to maxStretch) by which the
// layout's centres must be multiplied so that boxes side by side in a layer
// (same y) are nodeGapX apart and layers are layerGapY apart.
func stretch(boxes []box) (sx, sy float64) {
	order := make([]int, len(boxes))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(boxes[a].cy, boxes[b].cy); c != 0 {
			return c
		}
		return cmp.Compare(boxes[a].cx, boxes[b].cx)
	})
	sx, sy = 1, 1
	for k := 1; k < len(order); k++ {
		a, b := boxes[order[k-1]], boxes[order[k]]
		if dy := b.cy - a.cy; dy > 0 {
			sy = max(sy, ((a.h+b.h)/2+layerGapY)/dy)
		} else if dx := b.cx - a.cx; dx > 0 {
			sx = max(sx, ((a.w+b.w)/2+nodeGapX)/dx)
		}
	}
	return min(sx, maxStretch), min(sy, maxStretch)
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

// route turns the layout's polyline into one that runs from the caller's
// border to the callee's border: points inside either box are dropped and
// the end segments are cut at the borders. A self call is a loop on the
// node's right side.
func (v *dagView) route(e servicedag.Edge, sx, sy float64) []sugiyama.Point {
	a, b := v.boxes[e.From], v.boxes[e.To]
	if e.From == e.To {
		r := a.cx + a.w/2
		return []sugiyama.Point{{X: r, Y: a.cy - 8}, {X: r + 28, Y: a.cy - 22}, {X: r + 28, Y: a.cy + 22}, {X: r, Y: a.cy + 8}}
	}
	pts := []sugiyama.Point{{X: a.cx, Y: a.cy}}
	for _, p := range e.Points {
		q := sugiyama.Point{X: finite(p.X) * sx, Y: finite(p.Y) * sy}
		if !a.contains(q) && !b.contains(q) {
			pts = append(pts, q)
		}
	}
	pts = append(pts, sugiyama.Point{X: b.cx, Y: b.cy})
	pts[0] = a.border(pts[1])
	pts[len(pts)-1] = b.border(pts[len(pts)-2])
	return pts
}

func (b box) contains(p sugiyama.Point) bool {
	return math.Abs(p.X-b.cx) <= b.w/2 && math.Abs(p.Y-b.cy) <= b.h/2
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

// nodeHeat is the rate that colours a node: its service's window rate when
// heat knows the service, else the node's own rate in this trace.
func (v *dagView) nodeHeat(n *servicedag.Node) (st heat.Stats, window, ok bool) {
	if v.heat != nil {
		service := n.Service // Name may be "service: operation"
		if service == "" {
			service = n.Name
		}
		if st, ok := v.heat(service); ok {
			return st, true, true
		}
	}
	if n.Spans > 0 {
		return heat.Stats{Spans: n.Spans, Errors: n.Errors, ErrorRate: float64(n.Errors) / float64(n.Spans)}, false, true
	}
	return heat.Stats{}, false, false
}

// section writes the graph's title, its key and the graph (or a note that
// there is none) below y, centred in a page width wide.
func (v *dagView) section(o *out, width, y float64, what string) {
	textAt(o, "h3", margin, y)
	o.raw(`Service graph<tspan class="mut" font-weight="normal"> · fill = error rate · red border = hot (≥ `)
	o.raw(pct(v.hot))
	o.raw(`) · edge width = calls · dashed box = uninstrumented peer · dashed edge = back edge of a cycle</tspan>`)
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

// drawEdgeLabel writes "N calls · E err" at the middle of the edge's path.
func (v *dagView) drawEdgeLabel(o *out, i int) {
	e := &v.dag.Edges[i]
	pts := v.paths[i]
	if len(pts) < 2 {
		return
	}
	// The label sits on a white box centred on the edge's middle: it
	// interrupts the line rather than being crossed by it.
	calls := strconv.FormatInt(e.Calls, 10) + plural(e.Calls, " call", " calls")
	errs := ""
	if e.Errors > 0 {
		errs = " · " + strconv.FormatInt(e.Errors, 10) + " err"
	}
	w := edgeLabelCW*float64(utf8.RuneCountInString(calls+errs)) + 6
	frac := 0.5
	if v.paired[i] { // labels of opposite edges apart along the edge too
		frac = 0.3
	}
	m := along(pts, frac)
	rectAt(o, "elb", m.X-w/2, m.Y-8, w, 14)
	textAt(o, "el", m.X, m.Y+3)
	o.raw(calls)
	if errs != "" {
		o.raw(`<tspan class="ee">`)
		o.raw(errs)
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

// sideStep moves a path d pixels to its right (seen along its direction),
// so that two opposite edges between the same nodes do not coincide.
func sideStep(pts []sugiyama.Point, d float64) {
	a, b := pts[0], pts[len(pts)-1]
	dx, dy := b.X-a.X, b.Y-a.Y
	l := math.Hypot(dx, dy)
	if l == 0 {
		return
	}
	nx, ny := -dy/l*d, dx/l*d
	for j := range pts {
		pts[j].X += nx
		pts[j].Y += ny
	}
}

// along is the point at fraction frac of a polyline's length.
func along(pts []sugiyama.Point, frac float64) sugiyama.Point {
	total := 0.0
	for j := 1; j < len(pts); j++ {
		total += math.Hypot(pts[j].X-pts[j-1].X, pts[j].Y-pts[j-1].Y)
	}
	half := total * frac
	for j := 1; j < len(pts); j++ {
		l := math.Hypot(pts[j].X-pts[j-1].X, pts[j].Y-pts[j-1].Y)
		if l >= half && l > 0 {
			t := half / l
			return sugiyama.Point{X: pts[j-1].X + t*(pts[j].X-pts[j-1].X), Y: pts[j-1].Y + t*(pts[j].Y-pts[j-1].Y)}
		}
		half -= l
	}
	return pts[0]
}

func (v *dagView) drawNode(o *out, i int, what string) {
	n := &v.dag.Nodes[i]
	b := v.boxes[i]
	st, window, hasHeat := v.nodeHeat(n)
	x, y := b.cx-b.w/2, b.cy-b.h/2
	rect := func(cls string) {
		o.raw(`<rect rx="6" class="`)
		o.raw(cls)
		o.raw(`"`)
		rectAttrs(o, x, y, b.w, b.h)
	}
	linked := false
	if v.link != nil {
		if key, frag := v.link(i); linkable(key) && (frag == "" || linkable(frag) && !strings.Contains(frag, "/")) {
			linked = true
			o.raw(`<a href="`)
			o.raw(key)
			if frag != "" {
				o.raw("#")
				o.raw(frag)
			}
			o.raw(`">`)
		}
	}
	o.raw(`<g class="n"><title>`)
	o.text(n.Name, maxTooltip)
	if n.Virtual {
		o.raw("\nuninstrumented peer (seen only from client spans)")
	}
	counts(o, n.Spans, " spans, ", n.Errors, what)
	if hasHeat && window {
		o.raw("\nwindow: ")
		o.i(st.Spans)
		o.raw(" spans, ")
		o.i(st.Errors)
		o.raw(" errors, error rate ")
		o.raw(pct(st.ErrorRate))
		o.raw("\nlatency p50 ")
		o.raw(fmtMs(st.P50Ms))
		o.raw(", p90 ")
		o.raw(fmtMs(st.P90Ms))
		o.raw(", p99 ")
		o.raw(fmtMs(st.P99Ms))
	} else if hasHeat {
		o.raw("\nno window statistics: colour shows this ")
		o.raw(what)
		o.raw("'s error rate")
	}
	o.raw("</title>")
	rect("nb")
	if hasHeat {
		level := heatLevel(st.ErrorRate)
		o.raw(`<rect rx="6" class="nh"`)
		heatFill(o, v.scale, level)
		rectAttrs(o, x, y, b.w, b.h)
	}
	hot := hasHeat && st.Errors > 0 && st.ErrorRate >= v.hot
	switch {
	case n.Virtual && hot:
		rect("nv hot")
	case n.Virtual:
		rect("nv")
	case hot:
		rect("nr hot")
	default:
		rect("nr")
	}
	// Labels: name, then counts and p99, then the error rate.
	line := func(cls string, dy float64) {
		o.raw(`<text class="`)
		o.raw(cls)
		o.raw(`" x="`)
		o.f(b.cx)
		o.raw(`" y="`)
		o.f(b.cy + dy)
		o.raw(`">`)
	}
	line("nn", -8)
	o.text(n.Name, servicedag.MaxLabel)
	o.raw("</text>")
	line("ns", 6)
	if n.Virtual && n.Spans == 0 {
		o.raw("uninstrumented")
	} else {
		o.i(n.Spans)
		o.raw(plural(n.Spans, " span", " spans"))
	}
	if hasHeat && window {
		o.raw(" · p99 ")
		o.raw(fmtMs(st.P99Ms))
	}
	o.raw("</text>")
	if hasHeat {
		line("ns", 19)
		switch {
		case hot:
			o.raw(`<tspan class="ee">`)
			o.raw(pct(st.ErrorRate))
			o.raw(" errors</tspan>")
		case st.Errors > 0:
			o.raw(pct(st.ErrorRate))
			o.raw(" errors")
		default:
			o.raw("no errors")
		}
		o.raw("</text>")
	}
	o.raw("</g>")
	if linked {
		o.raw("</a>")
	}
	o.raw("\n")
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

// heatFill writes the fill attributes of the heat overlay for a level.
func heatFill(o *out, scale colorscale.Scale, level float64) {
	o.raw(` fill="`)
	o.raw(scale.At(level).Hex())
	o.raw(`" fill-opacity="`)
	o.f2(heatOpacity(level))
	o.raw(`"`)
}

// heatLegend draws the colour scale with rate labels at (x, y), w wide.
func heatLegend(o *out, scale colorscale.Scale, x, y, w float64) {
	const steps = 48
	o.raw(`<g class="lg"><title>node fill: the service's error rate in the heat window (square-root scale); opacity grows with the rate</title>`)
	o.raw(`<text class="lt" x="`)
	o.f(x)
	o.raw(`" y="`)
	o.f(y - 6)
	o.raw(`">service error rate (window)</text>`)
	sw := w / steps
	for i := 0; i < steps; i++ {
		level := (float64(i) + 0.5) / steps
		rectAt(o, "lb", x+float64(i)*sw, y, sw+0.5, 12)
		o.raw(`<rect`)
		heatFill(o, scale, level)
		rectAttrs(o, x+float64(i)*sw, y, sw+0.5, 12)
	}
	for _, r := range [...]float64{0, 0.01, 0.05, 0.25, 0.5, 1} {
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
