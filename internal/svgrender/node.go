package svgrender

import (
	"strconv"

	"github.com/tracemap/tracemap/internal/colorscale"
	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/servicedag"
)

// nodeVerdict is what a node says, decided once per picture.
type nodeVerdict struct {
	stats    heat.Stats
	window   bool // stats are the heat window's (else none)
	overflow bool // the service is counted in the overflow bucket: not tracked
	hot      bool // heat.HotRule's verdict on the window
	// victim: the window's errors are mostly propagated (fewer than half
	// start here), so the service is drawn as a victim, not a culprit.
	victim bool
	fill   float64 // own-error rate that colours the node
	filled bool
	fillOf string // "window" or "trace": where fill comes from

	// This trace (trace pictures only).
	spans, errs, own, propagated int64
	errCulprit, latCulprit       bool
	latShare                     float64
}

func (v *dagView) verdict(i int) nodeVerdict {
	n := &v.dag.Nodes[i]
	nv := nodeVerdict{spans: n.Spans, errs: n.Errors}
	if st, ok := v.nodeStats(n); ok {
		nv.stats, nv.window = st, true
		nv.overflow = st.Overflow
		if !st.Overflow {
			nv.hot = v.rule.Hot(st)
			nv.victim = st.Errors > 0 && 2*st.OwnErrors < st.Errors
			nv.fill, nv.filled, nv.fillOf = st.OwnErrorRate, true, "window"
		}
	}
	if tv := v.trace; tv != nil {
		c := tv.nodes[i]
		nv.own, nv.propagated = c.own, c.propagated
		svc := nodeService(n)
		nv.errCulprit = tv.errService != "" && svc == tv.errService
		nv.latCulprit = tv.latService != "" && svc == tv.latService
		nv.latShare = tv.latShare
		if !nv.filled && !nv.overflow && n.Spans > 0 {
			nv.fill, nv.filled, nv.fillOf = float64(c.own)/float64(n.Spans), true, "trace"
		}
	}
	return nv
}

// serviceSlots gives each service of a picture its palette slot
// (colorscale.Services: from the name, ties broken deterministically).
func serviceSlots(services []string) map[string]int {
	slots := colorscale.Services(services)
	m := make(map[string]int, len(services))
	for i, s := range services {
		m[s] = slots[i]
	}
	return m
}

func (v *dagView) drawNode(o *out, i int, what string) {
	n := &v.dag.Nodes[i]
	b := v.boxes[i]
	nv := v.verdicts[i]
	x, y := b.left(), b.top()
	fill := "#fff"
	if nv.filled {
		fill = v.scale.At(heatLevel(nv.fill)).Hex()
	}
	// On a dark fill the labels turn white with a dark halo.
	if c := v.scale.At(heatLevel(nv.fill)); nv.filled && c.Lab().L < 55 {
		o.raw(`<g class="n dk"><title>`)
	} else {
		o.raw(`<g class="n"><title>`)
	}
	v.nodeTitle(o, n, &nv, what)
	o.raw("</title>")
	// Fill: the heat colour (own-error rate), else white.
	o.raw(`<rect rx="6" class="nb" fill="`)
	o.raw(fill)
	o.raw(`"`)
	rectAttrs(o, x, y, b.w, b.h)
	// Identity: the service's colour as a stripe on the left.
	rectAt(o, "st s"+strconv.Itoa(v.slot[nodeService(n)]), x+2, y+2, stripeW, b.h-4)
	border := "nr"
	switch {
	case n.Virtual || nv.overflow:
		border = "nr nv"
	}
	if nv.hot {
		border += " hot"
	}
	o.raw(`<rect rx="6" class="`)
	o.raw(border)
	o.raw(`"`)
	rectAttrs(o, x, y, b.w, b.h)
	// Culprits get a second, outer border: solid for the failure, dashed
	// for the time.
	if nv.errCulprit || nv.latCulprit {
		cls := "ring"
		if !nv.errCulprit {
			cls = "ring lat"
		}
		o.raw(`<rect rx="9" class="`)
		o.raw(cls)
		o.raw(`"`)
		rectAttrs(o, x-4, y-4, b.w+8, b.h+8)
	}
	avail := b.w - servicedag.LabelPad
	cx := b.cx + stripeW/2
	line := func(cls string, dy float64) {
		o.raw(`<text class="`)
		o.raw(cls)
		o.raw(`" x="`)
		o.f(cx)
		o.raw(`" y="`)
		o.f(y + dy)
		o.raw(`">`)
	}
	line("nn", 16)
	o.text(n.Name, servicedag.FitRunes(n.Name, servicedag.NameFont, true, servicedag.MaxLabel, avail))
	o.raw("</text>")
	for k, l := range v.nodeLines(n, &nv) {
		if l.text == "" {
			continue
		}
		line(l.cls, 30+14*float64(k))
		o.text(l.text, servicedag.FitRunes(l.text, lineFont, l.cls != "ns", 200, avail))
		o.raw("</text>")
	}
	o.raw("</g>\n")
}

type nodeLine struct{ cls, text string }

