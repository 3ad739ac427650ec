package svgrender

import (
	"cmp"
	"io"
	"slices"
	"time"

	"github.com/tracemap/tracemap/internal/servicedag"
)

// RenderServiceMap writes the service map of one window [from, to): every
// service and edge of dag, filled by its own-error rate, hot services
// (opt.Hot) marked, services whose errors mostly come from below drawn as
// victims, and the header naming the hot services.
func RenderServiceMap(w io.Writer, dag *servicedag.DAG, hf HeatFunc, from, to time.Time, opt Options) error {
	opt = opt.withDefaults()
	dv := newDAGView(dag, hf, opt, nil)
	width := max(float64(opt.Width), dv.w+2*margin)
	height := 118 + dv.sectionHeight() + margin
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
	dv.verdictLine(o, float64(opt.Width)-2*margin)
	heatLegend(o, opt.Scale, float64(opt.Width)-margin-300, 40, 280)
	dv.section(o, width, 118, "window")
	o.raw("</svg>\n")
	return o.flush()
}

// verdictLine names the hot services, hottest first, and the victims: "▲
// hot: payment 13.8% own errors · ↑ victims: frontend, checkout".
func (v *dagView) verdictLine(o *out, room float64) {
	var hot, victims []int
	for _, i := range v.shown {
		switch nv := &v.verdicts[i]; {
		case nv.hot:
			hot = append(hot, i)
		case nv.victim:
			victims = append(victims, i)
		}
	}
	slices.SortStableFunc(hot, func(a, b int) int {
		return cmp.Compare(v.verdicts[b].stats.OwnErrorRate, v.verdicts[a].stats.OwnErrorRate)
	})
	textAt(o, "hv", margin, 98)
	used := 0.0
	list := func(ids []int, rates bool) {
		for k, i := range ids {
			name := v.dag.Nodes[i].Name
			w := servicedag.TextWidth(name+", 100% own errors", 14, true, maxLabel)
			if used+w > room-120 {
				o.raw(" and ")
				o.i(int64(len(ids) - k))
				o.raw(" more")
				return
			}
			used += w
			if k > 0 {
				o.raw(", ")
			}
			o.text(name, maxLabel)
			if rates {
				o.raw(" ")
				o.raw(pct(v.verdicts[i].stats.OwnErrorRate))
				o.raw(" own errors")
			}
		}
	}
	if len(hot) == 0 {
		o.raw("✓ no hot service")
	} else {
		o.raw(`<tspan class="ee">▲ hot: `)
		list(hot, true)
		o.raw("</tspan>")
	}
	if len(victims) > 0 {
		o.raw(` · <tspan font-weight="normal">↑ victims (errors from below): `)
		list(victims, false)
		o.raw("</tspan>")
	}
	o.raw("</text>\n")
}
