package servicedag

import (
	"unicode/utf8"

	"github.com/tracemap/tracemap/internal/sugiyama"
)

// Node box sizes, in the drawing's units (SVG pixels): the label is set in
// a ~12px font (about 7 units per character), a second line holds counts.
const (
	charWidth  = 7.0
	labelPad   = 24.0
	minWidth   = 64.0
	nodeHeight = 40.0
	// MaxLabel is the longest label, in runes, that a node box is sized
	// for; renderers shorten longer names.
	MaxLabel = 48
)

// NodeSize is the box Layout gives a node with this label.
func NodeSize(label string) (w, h float64) {
	n := min(utf8.RuneCountInString(label), MaxLabel)
	return max(minWidth, float64(n)*charWidth+labelPad), nodeHeight
}

// Layout places the DAG with sugiyama's default options: node boxes sized
// from their labels, layers top to bottom, edge routes in Points. It works
// on any DAG (cycles, self loops, parallel edges); an edge whose From or To
// is not a node gets no points.
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
	r := sugiyama.Layout(g, sugiyama.DefaultOptions())
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
