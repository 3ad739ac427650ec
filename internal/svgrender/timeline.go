package svgrender

import (
	"encoding/hex"
	"math"
	"strconv"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
)

// row draws timeline row i: a zebra stripe, then a group whose <title> is
// the tooltip of both the label and every bar of the row.
func (p *tracePage) row(o *out, i int) {
	r := &p.rows[i]
	y := p.rowsY + float64(i)*rowH
	first := &p.t.Spans[r.members[0]]
	errs, crit := 0, false
	for _, b := range p.bars[i] {
		errs += b.errs
		crit = crit || b.critical
	}
	own, prop, async := 0, 0, false
	for _, m := range r.members {
		switch {
		case p.isOwn(int(m)):
			own++
		case p.isPropagated(int(m)):
			prop++
		}
		async = async || p.t.Spans[m].Async
	}
	o.raw(`<g class="r"><title>`)
	switch {
	case r.overflow:
		p.overflowTitle(o, r, errs)
	case len(r.members) == 1:
		p.spanTitle(o, first)
	default:
		p.mergedTitle(o, r, errs)
	}
	o.raw("</title>")

	// Label: indent, service swatch, "service name ×N".
	depth := min(r.depth, maxDepth)
	x := margin + float64(depth*indentPx)
	svc := "s" + strconv.Itoa(p.color[first.Service])
	if r.overflow {
		svc = "zo"
	}
	rectAt(o, "sw "+svc, x, y+3, 9, barH)
	lcls := "rl"
	if crit {
		lcls = "rl rc"
	}
	textAt(o, lcls, x+13, y+12)
	room := p.labelW - float64(depth*indentPx) - 13 - 8
	if r.overflow {
		o.raw("… ")
		o.i(int64(len(r.members)))
		o.raw(" more spans (row budget)")
	} else {
		// Own errors (the failure starts here) and propagated ones are
		// told apart by their mark, not only by colour.
		switch {
		case own > 0:
			o.raw(`<tspan class="ee">✖ </tspan>`)
		case prop > 0:
			o.raw(`<tspan class="ee">↑ </tspan>`)
		case errs > 0:
			o.raw(`<tspan class="ee">! </tspan>`)
		}
		if errs > 0 {
			room -= servicedag.TextWidth("✖ ", rowFont, true, 2)
		}
		if r.depth > maxDepth {
			d := "↳" + strconv.Itoa(r.depth) + " "
			o.raw(d)
			room -= servicedag.TextWidth(d, rowFont, false, 8)
		}
		suffix := ""
		if len(r.members) > 1 {
			suffix = " ×" + strconv.Itoa(len(r.members))
		}
		if first.Orphan && len(r.members) == 1 {
			suffix += " (orphan)"
		}
		if async {
			suffix += " (async)"
		}
		room -= servicedag.TextWidth(suffix, rowFont, true, 40)
		// The service takes at most a third of the room when the name
		// needs the rest; both are whole in the tooltip.
		name := first.Name
		sw := min(servicedag.TextWidth(first.Service+" ", rowFont, true, 200), max(room/3, room-servicedag.TextWidth(name, rowFont, true, 200)))
		o.raw(`<tspan class="sv">`)
		o.text(first.Service, servicedag.FitRunes(first.Service, rowFont, true, 200, sw-servicedag.TextWidth(" ", rowFont, true, 1)))
		o.raw("</tspan> ")
		o.text(name, servicedag.FitRunes(name, rowFont, true, 200, room-sw))
		if len(r.members) > 1 {
			o.raw(" ×" + strconv.Itoa(len(r.members)))
		}
		if first.Orphan && len(r.members) == 1 {
			o.raw(`<tspan class="mut"> (orphan)</tspan>`)
		}
		if async {
			o.raw(`<tspan class="mut"> (async)</tspan>`)
		}
	}
	o.raw("</text>")

	x0 := margin + p.labelW
	merged := len(r.members) > 1 || r.overflow
	for _, b := range p.bars[i] {
		bcls := "b " + svc
		if b.errs > 0 && !merged { // merged rows carry error ticks instead
			switch {
			case own > 0:
				bcls += " bo"
			case prop > 0:
				bcls += " bp"
			default:
				bcls += " be"
			}
		}
		if async && !merged {
			bcls += " ba"
		}
		if b.skewed {
			bcls += " bs"
		}
		w := max(b.x1-b.x0, 1)
		if f := b.busy(p.ts); merged && f < 0.995 {
			o.raw(`<rect class="`)
			o.raw(bcls)
			o.raw(`" fill-opacity="`)
			o.f2(0.3 + 0.7*f)
			o.raw(`"`)
			rectAttrs(o, x0+b.x0, y+3, w, barH)
		} else {
			rectAt(o, bcls, x0+b.x0, y+3, w, barH)
		}
		if b.critical && !merged {
			rectAt(o, "cp", x0+b.x0, y+barH+4, w, 2)
		}
	}
	for _, c := range p.marks[i].crit {
		rectAt(o, "cp", x0+c[0], y+barH+4, max(c[1]-c[0], 1), 2)
	}
	for _, x := range p.marks[i].errAt {
		rectAt(o, "xm", x0+x, y+1, max(2, float64(p.binPx)), barH+4)
	}
	p.durationLabel(o, r, i, y)
	o.raw("</g>\n")
}

