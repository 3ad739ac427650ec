package svgrender

import (
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/tracemap/tracemap/internal/culprit"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
)

// Timeline geometry.
const (
	rowH     = 16
	barH     = 10
	indentPx = 10
	maxDepth = 16   // deeper rows are indented like this one (and say their depth)
	rowFont  = 11.0 // px of a row label
	durFont  = 10.0 // px of a duration label
	// The label column adapts to the longest label, within these bounds
	// (a share of the picture's width); longer labels are shortened and
	// the full names are in the row's tooltip.
	minLabelW   = 180.0
	maxLabelW   = 480.0
	maxLabelPct = 0.4
	// maxLegend bounds the services named in the timeline's legend.
	maxLegend = 40
)

// keyAttributes are shown in a span's tooltip when present, in this order.
var keyAttributes = [...]string{
	"http.request.method", "http.route", "url.path", "url.full", "http.response.status_code",
	"rpc.system", "rpc.method", "rpc.grpc.status_code",
	"db.system", "db.system.name", "db.operation.name", "db.namespace",
	"messaging.system", "messaging.destination.name",
	"peer.service", "server.address", "server.port", "error.type",
}

// RenderTrace writes the picture of one trace: a header that names the
// culprit, the trace's service DAG (dag may be nil) coloured by heat (may
// be nil) and a timeline. The culprit verdict is culprit.Analyze(t); use
// RenderTraceVerdict to pass one already computed (or read from the
// tracemap.culprit.* and tracemap.error.own attributes layout wrote).
func RenderTrace(w io.Writer, t *spantree.Tree, dag *servicedag.DAG, hf HeatFunc, opt Options) error {
	if t == nil {
		return errors.New("svgrender: no trace to render")
	}
	v := culprit.Verdict{ErrorSpan: -1}
	if isTree(t) {
		v = culprit.Analyze(t)
	}
	return RenderTraceVerdict(w, t, dag, hf, v, opt)
}

// isTree reports whether t's links form a forest of in-range span indices
// as spantree builds it: every root has no parent and depth 0, every child
// names its parent back and lies one level deeper (so the links have no
// cycle), and every span with a parent is among its parent's children
// once (the counts agree). It allocates nothing. The renderer draws any
// tree; the culprit analysis needs a forest, so a malformed tree is drawn
// without a verdict.
func isTree(t *spantree.Tree) bool {
	n := len(t.Spans)
	for _, r := range t.Roots {
		if r < 0 || r >= n || t.Spans[r].Parent >= 0 || t.Spans[r].Depth != 0 {
			return false
		}
	}
	linked, withParent := 0, 0
	for i := range t.Spans {
		s := &t.Spans[i]
		if s.Parent >= 0 {
			withParent++
		}
		for _, c := range s.Children {
			if c < 0 || c >= n || t.Spans[c].Parent != i || t.Spans[c].Depth != s.Depth+1 {
				return false
			}
			linked++
		}
	}
	return linked == withParent && len(t.Roots)+withParent == n
}

// RenderTraceVerdict is RenderTrace with the trace's culprit verdict given.
// v.Own and v.Propagated are indexed like t.Spans; shorter slices count
// as false for the missing spans.
func RenderTraceVerdict(w io.Writer, t *spantree.Tree, dag *servicedag.DAG, hf HeatFunc, v culprit.Verdict, opt Options) error {
	if t == nil {
		return errors.New("svgrender: no trace to render")
	}
	opt = opt.withDefaults()
	p := newTracePage(t, dag, hf, v, opt)
	o := newOut(w)
	openSVG(o, p.width, p.height)
	p.header(o)
	p.graph(o)
	p.timeline(o)
	o.raw("</svg>\n")
	return o.flush()
}

// tracePage holds the measured layout of a trace picture.
type tracePage struct {
	t        *spantree.Tree
	opt      Options
	dv       *dagView
	width    float64
	height   float64
	errors   int
	verdict  culprit.Verdict
	services []string       // sorted
	color    map[string]int // service -> palette index
	rows     []row
	mode     mergeMode
	bars     [][]bar
	marks    []marks // of merged rows
	binPx    int
	ts       timeScale
	// The header's first and third lines, and the heat legend's place
	// (heatLegendAt).
	title                  string
	facts                  []run
	heatX, heatY, headRoom float64
	// Vertical positions of the sections.
	graphY, timelineY, legendY, axisY, rowsY float64
	labelW                                   float64
	legend                                   []legendItem
	legendMore                               int // services not listed
	legendMoreAt                             legendItem
}

