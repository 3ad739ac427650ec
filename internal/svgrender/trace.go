package svgrender

import (
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
)

// Timeline geometry.
const (
	rowH     = 16
	barH     = 10
	indentPx = 10
	maxDepth = 16 // deeper rows are indented like this one (and say their depth)
	labelCW  = 6.2
	durCW    = 5.6 // per character of a 10px duration label
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

// RenderTrace writes the picture of one trace: a header, the trace's
// service DAG (dag may be nil) coloured by heat (may be nil) and a timeline.
func RenderTrace(w io.Writer, t *spantree.Tree, dag *servicedag.DAG, hf HeatFunc, opt Options) error {
	if t == nil {
		return errors.New("svgrender: no trace to render")
	}
	opt = opt.withDefaults()
	p := newTracePage(t, dag, hf, opt)
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
	services []string       // sorted
	color    map[string]int // service -> palette index
	rows     []row
	mode     mergeMode
	bars     [][]bar
	marks    []marks // of merged rows
	binPx    int
	ts       timeScale
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

func newTracePage(t *spantree.Tree, dag *servicedag.DAG, hf HeatFunc, opt Options) *tracePage {
	p := &tracePage{t: t, opt: opt, dv: newDAGView(dag, hf, opt), color: map[string]int{}}
	p.width = max(float64(opt.Width), p.dv.w+2*margin)
	for i := range t.Spans {
		if t.Spans[i].Error {
			p.errors++
		}
		if _, ok := p.color[t.Spans[i].Service]; !ok {
			p.color[t.Spans[i].Service] = 0
			p.services = append(p.services, t.Spans[i].Service)
		}
	}
	slices.Sort(p.services)
	for i, s := range p.services {
		p.color[s] = i % len(servicePalette)
	}

	p.graphY = 96
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
		w := 30 + labelCW*float64(min(utf8.RuneCountInString(s), 28))
		if x+w > float64(opt.Width)-margin && x > margin {
			x, ly = margin, ly+18
		}
		p.legend = append(p.legend, legendItem{service: s, x: x, y: ly})
		x += w
	}
	p.axisY = ly + 44
	p.rowsY = p.axisY + 8
	// The timeline keeps the configured width even when a wide graph
	// widens the page: its ticks and bins follow the width.
	p.labelW = min(380, float64(opt.Width)*0.32)
	p.ts = newTimeScale(t, float64(opt.Width)-2*margin-p.labelW-10)
	p.rows, p.mode = layoutRows(t, opt.RowBudget)
	p.bars, p.marks, p.binPx = rowBars(t, p.rows, p.ts, opt.BarBudget)
	p.height = p.rowsY + float64(len(p.rows))*rowH + margin + 10
	if p.axisBelow() {
		p.height += 14
	}
	return p
}

func (p *tracePage) header(o *out) {
	t := p.t
	textAt(o, "h1", margin, 30)
	o.raw("Trace ")
	o.raw(hex.EncodeToString(t.TraceID[:]))
	o.raw("</text>\n")
	textAt(o, "h2", margin, 52)
	if r, ok := p.root(); ok {
		o.raw(`<tspan class="mut">root </tspan>`)
		o.text(r.Service, maxLabel)
		o.raw(` <tspan class="mut">·</tspan> `)
		o.text(r.Name, 2*maxLabel)
	} else {
		o.raw("no root span")
	}
	o.raw("</text>\n")
	textAt(o, "h2", margin, 74)
	o.raw(`<tspan class="mut">start </tspan>`)
	o.raw(time.Unix(0, t.Start).UTC().Format("2006-01-02 15:04:05.000 UTC"))
	o.raw(`<tspan class="mut"> · duration </tspan>`)
	o.raw(fmtDur(t.Duration))
	o.raw(`<tspan class="mut"> · spans </tspan>`)
	o.i(int64(len(t.Spans)))
	o.raw(`<tspan class="mut"> · errors </tspan>`)
	if p.errors > 0 {
		o.raw(`<tspan class="ee">`)
		o.i(int64(p.errors))
		o.raw("</tspan>")
	} else {
		o.raw("0")
	}
	o.raw("</text>\n")
	heatLegend(o, p.opt.Scale, float64(p.opt.Width)-margin-300, 40, 280)
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
	y := p.axisY - 22
	x := float64(margin)
	rectAt(o, "sw s0 be", x, y-9, 22, 10)
	textAt(o, "rl", x+28, y)
	o.raw("error</text>")
	x += 80
	rectAt(o, "sw s0", x, y-9, 22, 10)
	rectAt(o, "cp", x, y+2, 22, 2)
	textAt(o, "rl", x+28, y)
	o.raw("critical path</text>")
	x += 118
	rectAt(o, "sw s0 bs", x, y-9, 22, 10)
	textAt(o, "rl", x+28, y)
	o.raw("clock-skew corrected</text>")
	x += 160
	textAt(o, "rl", x, y)
	o.raw("×N = N calls in one row: lighter where they keep it busy less, red ticks mark failures · hover for details</text>\n")
}

func (p *tracePage) axis(o *out) {
	x0 := margin + p.labelW
	step, at := ticks(p.t.Duration, max(2, int(p.ts.width/110)))
	bottom := p.rowsY + float64(len(p.rows))*rowH
	for _, v := range at {
		x := x0 + float64(v)*p.ts.pxPerNs
		o.raw(`<path class="gr" d="M`)
		o.f(x)
		o.raw(" ")
		o.f(p.axisY + 3)
		o.raw(" V")
		o.f(bottom)
		o.raw(`"/>`)
		textAt(o, "ax", x, p.axisY)
		o.raw(tickLabel(v, step))
		o.raw("</text>\n")
		if p.axisBelow() {
			textAt(o, "ax", x, bottom+12)
			o.raw(tickLabel(v, step))
			o.raw("</text>\n")
		}
	}
}

// axisBelow reports whether the tick labels repeat under the rows, for a
// timeline too tall to keep the top axis in view.
func (p *tracePage) axisBelow() bool { return len(p.rows) > 40 }