// durationLabel writes the row's duration (a merged row: the mean) after
// its last bar, or before its first when there is no room after, or inside
// the bar's right end when it fills the axis.
func (p *tracePage) durationLabel(o *out, r *row, i int, y float64) {
	bars := p.bars[i]
	if len(bars) == 0 || r.overflow {
		return
	}
	var label string
	if len(r.members) == 1 {
		s := &p.t.Spans[r.members[0]]
		label = fmtDur(max(s.End-s.Start, 0))
	} else {
		_, _, sum, _, _, _ := p.spanStats(r.members)
		label = "mean " + fmtDur(sum/int64(len(r.members)))
	}
	w := servicedag.TextWidth(label, durFont, false, 40)
	x0 := margin + p.labelW
	first, last := bars[0].x0, bars[len(bars)-1].x1
	cls, x := "dl", x0+last+4
	switch {
	case last+4+w <= p.ts.width+10:
	case first-4-w >= 0:
		cls, x = "dl dr", x0+first-4
	default:
		cls, x = "dl dr", x0+last-3
	}
	textAt(o, cls, x, y+11.5)
	o.raw(label)
	o.raw("</text>")
}

func (p *tracePage) spanTitle(o *out, s *spantree.Span) {
	o.text(s.Name, maxTooltip)
	o.raw("\nservice: ")
	o.text(s.Service, maxTooltip)
	o.raw(" · kind: ")
	o.raw(kindName(s.Kind))
	o.raw("\nstart +")
	o.raw(fmtDur(s.Offset))
	o.raw(" · duration ")
	o.raw(fmtDur(max(s.End-s.Start, 0)))
	o.raw(" · self ")
	o.raw(fmtDur(s.Self))
	hasSource := s.Source != (ptrace.Span{})
	if s.Error {
		o.raw("\nstatus: ERROR")
		if hasSource && s.Source.Status().Message() != "" {
			o.raw(": ")
			o.text(s.Source.Status().Message(), maxTooltip)
		}
	} else {
		o.raw("\nstatus: ok")
	}
	if s.Critical {
		o.raw("\non the critical path")
	}
	if s.Skew != 0 {
		o.raw("\nclock skew corrected: shifted by ")
		if s.Skew > 0 {
			o.raw("+")
		}
		o.raw(fmtDur(s.Skew))
	}
	if s.Orphan {
		o.raw("\norphan: its parent span is not in the trace")
	}
	if !hasSource {
		return
	}
	id := s.Source.SpanID()
	o.raw("\nspan ")
	o.raw(hex.EncodeToString(id[:]))
	attrs := s.Source.Attributes()
	for _, k := range keyAttributes {
		if v, ok := attrs.Get(k); ok {
			o.raw("\n")
			o.raw(k)
			o.raw(": ")
			o.text(v.AsString(), maxTooltip)
		}
	}
}

func kindName(k ptrace.SpanKind) string {
	switch k {
	case ptrace.SpanKindServer:
		return "server"
	case ptrace.SpanKindClient:
		return "client"
	case ptrace.SpanKindProducer:
		return "producer"
	case ptrace.SpanKindConsumer:
		return "consumer"
	case ptrace.SpanKindInternal:
		return "internal"
	}
	return "unspecified"
}

// spanStats summarises the spans of a merged row for its tooltip.
func (p *tracePage) spanStats(members []int32) (minD, maxD, sum int64, crit int, firstStart, lastEnd int64) {
	minD, firstStart = math.MaxInt64, math.MaxInt64
	for _, m := range members {
		s := &p.t.Spans[m]
		d := max(s.End-s.Start, 0)
		minD, maxD, sum = min(minD, d), max(maxD, d), sum+d
		firstStart, lastEnd = min(firstStart, s.Offset), max(lastEnd, s.Offset+d)
		if s.Critical {
			crit++
		}
	}
	return
}

func (p *tracePage) mergedTitle(o *out, r *row, errs int) {
	s := &p.t.Spans[r.members[0]]
	o.raw("×")
	o.i(int64(len(r.members)))
	o.raw(" ")
	o.text(s.Name, maxTooltip)
	o.raw("\nservice: ")
	o.text(s.Service, maxTooltip)
	p.summary(o, r.members, errs)
}

func (p *tracePage) overflowTitle(o *out, r *row, errs int) {
	o.i(int64(len(r.members)))
	o.raw(" more spans past the row budget of ")
	o.i(int64(p.opt.RowBudget))
	o.raw(" rows, drawn together")
	p.summary(o, r.members, errs)
}

func (p *tracePage) summary(o *out, members []int32, errs int) {
	minD, maxD, sum, crit, first, last := p.spanStats(members)
	n := int64(len(members))
	itoa := func(v int) string { return strconv.FormatInt(int64(v), 10) }
	for _, s := range []string{
		"\n", itoa(len(members)), " spans · ", itoa(errs), " errors · ", itoa(crit), " on the critical path",
		"\nduration min ", fmtDur(minD), " · mean ", fmtDur(sum / n), " · max ", fmtDur(maxD), " · total ", fmtDur(sum),
		"\nfrom +", fmtDur(first), " to +", fmtDur(last),
	} {
		o.raw(s)
	}
}

// isOwn and isPropagated read the verdict for span i.
func (p *tracePage) isOwn(i int) bool { return i < len(p.verdict.Own) && p.verdict.Own[i] }

func (p *tracePage) isPropagated(i int) bool {
	return i < len(p.verdict.Propagated) && p.verdict.Propagated[i]
}
