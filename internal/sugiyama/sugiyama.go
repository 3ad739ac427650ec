// Package sugiyama draws a directed graph as layers (Sugiyama's method):
// cycle breaking, layer assignment, dummy nodes for long edges, crossing
// reduction and coordinate assignment. Layers run top to bottom.
package sugiyama

// Point is a position in the drawing, in the same units as node sizes.
type Point struct{ X, Y float64 }

// Node is a box to place; W and H are its size.
type Node struct{ W, H float64 }

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
type Route struct {
	Points   []Point
	Reversed bool // the edge points against the layer order
}

// Result is a drawing of a Graph: Nodes and Edges are indexed like the input.
type Result struct {
	Nodes         []Placed
	Edges         []Route
	Width, Height float64
}
