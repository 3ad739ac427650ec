// Package tracecompare compares the structure of two traces of different
// requests (a fast and a slow call of one endpoint, say): spans are matched
// by their path of service and operation names from the root, not by their
// IDs, repeated siblings of one name in the order they started; the merged
// tree says what only A has, what only B has, and how much slower or faster
// B is where both have a span. Draw renders it as one SVG.
package tracecompare

import (
	"github.com/tracemap/tracemap/internal/spantree"
)

// Node is one span of the merged structure.
type Node struct {
	Service, Name string
	Depth         int
	A, B          *Side // nil on the side that lacks the span
	Children      []*Node
}

// Side is a span of one trace: its start after that trace's start and its
// duration, in ns.
type Side struct {
	Offset, Duration int64
	Error            bool
}

// Comparison is the merged structure of trace A and trace B.
type Comparison struct {
	Roots          []*Node
	DurationA      int64 // of the whole trace, ns
	DurationB      int64
	Matched        int // spans both have
	OnlyA, OnlyB   int
	TraceA, TraceB string
}

// Match merges the two trees.
func Match(a, b *spantree.Tree) *Comparison {
	c := &Comparison{DurationA: a.Duration, DurationB: b.Duration, TraceA: a.TraceID.String(), TraceB: b.TraceID.String()}
	c.Roots = c.merge(a, b, a.Roots, b.Roots, 0)
	return c
}

type nameKey struct{ service, name string }

func side(t *spantree.Tree, i int) *Side {
	s := &t.Spans[i]
	return &Side{Offset: s.Offset, Duration: s.Duration(), Error: s.Error}
}

// merge matches the sibling lists as (service, name) sequences: the k-th
// sibling of a name in A is the k-th of that name in B. The result is in
// A's order, each span only B has placed after its preceding sibling in B.
func (c *Comparison) merge(a, b *spantree.Tree, as, bs []int, depth int) []*Node {
	queue := map[nameKey][]int{} // B siblings of each name, in order
	for _, j := range bs {
		k := nameKey{b.Spans[j].Service, b.Spans[j].Name}
		queue[k] = append(queue[k], j)
	}
	nodeOfB := map[int]*Node{}
	out := make([]*Node, 0, max(len(as), len(bs)))
	for _, i := range as {
		s := &a.Spans[i]
		k := nameKey{s.Service, s.Name}
		n := &Node{Service: s.Service, Name: s.Name, Depth: depth, A: side(a, i)}
		var bChildren []int
		if q := queue[k]; len(q) > 0 {
			j := q[0]
			queue[k] = q[1:]
			n.B = side(b, j)
			nodeOfB[j] = n
			bChildren = b.Spans[j].Children
			c.Matched++
		} else {
			c.OnlyA++
		}
		n.Children = c.merge(a, b, s.Children, bChildren, depth+1)
		out = append(out, n)
	}
	var prev *Node // the node of the previous B sibling
	for _, j := range bs {
		if n, ok := nodeOfB[j]; ok {
			prev = n
			continue
		}
		s := &b.Spans[j]
		n := &Node{Service: s.Service, Name: s.Name, Depth: depth, B: side(b, j)}
		c.OnlyB++
		n.Children = c.merge(a, b, nil, s.Children, depth+1)
		at := 0
		if prev != nil {
			for at < len(out) && out[at] != prev {
				at++
			}
			at++
		}
		// after prev and after the B-only nodes already placed there
		for at < len(out) && out[at].A == nil {
			at++
		}
		out = append(out[:at], append([]*Node{n}, out[at:]...)...)
		prev = n
	}
	return out
}

// Walk calls fn for every node, depth first, in the merged order.
func (c *Comparison) Walk(fn func(*Node)) {
	var walk func([]*Node)
	walk = func(ns []*Node) {
		for _, n := range ns {
			fn(n)
			walk(n.Children)
		}
	}
	walk(c.Roots)
}
