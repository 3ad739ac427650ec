// Package window sums the service graphs of the traces seen in one time
// window into the graph a service map is drawn from, within fixed bounds.
package window

import (
	"time"

	"github.com/tracemap/tracemap/internal/servicedag"
)

// Window is the service graph of one window. Not safe for concurrent use.
type Window struct {
	Start, End         time.Time
	maxNodes, maxEdges int
	dag                servicedag.DAG
	nodes              map[string]int
	edges              map[[2]int]int
	traces             int64
}

// New starts an empty window [start, end) holding at most maxNodes services
// and maxEdges edges.
func New(start, end time.Time, maxNodes, maxEdges int) *Window {
	return &Window{
		Start: start, End: end,
		maxNodes: maxNodes, maxEdges: maxEdges,
		nodes: make(map[string]int),
		edges: make(map[[2]int]int),
	}
}

// Add merges one trace's graph (nodes by name, edges by their ends) and
// returns how many nodes and edges did not fit.
func (w *Window) Add(d *servicedag.DAG) (dropped int) {
	w.traces++
	idx := make([]int, len(d.Nodes))
	for i, n := range d.Nodes {
		j, ok := w.nodes[n.Name]
		if !ok {
			if len(w.dag.Nodes) >= w.maxNodes {
				idx[i] = -1
				dropped++
				continue
			}
			j = len(w.dag.Nodes)
			w.nodes[n.Name] = j
			w.dag.Nodes = append(w.dag.Nodes, servicedag.Node{Name: n.Name, Service: n.Service, Operation: n.Operation, Virtual: true})
		}
		idx[i] = j
		m := &w.dag.Nodes[j]
		m.Spans += n.Spans
		m.Errors += n.Errors
		// A service drawn as instrumented by any trace is not virtual.
		m.Virtual = m.Virtual && n.Virtual
	}
	for _, e := range d.Edges {
		if e.From < 0 || e.From >= len(idx) || e.To < 0 || e.To >= len(idx) {
			continue // malformed input graph: nothing to attach it to
		}
		from, to := idx[e.From], idx[e.To]
		if from < 0 || to < 0 {
			dropped++
			continue
		}
		k := [2]int{from, to}
		j, ok := w.edges[k]
		if !ok {
			if len(w.dag.Edges) >= w.maxEdges {
				dropped++
				continue
			}
			j = len(w.dag.Edges)
			w.edges[k] = j
			w.dag.Edges = append(w.dag.Edges, servicedag.Edge{From: from, To: to})
		}
		m := &w.dag.Edges[j]
		m.Calls += e.Calls
		m.Errors += e.Errors
		m.DurationNs += e.DurationNs
	}
	return dropped
}

// Traces is how many traces were added.
func (w *Window) Traces() int64 { return w.traces }

// DAG returns the window's graph (not laid out). The window must not be
// used afterwards.
func (w *Window) DAG() *servicedag.DAG { return &w.dag }