type legendItem struct {
	service string
	x, y    float64
}

func newTracePage(t *spantree.Tree, dag *servicedag.DAG, hf HeatFunc, v culprit.Verdict, opt Options) *tracePage {
	p := &tracePage{t: t, opt: opt, verdict: v}
	p.dv = newDAGView(dag, hf, opt, traceVerdictOf(t, dag, &v))
	p.width = max(float64(opt.Width), p.dv.w+2*margin)
	seen := map[string]bool{}
	for i := range t.Spans {
		if t.Spans[i].Error {
			p.errors++
		}
		if !seen[t.Spans[i].Service] {
			seen[t.Spans[i].Service] = true
			p.services = append(p.services, t.Spans[i].Service)
		}
	}
	slices.Sort(p.services)
	// One slot per service across the graph and the timeline: the graph's
	// nodes (virtual peers too) and the trace's services together.
	all := slices.Clone(p.services)
	if dag != nil {
		for i := range dag.Nodes {
			all = append(all, nodeService(&dag.Nodes[i]))
		}
	}
	p.color = serviceSlots(all)
	p.dv.slot = p.color

	p.title = "Trace " + hex.EncodeToString(t.TraceID[:])
	p.facts = []run{
		{"mut", "start "}, {"", time.Unix(0, t.Start).UTC().Format("2006-01-02 15:04:05.000 UTC")},
		{"mut", " · duration "}, {"", fmtDur(t.Duration)},
		{"mut", " · spans "}, {"", strconv.Itoa(len(t.Spans))},
		{"mut", " · errors "}, errorsRun(int64(p.errors)),
	}
	p.heatX, p.heatY, p.headRoom, p.graphY = heatLegendAt(float64(opt.Width),
		max(servicedag.TextWidth(p.title, titlePx, true, len(p.title)), runsWidth(p.facts, linePx)))
	p.timelineY = p.graphY + p.dv.sectionHeight() + 30
	p.legendY = p.timelineY + 26
	// Service legend: swatch and name, wrapped to the page width.
	// At most maxLegend services are listed (a trace can name thousands).
	x, ly := float64(margin), p.legendY
	for i, s := range p.services {
		if i == maxLegend {
			p.legendMore = len(p.services) - maxLegend
			p.legendMoreAt = legendItem{x: x, y: ly}
			break
		}
		w := 30 + servicedag.TextWidth(s, rowFont, false, 28)
		if x+w > float64(opt.Width)-margin && x > margin {
			x, ly = margin, ly+18
		}
		p.legend = append(p.legend, legendItem{service: s, x: x, y: ly})
		x += w
	}
	p.axisY = ly + 62
	p.rowsY = p.axisY + 8
	p.rows, p.mode = layoutRows(t, opt.RowBudget)
	// The timeline keeps the configured width even when a wide graph
	// widens the page: its ticks and bins follow the width.
	p.labelW = p.labelColumn()
	p.ts = newTimeScale(t, float64(opt.Width)-2*margin-p.labelW-10)
	p.bars, p.marks, p.binPx = rowBars(t, p.rows, p.ts, opt.BarBudget)
	p.height = p.rowsY + float64(len(p.rows))*rowH + margin + 10
	if p.axisBelow() {
		p.height += 14
	}
	return p
}

// labelColumn is the width of the row labels: what the longest label
// needs, within minLabelW and the smaller of maxLabelW and maxLabelPct of
// the width.
func (p *tracePage) labelColumn() float64 {
	limit := min(maxLabelW, float64(p.opt.Width)*maxLabelPct)
	need := minLabelW
	for i := range p.rows {
		r := &p.rows[i]
		if r.overflow {
			continue
		}
		s := &p.t.Spans[r.members[0]]
		w := float64(min(r.depth, maxDepth)*indentPx) + 13 + 8 +
			servicedag.TextWidth("✖ "+s.Service+" "+s.Name, rowFont, true, 400)
		if len(r.members) > 1 {
			w += servicedag.TextWidth(" ×"+strconv.Itoa(len(r.members)), rowFont, true, 12)
		}
		if r.depth > maxDepth {
			w += servicedag.TextWidth("↳"+strconv.Itoa(r.depth)+" ", rowFont, true, 8)
		}
		if s.Async || s.Orphan {
			w += servicedag.TextWidth(" (orphan) (async)", rowFont, true, 20)
		}
		need = max(need, w)
		if need >= limit {
			return limit
		}
	}
	return need
}

