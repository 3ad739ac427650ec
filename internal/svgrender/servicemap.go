package svgrender

import (
	"io"
	"time"

	"github.com/tracemap/tracemap/internal/servicedag"
)

// RenderServiceMap writes the service map of one window [from, to): every
// service and edge of dag, coloured by heat like a trace's graph.
func RenderServiceMap(w io.Writer, dag *servicedag.DAG, hf HeatFunc, from, to time.Time, opt Options) error {
	opt = opt.withDefaults()
	dv := newDAGView(dag, hf, opt)
	width := max(float64(opt.Width), dv.w+2*margin)
	height := 96 + dv.sectionHeight() + margin
	o := newOut(w)
	openSVG(o, width, height)

	const layout = "2006-01-02 15:04:05 UTC"
	textAt(o, "h1", margin, 30)
	o.raw("Service map</text>\n")
	textAt(o, "h2", margin, 52)
	o.raw(from.UTC().Format(layout))
	o.raw(" – ")
	o.raw(to.UTC().Format(layout))
	o.raw(`<tspan class="mut"> · `)
	o.raw(fmtDur(to.Sub(from).Nanoseconds()))
	o.raw(" window</tspan></text>\n")
	textAt(o, "h2", margin, 74)
	var calls, errs, spans int64
	if dag != nil {
		for _, e := range dag.Edges {
			calls += e.Calls
			errs += e.Errors
		}
		for _, n := range dag.Nodes {
			spans += n.Spans
		}
		o.i(int64(len(dag.Nodes)))
	} else {
		o.raw("0")
	}
	o.raw(`<tspan class="mut"> services · </tspan>`)
	o.i(spans)
	o.raw(`<tspan class="mut"> spans · </tspan>`)
	o.i(calls)
	o.raw(`<tspan class="mut"> calls between services · </tspan>`)
	if errs > 0 {
		o.raw(`<tspan class="ee">`)
		o.i(errs)
		o.raw("</tspan>")
	} else {
		o.raw("0")
	}
	o.raw(`<tspan class="mut"> failed</tspan></text>` + "\n")
	heatLegend(o, opt.Scale, float64(opt.Width)-margin-300, 40, 280)
	dv.section(o, width, 96, "window")
	o.raw("</svg>\n")
	return o.flush()
}