// nodeLines are a node's second to fourth lines: this trace's counts, the
// window's rates, and the verdict. Every number names its scope.
func (v *dagView) nodeLines(n *servicedag.Node, nv *nodeVerdict) [3]nodeLine {
	var ls [3]nodeLine
	st := nv.stats
	if v.trace != nil {
		t := "trace: " + strconv.FormatInt(nv.spans, 10) + plural(nv.spans, " span", " spans")
		if n.Virtual && n.Spans == 0 {
			t = "uninstrumented peer"
			if nv.own > 0 {
				t += " · " + strconv.FormatInt(nv.own, 10) + " own err"
			}
		}
		if nv.errs > 0 {
			t += " · " + strconv.FormatInt(nv.errs, 10) + " err"
			if nv.own > 0 {
				t += " (" + strconv.FormatInt(nv.own, 10) + " own)"
			}
		}
		ls[0] = nodeLine{"ns", t}
		switch {
		case nv.overflow:
			ls[1] = nodeLine{"ns", "window: not tracked (over the cap)"}
		case nv.window:
			ls[1] = nodeLine{"ns", "window: " + pct(st.OwnErrorRate) + " own · p99 " + fmtMs(st.P99Ms)}
		}
	} else {
		switch {
		case nv.overflow:
			ls[0] = nodeLine{"ns", "not tracked (over the cap)"}
		case nv.window:
			ls[0] = nodeLine{"ns", "window: " + strconv.FormatInt(st.Spans, 10) + plural(st.Spans, " span", " spans") + " · p99 " + fmtMs(st.P99Ms)}
			ls[1] = nodeLine{"ns", pct(st.ErrorRate) + " err · " + pct(st.OwnErrorRate) + " own"}
		case n.Virtual && n.Spans == 0:
			ls[0] = nodeLine{"ns", "uninstrumented peer"}
		default:
			ls[0] = nodeLine{"ns", strconv.FormatInt(n.Spans, 10) + plural(n.Spans, " span", " spans") + " · no window data"}
		}
	}
	var verdict string
	add := func(s string) {
		if verdict != "" {
			verdict += " · "
		}
		verdict += s
	}
	switch {
	case nv.errCulprit && nv.latCulprit:
		add("✖ fails · ◷ " + pct(nv.latShare) + " of time")
	case nv.errCulprit:
		add("✖ failure starts here")
	case nv.own > 0:
		add("✖ own error")
	case nv.propagated > 0:
		add("↑ passes an error on")
	}
	if nv.latCulprit && !nv.errCulprit {
		add("◷ " + pct(nv.latShare) + " of the time here")
	}
	if nv.hot {
		add("▲ hot")
	} else if nv.victim && v.trace == nil {
		add("↑ victim of errors below")
	}
	cls := "nj"
	if nv.errCulprit || nv.own > 0 || nv.hot {
		cls = "nj ee"
	}
	ls[2] = nodeLine{cls, verdict}
	return ls
}

func (v *dagView) nodeTitle(o *out, n *servicedag.Node, nv *nodeVerdict, what string) {
	o.text(n.Name, maxTooltip)
	if n.Virtual {
		o.raw("\nuninstrumented peer (seen only from client spans)")
	}
	counts(o, n.Spans, " spans, ", n.Errors, what)
	if v.trace != nil && (nv.own > 0 || nv.propagated > 0) {
		o.raw("\nthis trace: ")
		o.i(nv.own)
		o.raw(" own errors (the failure starts here), ")
		o.i(nv.propagated)
		o.raw(" propagated")
	}
	if nv.errCulprit {
		o.raw("\nthis trace's failure starts in this service")
	}
	if nv.latCulprit {
		o.raw("\n")
		o.raw(pct(nv.latShare))
		o.raw(" of the critical path's self time is in this service")
	}
	switch {
	case nv.overflow:
		o.raw("\nwindow: not tracked (counted in the overflow bucket past the heatmap's service cap)")
	case nv.window:
		st := nv.stats
		o.raw("\nwindow: ")
		o.i(st.Spans)
		o.raw(" spans, ")
		o.i(st.Errors)
		o.raw(" errors (")
		o.raw(pct(st.ErrorRate))
		o.raw("), ")
		o.i(st.OwnErrors)
		o.raw(" own errors (")
		o.raw(pct(st.OwnErrorRate))
		o.raw(")\nlatency p50 ")
		o.raw(fmtMs(st.P50Ms))
		o.raw(", p90 ")
		o.raw(fmtMs(st.P90Ms))
		o.raw(", p99 ")
		o.raw(fmtMs(st.P99Ms))
		if nv.hot {
			by := "own-error rate"
			if v.rule.By == heat.HotByErrors {
				by = "error rate"
			}
			o.raw("\nhot: ")
			o.raw(by)
			o.raw(" ≥ ")
			o.raw(pct(v.rule.Threshold))
			o.raw(" with ≥ ")
			o.i(v.rule.MinSpans)
			o.raw(" spans (the heatmap's rule)")
		} else if nv.victim {
			o.raw("\nvictim: most of its errors started in a service it called")
		}
	case nv.filled:
		o.raw("\nno window statistics: the fill shows this trace's own-error rate")
	}
}