// traceNodeCounts are one node's own and propagated errors in this trace.
type traceNodeCounts struct{ own, propagated int64 }

// traceVerdict is the trace's culprit verdict as the graph draws it.
type traceVerdict struct {
	nodes                  []traceNodeCounts // per DAG node
	errService, latService string
	latShare               float64
}

// traceVerdictOf counts the verdict's own and propagated errors per node
// of the trace's DAG: a span counts on the node of its service (and
// operation, for per-operation nodes); an own error of a leaf client span
// whose peer has a node counts on the peer, where culprit puts it.
func traceVerdictOf(t *spantree.Tree, dag *servicedag.DAG, v *culprit.Verdict) *traceVerdict {
	tv := &traceVerdict{errService: v.Error, latService: v.Latency, latShare: v.LatencyShare}
	if dag == nil {
		return tv
	}
	tv.nodes = make([]traceNodeCounts, len(dag.Nodes))
	type key struct{ service, operation string }
	byKey := make(map[key]int, len(dag.Nodes))
	for i := len(dag.Nodes) - 1; i >= 0; i-- { // the first node of a key wins
		n := &dag.Nodes[i]
		byKey[key{nodeService(n), n.Operation}] = i
	}
	ops := hasOperations(dag)
	for i := range t.Spans {
		own, prop := i < len(v.Own) && v.Own[i], i < len(v.Propagated) && v.Propagated[i]
		if !own && !prop {
			continue
		}
		s := &t.Spans[i]
		k := key{service: s.Service}
		if ops {
			k.operation = s.Name
		}
		n, ok := byKey[k]
		if peer := t.Peer(i); own && peer != "" {
			if m, found := byKey[key{service: peer}]; found {
				n, ok = m, true
			}
		}
		if !ok {
			continue
		}
		if own {
			tv.nodes[n].own++
		} else {
			tv.nodes[n].propagated++
		}
	}
	return tv
}

// hasOperations reports whether the DAG has one node per operation.
func hasOperations(d *servicedag.DAG) bool {
	for i := range d.Nodes {
		if d.Nodes[i].Operation != "" {
			return true
		}
	}
	return false
}

func (p *tracePage) header(o *out) {
	writeRuns(o, "h1", headerY[0], []run{{"", p.title}})
	textAt(o, "h2", margin, headerY[1])
	if r, ok := p.root(); ok {
		// The line stops short of the heat legend when it is beside it.
		room := p.headRoom - servicedag.TextWidth("root  · ", linePx, false, 10)
		sw := servicedag.TextWidth(r.Service, linePx, false, maxLabel)
		o.raw(`<tspan class="mut">root </tspan>`)
		o.text(r.Service, servicedag.FitRunes(r.Service, linePx, false, maxLabel, room/2))
		o.raw(` <tspan class="mut">·</tspan> `)
		o.text(r.Name, servicedag.FitRunes(r.Name, linePx, false, 2*maxLabel, room-min(sw, room/2)))
	} else {
		o.raw("no root span")
	}
	o.raw("</text>\n")
	writeRuns(o, "h2", headerY[2], p.facts)
	p.verdictLine(o)
	heatLegend(o, p.opt.Scale, p.heatX, p.heatY, heatLegendW)
}

