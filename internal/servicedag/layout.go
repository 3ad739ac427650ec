package servicedag

import (
	"math"
	"unicode/utf8"

	"github.com/tracemap/tracemap/internal/sugiyama"
)

// Node box geometry, in SVG pixels. These are the one definition of a
// node's size: Layout places boxes of exactly this size and svgrender draws
// them at the size the layout recorded (W, H), so nothing is stretched.
//
// A box holds three lines: the name (12px bold, about NameCharW per
// character), the counts of this trace or window, and the heat window's
// rates; MinWidth is the room the longest counts line takes ("12345 spans
// · 2 own err · p99 123ms"). LabelPad holds the service-colour stripe on
// the left and a margin on each side.
const (
	NameCharW  = 7.2
	LabelPad   = 26.0
	MinWidth   = 168.0
	NodeHeight = 50.0
	// MaxLabel is the longest label, in runes, that a node box is sized
	// for; longer names are shortened to MaxLabel runes and an ellipsis.
	MaxLabel = 48
)

// Gaps between boxes, wider than sugiyama's dot-like defaults: an edge
// label ("12345 calls · 3 err", 14px high) sits between two layers.
const (
	nodeGap  = 24.0
	layerGap = 44.0
)

// NodeSize is the box Layout gives a node with this label: room for the
// label shortened to MaxLabel runes plus its ellipsis.
func NodeSize(label string) (w, h float64) {
	n := utf8.RuneCountInString(label)
	if n > MaxLabel {
		n = MaxLabel + 1
	}
	return max(MinWidth, float64(n)*NameCharW+LabelPad), NodeHeight
}

// LabelRunes is how many runes of a name fit a box w pixels wide (the
// inverse of NodeSize): a renderer shortens a name to this many runes.
func LabelRunes(w float64) int {
	if !(w > LabelPad) {
		return 1
	}
	return max(1, int(math.Floor((w-LabelPad)/NameCharW+1e-9)))
}

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
		g.Nodes[i] = sugiyama.Node{W: n.W, H: n.H}
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
