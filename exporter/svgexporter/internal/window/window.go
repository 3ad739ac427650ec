// Package window sums the service graphs of the traces seen in one time
// window into the graph a service map is drawn from, within fixed bounds.
package window

import (
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/summary"
)

// Window is the service graph of one window. Not safe for concurrent use.
type Window struct {
	Start, End         time.Time
	maxNodes, maxEdges int
	dag                servicedag.DAG
	nodes              map[string]int
	edges              map[[2]int]int
	traces             int64
	dropped            int64
	// per node index: own errors, the span-duration histogram and the
	// traces whose root is there
	own   []int64
	hists []*hdr.Histogram
	roots []int64
	// per edge index: failed calls in traces whose failure started in the
	// callee
	edgeOwn []int64
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
	defer func() { w.dropped += int64(dropped) }()
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
	// A trace's graph lists its root's service first (servicedag.FromTree;
	// tracemap.dag is written on the root span).
	if len(idx) > 0 && idx[0] >= 0 {
		w.grow(idx[0])
		w.roots[idx[0]]++
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

// Observe adds a trace's own errors (own[i]: spans[i] is where a failure
// starts, internal/culprit's rule) and span durations to the services of
// the window, and, for every edge of d (the trace's graph, already Added)
// with failed calls whose callee is culprit (the service where the trace's
// failure started), those failed calls as the edge's own errors. Services
// and edges the window had no room for are skipped. spans are the trace's
// as spantree.GroupByTrace gives them (Service set).
func (w *Window) Observe(spans []spantree.Ref, own []bool, d *servicedag.DAG, culprit string) {
	for i, s := range spans {
		j, ok := w.nodes[s.Service]
		if !ok {
			continue
		}
		w.grow(j)
		if own[i] {
			w.own[j]++
		}
		if w.hists[j] == nil {
			w.hists[j] = summary.NewHistogram()
		}
		start, end := spantree.Times(s.Span)
		summary.RecordNs(w.hists[j], end-start)
	}
	if culprit == "" {
		return
	}
	for _, e := range d.Edges {
		if e.Errors == 0 || e.From < 0 || e.From >= len(d.Nodes) || e.To < 0 || e.To >= len(d.Nodes) || d.Nodes[e.To].Service != culprit {
			continue
		}
		from, ok1 := w.nodes[d.Nodes[e.From].Name]
		to, ok2 := w.nodes[d.Nodes[e.To].Name]
		if !ok1 || !ok2 {
			continue
		}
		if j, ok := w.edges[[2]int{from, to}]; ok {
			for len(w.edgeOwn) <= j {
				w.edgeOwn = append(w.edgeOwn, 0)
			}
			w.edgeOwn[j] += e.Errors
		}
	}
}

func (w *Window) grow(j int) {
	for len(w.own) <= j {
		w.own = append(w.own, 0)
		w.hists = append(w.hists, nil)
		w.roots = append(w.roots, 0)
	}
}

// Summary returns the window's figures in internal/summary's terms
// (services, edges, traces, dropped); the caller adds the rest.
func (w *Window) Summary() (*summary.Summary, error) {
	s := &summary.Summary{Start: w.Start, End: w.End, Traces: w.traces, Dropped: w.dropped}
	for j, n := range w.dag.Nodes {
		sv := summary.Service{Name: n.Name, Virtual: n.Virtual, Spans: n.Spans, Errors: n.Errors}
		if j < len(w.own) {
			sv.OwnErrors, sv.Roots = w.own[j], w.roots[j]
			if h := w.hists[j]; h != nil {
				l, err := summary.LatencyOf(h)
				if err != nil {
					return nil, err
				}
				sv.Latency = l
			}
		}
		s.Services = append(s.Services, sv)
	}
	for j, e := range w.dag.Edges {
		se := summary.Edge{From: w.dag.Nodes[e.From].Name, To: w.dag.Nodes[e.To].Name, Calls: e.Calls, Errors: e.Errors}
		if j < len(w.edgeOwn) {
			se.OwnErrors = w.edgeOwn[j]
		}
		s.Edges = append(s.Edges, se)
	}
	return s, nil
}

// Traces is how many traces were added.
func (w *Window) Traces() int64 { return w.traces }

// DAG returns the window's graph (not laid out), its entries marked. The
// window must not be added to afterwards; Summary may still be called.
func (w *Window) DAG() *servicedag.DAG {
	w.dag.MarkEntries(w.roots)
	return &w.dag
}