// verdictLine names the culprits: "✖ failed in payment · ◷ 62% of the
// time in inventory".
func (p *tracePage) verdictLine(o *out) {
	v := &p.verdict
	const px = 14.0
	room := float64(p.opt.Width) - 2*margin
	width := func(s string) float64 { return servicedag.TextWidth(s, px, true, 200) }
	textAt(o, "hv", margin, verdictY)
	switch {
	case v.Error != "":
		const lead = "✖ failed in "
		o.raw(`<tspan class="ee">` + lead)
		n := servicedag.FitRunes(v.Error, px, true, maxLabel, room/2-width(lead))
		o.text(v.Error, n)
		o.raw("</tspan>")
		room -= width(lead) + servicedag.TextWidth(v.Error, px, true, n)
	case p.errors > 0:
		// Errors that did not fail the request (the root succeeded).
		const lead, note = "! errors handled", " (the request succeeded)"
		o.raw(`<tspan class="ee">` + lead + `</tspan><tspan class="mut" font-weight="normal">` + note + `</tspan>`)
		room -= width(lead + note)
	default:
		o.raw("✓ no errors")
		room -= width("✓ no errors")
	}
	if v.Latency != "" {
		lead := " · ◷ " + pct(v.LatencyShare) + " of the time in "
		const note = " (self time on the critical path)"
		room -= width(lead)
		withNote := room-width(note) >= width(v.Latency) || room-width(note) > 200
		if withNote {
			room -= width(note)
		}
		o.raw(lead)
		o.text(v.Latency, servicedag.FitRunes(v.Latency, px, true, maxLabel, room))
		if withNote {
			o.raw(`<tspan class="mut" font-weight="normal">` + note + `</tspan>`)
		}
	}
	o.raw("</text>\n")
}

func (p *tracePage) root() (*spantree.Span, bool) {
	for _, r := range p.t.Roots {
		if r >= 0 && r < len(p.t.Spans) {
			return &p.t.Spans[r], true
		}
	}
	return nil, false
}

func (p *tracePage) graph(o *out) { p.dv.section(o, p.width, p.graphY, "trace") }

func (p *tracePage) timeline(o *out) {
	textAt(o, "h3", margin, p.timelineY)
	o.raw("Timeline")
	o.raw(`<tspan class="mut" font-weight="normal"> · `)
	if p.mode == perSpan {
		o.raw("one row per span")
	} else {
		o.i(int64(len(p.t.Spans)))
		o.raw(" spans in ")
		o.i(int64(len(p.rows)))
		o.raw(" rows: repeated calls merged (×N), repeated subtrees collapsed")
		if p.mode == mergeByKey {
			o.raw(", siblings merged by name")
		}
		o.raw(", bars binned at ")
		o.i(int64(p.binPx))
		o.raw("px")
	}
	o.raw("</tspan></text>\n")
	p.serviceLegend(o)
	p.axis(o)
	o.raw(`<g class="tl">` + "\n")
	// Zebra stripes, then the axis breaks, then the rows over both.
	for i := 1; i < len(p.rows); i += 2 {
		rectAt(o, "zb", 0, p.rowsY+float64(i)*rowH, p.width, rowH)
	}
	p.breaks(o)
	for i := range p.rows {
		p.row(o, i)
	}
	o.raw("</g>\n")
}

func (p *tracePage) serviceLegend(o *out) {
	for _, it := range p.legend {
		rectAt(o, "sw s"+strconv.Itoa(p.color[it.service]), it.x, it.y-9, 14, 10)
		textAt(o, "rl", it.x+19, it.y)
		o.text(it.service, 28)
		o.raw("</text>\n")
	}
	if p.legendMore > 0 {
		textAt(o, "rl mut", p.legendMoreAt.x, p.legendMoreAt.y)
		o.raw("and ")
		o.i(int64(p.legendMore))
		o.raw(" more services</text>\n")
	}
	// The marks, on their own line below the services.
	y := p.axisY - 40
	x := float64(margin)
	mark := func(cls, label string, under bool) {
		rectAt(o, "sw zo "+cls, x, y-9, 22, 10)
		if under {
			rectAt(o, "cp", x, y+2, 22, 2)
		}
		textAt(o, "rl", x+28, y)
		o.raw(label)
		o.raw("</text>")
		x += 34 + servicedag.TextWidth(label, rowFont, false, 60)
	}
	mark("bo", "✖ own error: the failure starts here", false)
	mark("bp", "↑ propagated error: a call below failed", false)
	mark("", "critical path", true)
	mark("ba", "async: outlives its caller", false)
	mark("bs", "clock-skew corrected", false)
	y += 18
	x = margin
	textAt(o, "rl", x, y)
	o.raw("↳N = at depth N (indent stops at ")
	o.i(maxDepth)
	o.raw(") · ×N = N calls in one row: lighter where they keep it busy less, red ticks mark failures · hover for full names and details</text>\n")
}

