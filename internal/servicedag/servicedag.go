// Package servicedag builds the service graph of a trace (or of a window of
// traces), lays it out with package sugiyama, and encodes it as the compact,
// versioned string written to the tracemap.dag attribute.
package servicedag

import (
	"math"

	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/sugiyama"
)

// Node is a service (or service + operation) in the graph.
type Node struct {
	Name      string // label: the service, or "service: operation"
	Service   string // service.name (for virtual nodes: the peer's name)
	Operation string // span name when nodes are per operation, else ""
	Virtual   bool   // an uninstrumented peer seen only from client spans
	// Entry marks where requests come in (a trace's root span; in a
	// window, MarkEntries): Layout draws it above the services it calls.
	Entry  bool
	Spans  int64 // spans of this node in the trace or window
	Errors int64
	// Placement, filled by Layout: X, Y is the centre of the W x H box.
	X, Y, W, H float64
	Layer      int
}

// Edge is caller -> callee with what crossed it.
type Edge struct {
	From, To   int // node indices
	Calls      int64
	Errors     int64
	DurationNs int64            // summed callee span durations
	Points     []sugiyama.Point // filled by Layout, From's end first
	Reversed   bool             // drawn against the layer order (a cycle)
}

// DAG is a service graph with its layout.
type DAG struct {
	Nodes         []Node
	Edges         []Edge
	Width, Height float64
}

// Options choose what a node is.
type Options struct {
	// Operations makes one node per service + span name instead of one per
	// service.
	Operations bool
}

type nodeKey struct {
	service, operation string
	virtual            bool
}

// Builder builds service graphs, reusing its memory from one trace to the
// next (for a caller done with the last graph, such as the layout
// processor). It finds nodes and edges by scanning while there are few
// (most traces touch a handful of services) and through maps beyond that.
type Builder struct {
	d      *DAG
	keys   []nodeKey       // of d.Nodes
	nodes  map[nodeKey]int // nil until more than scanLimit nodes
	edges  map[uint64]int  // from<<32 | to; nil until more than scanLimit edges
	nodeOf []int           // per span
	peers  []int           // leaf client spans naming a peer
}

const scanLimit = 16

// FromTree builds the service graph of one trace. Nodes and edges are in
// the order in which a depth-first walk of the tree first meets them, so the
// root's service is node 0. An edge joins a parent span's node to its child
// span's node; calls inside one node are not edges. A client or producer
// span naming its peer (spantree.Tree.Peer) and with no child span adds an
// edge to that peer: to the service's node when the trace has one (per-service nodes),
// else to a virtual node.
func FromTree(t *spantree.Tree, opt Options) *DAG { return new(Builder).FromTree(t, opt) }

// FromTree is the package's FromTree; the graph is valid until the next
// call.
func (b *Builder) FromTree(t *spantree.Tree, opt Options) *DAG {
	if b.d == nil {
		b.d = new(DAG)
	}
	*b.d = DAG{Nodes: b.d.Nodes[:0], Edges: b.d.Edges[:0]}
	b.keys, b.nodes, b.edges = b.keys[:0], nil, nil
	nodeOf := resize(&b.nodeOf, len(t.Spans))
	peers := b.peers[:0]
	var last nodeKey
	lastNode := -1
	t.Walk(func(i int) {
		s := &t.Spans[i]
		k := nodeKey{service: s.Service}
		if opt.Operations {
			k.operation = s.Name
		}
		// Runs of spans of one node are common: skip the map for them.
		if lastNode < 0 || k != last {
			last, lastNode = k, b.node(k)
		}
		n := lastNode
		nodeOf[i] = n
		b.d.Nodes[n].Spans++
		if s.Error {
			b.d.Nodes[n].Errors++
		}
		if s.Parent >= 0 {
			p := &t.Spans[s.Parent]
			b.edge(nodeOf[s.Parent], n, s, heat.IsFailedCall(p.Kind, p.Error, s.Error))
		} else if !s.Orphan { // an orphan's caller is missing, not absent
			b.d.Nodes[n].Entry = true
		}
		if spantree.Calls(s.Kind) && len(s.Children) == 0 {
			peers = append(peers, i)
		}
	})
	b.peers = peers
	// Peers are resolved once every real node is known.
	for _, i := range peers {
		s := &t.Spans[i]
		peer := t.Peer(i)
		if peer == "" {
			continue
		}
		to := -1
		if !opt.Operations {
			to = b.find(nodeKey{service: peer})
		}
		if to < 0 {
			to = b.node(nodeKey{service: peer, virtual: true})
		}
		b.edge(nodeOf[i], to, s, heat.IsFailedCall(s.Kind, s.Error, false))
	}
	return b.d
}

