// Package servicedag builds the service graph of a trace (or of a window of
// traces), lays it out with package sugiyama, and encodes it as the compact,
// versioned string written to the tracemap.dag attribute.
package servicedag

import "github.com/tracemap/tracemap/internal/sugiyama"

// Node is a service (or service + operation) in the graph.
type Node struct {
	Name    string
	Virtual bool  // an uninstrumented peer seen only from client spans
	Spans   int64 // spans of this node in the trace or window
	Errors  int64
	// Placement, filled by Layout.
	X, Y, W, H float64
	Layer      int
}

// Edge is caller -> callee with what crossed it.
type Edge struct {
	From, To   int // node indices
	Calls      int64
	Errors     int64
	DurationNs int64            // summed callee span durations
	Points     []sugiyama.Point // filled by Layout
	Reversed   bool
}

// DAG is a service graph with its layout.
type DAG struct {
	Nodes         []Node
	Edges         []Edge
	Width, Height float64
}
