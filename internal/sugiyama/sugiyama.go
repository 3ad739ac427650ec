// Package sugiyama draws a directed graph as layers (Sugiyama's method):
// cycle breaking, layer assignment, dummy nodes for long edges, crossing
// reduction and coordinate assignment. Layers run top to bottom.
//
// Layout never panics and always terminates: out-of-range edges are ignored
// (their Route is empty), NaN, infinite or negative sizes count as 0, self
// loops and duplicate edges are drawn, and the output depends only on the
// input (no maps are iterated, no randomness).
package sugiyama

import "math"

// Point is a position in the drawing, in the same units as node sizes.
type Point struct{ X, Y float64 }

// Node is a box to place; W and H are its size. A Source is an entry
// point (where requests come in): it is drawn above every node it calls,
// and an edge into it counts as closing a cycle, so it is the one drawn
// against the layer order.
type Node struct {
	W, H   float64
	Source bool
}

// Edge joins two node indices. Self loops and duplicates are allowed.
type Edge struct{ From, To int }

// Graph is the input of Layout.
type Graph struct {
	Nodes []Node
	Edges []Edge
}

// Placed is where Layout put a node: X, Y is the centre of its box.
type Placed struct {
	X, Y  float64
	Layer int
}

// Route is the drawn path of an edge, from its From node to its To node
// (in the edge's own direction, also for edges reversed to break cycles).
// It starts on the middle of the From box's bottom (top, for a reversed
// edge), runs vertically through every layer it crosses at the x of its
// dummy node there (two points: the top and the bottom of the layer's
// band), and ends on the middle of the To box's top; so it crosses no box
// but its own two. Edges between the same two nodes (both ways, or
// listed twice) share their dummies and run side by side in them, a
// third of NodeGap apart. A self loop is a small rectangle on the right of its node.
// An edge whose From or To is not a node index has no points.
type Route struct {
	Points   []Point
	Reversed bool // the edge points against the layer order
}

// Result is a drawing of a Graph: Nodes and Edges are indexed like the input.
type Result struct {
	Nodes         []Placed
	Edges         []Route
	Width, Height float64
	// LayerY[l] is the y of the centre line of layer l (all of a layer's
	// nodes and dummy points are centred on it).
	LayerY []float64
}

// Options tune Layout. The zero value is not useful; start from
// DefaultOptions.
type Options struct {
	// NodeGap is the horizontal space between two boxes of one layer.
	NodeGap float64
	// LayerGap is the vertical space between the boxes of two layers.
	LayerGap float64
	// ComponentGap is the horizontal space between disconnected parts.
	ComponentGap float64
	// OrderPasses bounds the median sweeps of crossing reduction after
	// the start is chosen.
	OrderPasses int
	// RankIterations bounds the network simplex pivots of layer assignment
	// (0 means a bound proportional to the graph size).
	RankIterations int
	// MaxDummies bounds the dummy nodes of a connected part (one per layer
	// a long edge crosses; a dense graph needs O(n^3)). Beyond it the
	// longest edges are drawn as straight lines from node to node and are
	// left out of crossing reduction. 0 means the default.
	MaxDummies int
	// CompactSweeps bounds the sweeps that narrow the drawing after
	// Brandes-Köpf by pulling every node towards its neighbours, long
	// edges kept straight (docs/bench/layout-compaction.md); 0 keeps the
	// Brandes-Köpf coordinates.
	CompactSweeps int
}

// DefaultOptions matches Graphviz dot's defaults (nodesep 0.25in, ranksep
// 0.5in in points) so drawings of both are comparable.
func DefaultOptions() Options {
	return Options{
		NodeGap:      18,
		LayerGap:     36,
		ComponentGap: 36,
		OrderPasses:  12,
		MaxDummies:   100_000,
		// 8 free sweeps and up to 8 settling ones reach about the width
		// of 16 and 16.
		CompactSweeps: 8,
	}
}

// sanitized replaces unusable option values with defaults.
func (o Options) sanitized() Options {
	d := DefaultOptions()
	fix := func(v *float64, def float64) {
		if math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0 || *v > maxSize {
			*v = def
		}
	}
	fix(&o.NodeGap, d.NodeGap)
	fix(&o.LayerGap, d.LayerGap)
	fix(&o.ComponentGap, d.ComponentGap)
	if o.OrderPasses < 0 {
		o.OrderPasses = 0
	}
	if o.RankIterations < 0 {
		o.RankIterations = 0
	}
	o.CompactSweeps = min(max(o.CompactSweeps, 0), maxCompactSweeps)
	if o.MaxDummies <= 0 {
		o.MaxDummies = d.MaxDummies
	}
	return o
}

// maxSize caps sizes and gaps so sums of many of them stay finite.
const maxSize = 1e9

// maxCompactSweeps caps CompactSweeps: the sweeps stop on their own long
// before, and a huge value must not mean a huge loop on odd input.
const maxCompactSweeps = 64

func cleanSize(v float64) float64 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	return math.Min(v, maxSize)
}
