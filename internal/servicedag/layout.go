package servicedag

import (
	"math"

	"github.com/tracemap/tracemap/internal/sugiyama"
)

// Node box geometry, in SVG pixels. These are the one definition of a
// node's size: Layout places boxes of exactly this size and svgrender draws
// them at the size the layout recorded (W, H), so nothing is stretched.
//
// A box holds four lines: the name (NameFont px bold), the counts of this
// trace or window, the heat window's rates and the verdict (hot, victim,
// culprit); MinWidth is the room the longest counts line takes. LabelPad
// holds the service-colour stripe on the left and a margin on each side.
const (
	NameFont   = 12.0
	LabelPad   = 28.0
	MinWidth   = 212.0
	NodeHeight = 64.0
	// MaxLabel is the longest label, in runes, that a node box is sized
	// for; longer names are shortened to MaxLabel runes and an ellipsis.
	MaxLabel = 48
)

// Gaps between boxes, wider than sugiyama's dot-like defaults: an edge
// label ("12345 calls · 3 err", 14px high) sits between two layers.
const (
	nodeGap  = 24.0
	layerGap = 48.0
)

// NodeSize is the box Layout gives a node with this label: room for the
// label shortened to MaxLabel runes plus its ellipsis.
func NodeSize(label string) (w, h float64) {
	return max(MinWidth, math.Ceil(TextWidth(label, NameFont, true, MaxLabel))+LabelPad), NodeHeight
}

// TextWidth is a generous estimate of the width of s set in DejaVu Sans
// (the pictures' first font) at px pixels, counting at most maxRunes runes
// and, when s is longer, the ellipsis that replaces the rest. It errs on
// the wide side, per character class, so that text placed by it does not
// overrun its box in a browser.
func TextWidth(s string, px float64, bold bool, maxRunes int) float64 {
	em, n := 0.0, 0
	for _, r := range s {
		if n == maxRunes {
			em++
			break
		}
		n++
		em += runeEm(r)
	}
	if bold {
		em *= boldFactor
	}
	return em * px
}

// boldFactor widens the estimate for bold text (DejaVu Sans Bold).
const boldFactor = 1.12

// FitRunes is how many runes of s, at most maxRunes, fit in w pixels
// (with the ellipsis when s is cut), by TextWidth's estimate; at least 1.
func FitRunes(s string, px float64, bold bool, maxRunes int, w float64) int {
	if !(w > 0) {
		return 1
	}
	scale := px
	if bold {
		scale *= boldFactor
	}
	em, n := 0.0, 0
	for _, r := range s {
		if n == maxRunes {
			break
		}
		// Room for this rune and an ellipsis after it.
		if (em+runeEm(r)+1)*scale > w {
			// The whole rest may still fit without an ellipsis.
			if TextWidth(s, px, bold, maxRunes) <= w+1e-9 {
				return maxRunes
			}
			return max(1, n)
		}
		em += runeEm(r)
		n++
	}
	return maxRunes
}

// runeEm is the estimated advance of r in em: DejaVu Sans's advance
// widths for printable ASCII and the few symbols the pictures use, rounded
// up by about 3%, and a full em for everything else (CJK is a full em; most other scripts are narrower).
func runeEm(r rune) float64 {
	if r >= ' ' && r <= '~' {
		return float64(asciiMilliEm[r-' ']) / 1000
	}
	switch r {
	case '·':
		return 0.33
	case 'µ':
		return 0.66
	case '–':
		return 0.52
	case '×', '→', '↑', '↳', '✖':
		return 0.86
	}
	return 1.0
}

// asciiMilliEm holds the advances of ' ' through '~' in 1/1000 em.
var asciiMilliEm = [95]uint16{330, 410, 475, 860, 650, 980, 800, 285, 405, 405, 515, 860, 330, 370, 330, 345, 655, 655, 655, 655, 655, 655, 655, 655, 655, 655, 345, 345, 860, 860, 860, 545, 1030, 705, 707, 720, 795, 650, 595, 800, 775, 305, 305, 676, 575, 890, 770, 810, 622, 810, 717, 655, 630, 755, 705, 1020, 706, 630, 706, 405, 345, 405, 860, 515, 515, 632, 655, 567, 655, 634, 363, 655, 654, 287, 287, 597, 287, 1004, 654, 631, 655, 655, 424, 537, 404, 654, 610, 843, 610, 610, 541, 655, 345, 655, 860}

// LayoutOptions are the sugiyama options Layout uses.
func LayoutOptions() sugiyama.Options {
	o := sugiyama.DefaultOptions()
	o.NodeGap, o.LayerGap, o.ComponentGap = nodeGap, layerGap, 2*nodeGap
	return o
}

// Layout places the DAG: node boxes sized by NodeSize, layers top to
// bottom, edge routes in Points. It works on any DAG (cycles, self loops,
// parallel edges); an edge whose From or To is not a node gets no points.
func Layout(d *DAG) {
	g := sugiyama.Graph{
		Nodes: make([]sugiyama.Node, len(d.Nodes)),
		Edges: make([]sugiyama.Edge, len(d.Edges)),
	}
	for i := range d.Nodes {
		n := &d.Nodes[i]
		n.W, n.H = NodeSize(n.Name)
		g.Nodes[i] = sugiyama.Node{W: n.W, H: n.H, Source: n.Entry}
	}
	for i, e := range d.Edges {
		g.Edges[i] = sugiyama.Edge{From: e.From, To: e.To}
	}
	r := sugiyama.Layout(g, LayoutOptions())
	d.Width, d.Height = r.Width, r.Height
	for i := range d.Nodes {
		p := r.Nodes[i]
		d.Nodes[i].X, d.Nodes[i].Y, d.Nodes[i].Layer = p.X, p.Y, p.Layer
	}
	for i := range d.Edges {
		d.Edges[i].Points = r.Edges[i].Points
		d.Edges[i].Reversed = r.Edges[i].Reversed
	}
}
