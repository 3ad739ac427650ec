package tracecompare

import (
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/tracemap/tracemap/internal/colorscale"
	"github.com/tracemap/tracemap/internal/svgrender"
)

// Picture geometry, in pixels.
const (
	width     = 1200
	margin    = 20
	rowH      = 26
	indent    = 12
	labelW    = 360 // label column, from the margin
	axisX     = margin + labelW + 20
	axisW     = 540
	colA      = axisX + axisW + 75 // right edges of the number columns
	colB      = colA + 70
	swatchX   = colB + 12
	colDelta  = width - margin
	rowsTop   = 124
	maxRows   = 3000
	hatchStep = 5
)

// style adds the comparison's own classes to the pictures' style.
const style = `<style>
.cl{font-size:11px}.cn{font-size:11px;text-anchor:end}.cs{font-size:9px;fill:#666;text-anchor:end}
.ch3{font-size:11px;font-weight:bold;text-anchor:end}
.ca{fill:#8c8c8c}.co{stroke:#444;stroke-width:1}.cq{fill:none;stroke:#444;stroke-width:1}.cx{fill:none;stroke:#444;stroke-width:1.2;stroke-dasharray:3 2}
.cy{stroke:#444;stroke-width:1}.cw{stroke:#444;stroke-width:.6}
</style>
`

// diverging is the colour scale of B against A: blue where B is faster,
// near white where they are the same, red where B is slower (ColorBrewer
// RdBu anchors, readable by the common colour-vision deficiencies; the
// picture also prints every change as a number).
var diverging = [...]colorscale.Color{
	{R: 0x21, G: 0x66, B: 0xac}, {R: 0x92, G: 0xc5, B: 0xde}, {R: 0xf7, G: 0xf7, B: 0xf7},
	{R: 0xf4, G: 0xa5, B: 0x82}, {R: 0xb2, G: 0x18, B: 0x2b},
}

// Change is log2 of B's duration over A's, clamped to -2..2 (4× faster to
// 4× slower): the position on the diverging scale.
func Change(a, b int64) float64 {
	switch {
	case a <= 0 && b <= 0:
		return 0
	case a <= 0:
		return 2
	case b <= 0:
		return -2
	}
	return max(-2, min(2, math.Log2(float64(b)/float64(a))))
}

// Color is the diverging scale at t in -2..2.
func Color(t float64) colorscale.Color {
	t = max(-2, min(2, t)) + 2 // 0..4
	i := min(int(t), 3)
	f := t - float64(i)
	lo, hi := diverging[i], diverging[i+1]
	mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + (float64(b)-float64(a))*f)) }
	return colorscale.Color{R: mix(lo.R, hi.R), G: mix(lo.G, hi.G), B: mix(lo.B, hi.B)}
}

// percent is B against A as "+35%", "-20%", "same" within half a percent.
func percent(a, b int64) string {
	if a <= 0 {
		if b <= 0 {
			return "same"
		}
		return "new time"
	}
	p := (float64(b) - float64(a)) / float64(a) * 100
	if math.Abs(p) < 0.5 {
		return "same"
	}
	return fmt.Sprintf("%+.0f%%", p)
}

// Labels name the two traces in the header (file names, say).
type Labels struct{ A, B string }

// Draw writes the comparison as one SVG: a row per merged span, indented by
// depth, with A's bar (grey) above B's (coloured by B against A) on one time
// axis, the durations and the change in numbers; spans only A has are drawn
// as dashed outlines and those only B has hatched, each labelled so.
func Draw(w io.Writer, c *Comparison, l Labels) error {
	var rows []*Node
	c.Walk(func(n *Node) { rows = append(rows, n) })
	shown := min(len(rows), maxRows)
	height := float64(rowsTop + shown*rowH + 80)
	if shown < len(rows) {
		height += 20
	}
	o := svgrender.NewWriter(w)
	o.Open(width, height)
	o.Raw(style)

	o.TextAt("h1", margin, 34)
	o.Raw("Trace comparison: A and B</text>\n")
	o.TextAt("h2", margin, 56)
	o.Raw("A ")
	o.Text(c.TraceA, 32)
	o.Raw(" (")
	o.Text(l.A, svgrender.MaxLabel)
	o.Raw(") " + svgrender.FormatDuration(c.DurationA) + " · B ")
	o.Text(c.TraceB, 32)
	o.Raw(" (")
	o.Text(l.B, svgrender.MaxLabel)
	o.Raw(") " + svgrender.FormatDuration(c.DurationB) + " · B against A: " + percent(c.DurationA, c.DurationB) + "</text>\n")
	o.TextAt("mut", margin, 76)
	o.Raw(strconv.Itoa(c.Matched) + " spans in both, " + strconv.Itoa(c.OnlyA) + " only in A, " +
		strconv.Itoa(c.OnlyB) + " only in B (matched by service and operation path)</text>\n")

	span := max(c.DurationA, c.DurationB, 1)
	scale := float64(axisW) / float64(span)
	axis(o, span, scale, float64(rowsTop-6), float64(rowsTop+shown*rowH))
	for _, h := range [...]struct {
		x    float64
		text string
	}{{colA, "A"}, {colB, "B"}, {colDelta, "B vs A"}} {
		o.TextAt("ch3", h.x, rowsTop-24)
		o.Raw(h.text + "</text>\n")
	}
	for r, n := range rows[:shown] {
		row(o, n, float64(rowsTop+r*rowH), r, scale)
	}
	y := float64(rowsTop + shown*rowH)
	if shown < len(rows) {
		y += 16
		o.TextAt("mut", margin, y)
		o.Raw(strconv.Itoa(len(rows)-shown) + " more spans not drawn</text>\n")
	}
	legend(o, y+30)
	o.Raw("</svg>\n")
	return o.Flush()
}

