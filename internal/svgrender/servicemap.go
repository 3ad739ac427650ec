package svgrender

import (
	"cmp"
	"io"
	"slices"
	"strconv"
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

	const layout = "2006-01-02 15:04:05 UTC"
	const title = "Service map"
	window := []run{
		{"", from.UTC().Format(layout) + " – " + to.UTC().Format(layout)},
		{"mut", " · " + fmtDur(to.Sub(from).Nanoseconds()) + " window"},
	}
	var services, calls, errs, spans int64
	if dag != nil {
		services = int64(len(dag.Nodes))
		for _, e := range dag.Edges {
			calls += e.Calls
			errs += e.Errors
		}
		for _, n := range dag.Nodes {
			spans += n.Spans
		}
	}
	itoa := func(v int64) string { return strconv.FormatInt(v, 10) }
	counts := []run{
		{"", itoa(services)}, {"mut", " services · "}, {"", itoa(spans)}, {"mut", " spans · "},
		{"", itoa(calls)}, {"mut", " calls between services · "}, errorsRun(errs), {"mut", " failed"},
	}
	heatX, heatY, _, graphY := heatLegendAt(float64(opt.Width), max(servicedag.TextWidth(title, titlePx, true, len(title)),
		runsWidth(window, linePx), runsWidth(counts, linePx)))
	o := newOut(w)
	openSVG(o, width, graphY+dv.sectionHeight()+margin)
	writeRuns(o, "h1", headerY[0], []run{{"", title}})
	writeRuns(o, "h2", headerY[1], window)
	writeRuns(o, "h2", headerY[2], counts)
	dv.verdictLine(o, float64(opt.Width)-2*margin)
	heatLegend(o, opt.Scale, heatX, heatY, heatLegendW)
	dv.section(o, width, graphY, "window")
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
	textAt(o, "hv", margin, verdictY)
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