// axis writes the tick labels and grid lines. With idle gaps cut out,
// ticks fall on the busy stretches at one step, each gap gets a break
// (drawn over the rows by breaks) labelled with the idle time it hides,
// and a tick label that would touch another label is left out.
func (p *tracePage) axis(o *out) {
	x0 := margin + p.labelW
	busy := p.t.Duration
	for _, g := range p.ts.gaps {
		busy -= g.to - g.from
	}
	step := tickStep(busy, max(2, int(p.ts.width/110)))
	unit := axisUnit(step, p.t.Duration)
	bottom := p.rowsY + float64(len(p.rows))*rowH
	type span struct{ a, b float64 }
	var taken []span
	free := func(x, w float64) bool {
		for _, t := range taken {
			if x-w/2 < t.b+6 && x+w/2 > t.a-6 {
				return false
			}
		}
		return true
	}
	label := func(x float64, text string) {
		textAt(o, "ax", x, p.axisY)
		o.raw(text)
		o.raw("</text>\n")
		if p.axisBelow() {
			textAt(o, "ax", x, bottom+12)
			o.raw(text)
			o.raw("</text>\n")
		}
	}
	for _, g := range p.ts.gaps {
		text := "+" + fmtDur(g.to-g.from)
		w := servicedag.TextWidth(text, 10, false, 20)
		x := x0 + g.x + breakPx/2
		taken = append(taken, span{x - w/2, x + w/2})
		label(x, text)
	}
	// The busy stretches between the gaps.
	from := int64(0)
	segments := make([][2]int64, 0, len(p.ts.gaps)+1)
	for _, g := range p.ts.gaps {
		segments = append(segments, [2]int64{from, g.from})
		from = g.to
	}
	segments = append(segments, [2]int64{from, p.t.Duration})
	for _, seg := range segments {
		first := (seg[0] + step - 1) / step * step
		for v := first; v <= seg[1] && v >= 0; v += step {
			x := x0 + p.ts.x(v)
			text := unitLabel(v, unit)
			w := servicedag.TextWidth(text, 10, false, 20)
			if !free(x, w) {
				continue
			}
			taken = append(taken, span{x - w/2, x + w/2})
			o.raw(`<path class="gr" d="M`)
			o.f(x)
			o.raw(" ")
			o.f(p.axisY + 3)
			o.raw(" V")
			o.f(bottom)
			o.raw(`"/>`)
			label(x, text)
		}
	}
}

// breaks draws the cut-out idle gaps under the rows: a band with the
// break's zigzag edges, its tooltip saying what it hides.
func (p *tracePage) breaks(o *out) {
	x0 := margin + p.labelW
	top, bottom := p.axisY+3, p.rowsY+float64(len(p.rows))*rowH
	for _, g := range p.ts.gaps {
		x := x0 + g.x
		o.raw(`<g class="brg"><title>idle: `)
		o.raw(fmtDur(g.to - g.from))
		o.raw(" from +")
		o.raw(fmtDur(g.from))
		o.raw(" to +")
		o.raw(fmtDur(g.to))
		o.raw(" with no span below the root, cut out of the axis</title>")
		rectAt(o, "brk", x+3, top, breakPx-6, bottom-top)
		for _, ex := range [2]float64{x + 3, x + breakPx - 3} {
			o.raw(`<path class="al" d="M`)
			o.f(ex)
			o.raw(" ")
			o.f(top)
			for y, k := top, 0; y < bottom; y, k = y+6, k+1 {
				o.raw(" L")
				o.f(ex + float64(k%2*2-1)*2)
				o.raw(" ")
				o.f(min(y+6, bottom))
			}
			o.raw(`"/>`)
		}
		o.raw("</g>\n")
	}
}

// axisBelow reports whether the tick labels repeat under the rows, for a
// timeline too tall to keep the top axis in view.
func (p *tracePage) axisBelow() bool { return len(p.rows) > 40 }