// MarkEntries marks where requests come into a window's graph: the nodes
// at least as many traces start at (roots, by node index) as calls reach
// (self calls aside). A service that mostly serves others and runs a few
// jobs of its own stays below its callers.
func (d *DAG) MarkEntries(roots []int64) {
	in := make([]int64, len(d.Nodes))
	for _, e := range d.Edges {
		if e.From != e.To && e.From >= 0 && e.From < len(in) && e.To >= 0 && e.To < len(in) {
			in[e.To] += e.Calls
		}
	}
	for i := range d.Nodes {
		d.Nodes[i].Entry = i < len(roots) && roots[i] > 0 && roots[i] >= in[i]
	}
}

// resize sets *s to n elements, reusing its array when large enough.
func resize(s *[]int, n int) []int {
	if cap(*s) < n {
		*s = make([]int, n)
	}
	*s = (*s)[:n]
	return *s
}

// find returns the node with key k, or -1.
func (b *Builder) find(k nodeKey) int {
	if b.nodes != nil {
		if n, ok := b.nodes[k]; ok {
			return n
		}
		return -1
	}
	for n, key := range b.keys {
		if key == k {
			return n
		}
	}
	return -1
}

// node returns the node with key k, adding it when new.
func (b *Builder) node(k nodeKey) int {
	if n := b.find(k); n >= 0 {
		return n
	}
	n := len(b.d.Nodes)
	b.keys = append(b.keys, k)
	if b.nodes != nil {
		b.nodes[k] = n
	} else if n+1 > scanLimit {
		b.nodes = make(map[nodeKey]int, 2*scanLimit)
		for i, key := range b.keys {
			b.nodes[key] = i
		}
	}
	name := k.service
	if k.operation != "" {
		name += ": " + k.operation
	}
	b.d.Nodes = append(b.d.Nodes, Node{Name: name, Service: k.service, Operation: k.operation, Virtual: k.virtual})
	return n
}

func edgeKey(from, to int) uint64 { return uint64(from)<<32 | uint64(uint32(to)) }

// findEdge returns the edge from -> to, or -1.
func (b *Builder) findEdge(from, to int) int {
	if b.edges != nil {
		if e, ok := b.edges[edgeKey(from, to)]; ok {
			return e
		}
		return -1
	}
	for e := range b.d.Edges {
		if b.d.Edges[e].From == from && b.d.Edges[e].To == to {
			return e
		}
	}
	return -1
}

// edge counts one call from -> to; failed is heat.IsFailedCall's verdict.
func (b *Builder) edge(from, to int, callee *spantree.Span, failed bool) {
	if from == to {
		return
	}
	e := b.findEdge(from, to)
	if e < 0 {
		e = len(b.d.Edges)
		b.d.Edges = append(b.d.Edges, Edge{From: from, To: to})
		if b.edges != nil {
			b.edges[edgeKey(from, to)] = e
		} else if e+1 > scanLimit {
			b.edges = make(map[uint64]int, 2*scanLimit)
			for i, ed := range b.d.Edges {
				b.edges[edgeKey(ed.From, ed.To)] = i
			}
		}
	}
	edge := &b.d.Edges[e]
	edge.Calls++
	if failed {
		edge.Errors++
	}
	// Saturate: hostile timestamps must not wrap the sum negative.
	edge.DurationNs = min(edge.DurationNs, math.MaxInt64-callee.Duration()) + callee.Duration()
}