// axis draws the shared time axis: ticks above the rows, grid lines through them.
func axis(o *svgrender.Writer, span int64, scale, top, bottom float64) {
	step, at := svgrender.Ticks(span, 8)
	for _, v := range at {
		x := axisX + float64(v)*scale
		line(o, "gr", x, top, x, bottom)
		o.TextAt("ax", x, top-4)
		o.Raw(svgrender.TickLabel(v, step) + "</text>\n")
	}
}

func row(o *svgrender.Writer, n *Node, y float64, r int, scale float64) {
	if r%2 == 1 {
		o.Rect("zb", 0, y, width, rowH)
	}
	o.Raw(`<g class="row">`)
	in := min(n.Depth, 20) * indent
	o.TextAt("cl", float64(margin+in), y+17)
	// cut to the label column (about 6.5 px a character at 11 px)
	o.Text(n.Service+": "+n.Name, max(8, (labelW-in)*10/65))
	o.Raw("</text>")
	for _, s := range [...]struct {
		letter string
		dy     float64
	}{{"A", 11}, {"B", 21}} {
		o.TextAt("cs", axisX-4, y+s.dy)
		o.Raw(s.letter + "</text>")
	}
	t := 0.0
	if n.A != nil && n.B != nil {
		t = Change(n.A.Duration, n.B.Duration)
	}
	if n.A != nil {
		x, w := bar(n.A, scale)
		if n.B != nil {
			o.Rect("ca", x, y+4, w, 8)
		} else {
			o.Rect("cx", x, y+4, w, 8)
		}
		duration(o, colA, y, n.A)
	} else {
		number(o, colA, y, "—")
	}
	if n.B != nil {
		x, w := bar(n.B, scale)
		if n.A != nil {
			filled(o, Color(t), x, y+14, w, 8)
		} else {
			hatch(o, x, y+14, w, 8)
		}
		duration(o, colB, y, n.B)
	} else {
		number(o, colB, y, "—")
	}
	switch {
	case n.A == nil:
		number(o, colDelta, y, "only in B")
	case n.B == nil:
		number(o, colDelta, y, "only in A")
	default:
		filled(o, Color(t), swatchX, y+7, 12, 12)
		number(o, colDelta, y, percent(n.A.Duration, n.B.Duration))
	}
	o.Raw("</g>\n")
}

// filled writes an outlined rectangle in colour c of the scale.
func filled(o *svgrender.Writer, c colorscale.Color, x, y, w, h float64) {
	o.Raw(`<rect class="co" fill="` + c.Hex() + `"`)
	o.RectAttrs(x, y, w, h)
}

// bar is the x and width of a span on the axis, at least one pixel wide.
func bar(s *Side, scale float64) (x, w float64) {
	return axisX + float64(s.Offset)*scale, max(1, float64(s.Duration)*scale)
}

// duration writes a span's duration, in red and marked ✕ when it failed.
func duration(o *svgrender.Writer, x, y float64, s *Side) {
	if !s.Error {
		number(o, x, y, svgrender.FormatDuration(s.Duration))
		return
	}
	o.TextAt("cn ee", x, y+17)
	o.Raw("✕ " + svgrender.FormatDuration(s.Duration) + "</text>")
}

func number(o *svgrender.Writer, x, y float64, text string) {
	o.TextAt("cn", x, y+17)
	o.Raw(text + "</text>")
}

// hatch draws an outlined rectangle filled with diagonal lines, the mark of
// what only B has (a pattern, so it does not rest on colour alone).
func hatch(o *svgrender.Writer, x, y, w, h float64) {
	o.Rect("cq", x, y, w, h)
	for t := -h; t < w; t += hatchStep {
		s0, s1 := max(0, -t), min(h, w-t)
		if s1 <= s0 {
			continue
		}
		line(o, "cw", x+t+s0, y+h-s0, x+t+s1, y+h-s1)
	}
}

// line writes a <line> of class cls.
func line(o *svgrender.Writer, cls string, x1, y1, x2, y2 float64) {
	o.Raw(`<line class="` + cls + `"`)
	for i, v := range [4]float64{x1, y1, x2, y2} {
		o.Raw([4]string{` x1="`, `" y1="`, `" x2="`, `" y2="`}[i])
		o.Num(v)
	}
	o.Raw(`"/>`)
}

// legend explains the scale and the marks.
func legend(o *svgrender.Writer, y float64) {
	o.TextAt("lt", margin, y)
	o.Raw("B against A</text>\n")
	const sw = 36
	for i := range 9 {
		t := -2 + float64(i)*0.5
		filled(o, Color(t), float64(margin+90+i*sw), y-11, sw, 14)
	}
	for i, label := range [...]string{"4× faster", "2× faster", "same", "2× slower", "4× slower"} {
		o.TextAt("lx", float64(margin+90+i*2*sw+sw/2), y+16)
		o.Raw(label + "</text>")
	}
	x := float64(margin + 90 + 9*sw + 40)
	o.Rect("ca", x, y-8, 30, 8)
	o.TextAt("lt", x+36, y)
	o.Raw("A</text>")
	x += 60
	filled(o, Color(1), x, y-8, 30, 8)
	o.TextAt("lt", x+36, y)
	o.Raw("B, coloured by B against A</text>")
	x += 190
	o.Rect("cx", x, y-8, 30, 8)
	o.TextAt("lt", x+36, y)
	o.Raw("only in A</text>")
	x += 100
	hatch(o, x, y-8, 30, 8)
	o.TextAt("lt", x+36, y)
	o.Raw("only in B</text>")
	o.TextAt("ee", x+110, y)
	o.Raw("✕ status ERROR</text>\n")
}
