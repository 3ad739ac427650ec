package summary

import (
	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/servicedag"
)

// DAG returns the window's service graph (one node per service, one edge per
// caller -> callee pair) for laying out and drawing as a service map. Edges
// naming a service the summary does not list get that service as a virtual
// node, so a hand-written or truncated summary still draws.
func (s *Summary) DAG() *servicedag.DAG {
	d := &servicedag.DAG{}
	idx := make(map[string]int, len(s.Services))
	node := func(name string) int {
		if i, ok := idx[name]; ok {
			return i
		}
		idx[name] = len(d.Nodes)
		d.Nodes = append(d.Nodes, servicedag.Node{Name: name, Service: name, Virtual: true})
		return idx[name]
	}
	var roots []int64
	for _, sv := range s.Services {
		i := node(sv.Name)
		n := &d.Nodes[i]
		n.Virtual = sv.Virtual
		n.Spans += sv.Spans
		n.Errors += sv.Errors
		roots = append(roots, make([]int64, max(0, i+1-len(roots)))...)
		roots[i] += sv.Roots
	}
	for _, e := range s.Edges {
		d.Edges = append(d.Edges, servicedag.Edge{From: node(e.From), To: node(e.To), Calls: e.Calls, Errors: e.Errors})
	}
	d.MarkEntries(roots)
	return d
}

// Stats returns a service's window figures as internal/heat states them
// (rates from the summed counts); ok is false for a service not listed.
func (s *Summary) Stats(service string) (st heat.Stats, ok bool) {
	for i := range s.Services {
		sv := &s.Services[i]
		if sv.Name != service {
			continue
		}
		st = heat.Stats{Spans: sv.Spans, Errors: sv.Errors, OwnErrors: sv.OwnErrors,
			P50Ms: sv.Latency.P50Ms, P90Ms: sv.Latency.P90Ms, P99Ms: sv.Latency.P99Ms}
		if sv.Spans > 0 {
			st.ErrorRate = float64(sv.Errors) / float64(sv.Spans)
			st.OwnErrorRate = float64(sv.OwnErrors) / float64(sv.Spans)
		}
		return st, true
	}
	return heat.Stats{}, false
}
