package sugiyama_test

import (
	"math"
	"testing"

	"github.com/tracemap/tracemap/internal/sugiyama"
)

// graphFrom decodes fuzz bytes: a node count, then per node a size byte
// (bit 6: a source), then edges as byte pairs that may point outside the
// graph.
func graphFrom(data []byte) sugiyama.Graph {
	if len(data) == 0 {
		return sugiyama.Graph{}
	}
	n := int(data[0]) % 48
	data = data[1:]
	g := sugiyama.Graph{Nodes: make([]sugiyama.Node, n)}
	sizes := []float64{0, 1, 54, 200, math.NaN(), -5, math.Inf(1), 1e300}
	for v := range g.Nodes {
		if len(data) == 0 {
			break
		}
		b := data[0]
		data = data[1:]
		g.Nodes[v] = sugiyama.Node{W: sizes[b%8], H: sizes[(b/8)%8], Source: b&64 != 0}
	}
	for ; len(data) >= 2; data = data[2:] {
		g.Edges = append(g.Edges, sugiyama.Edge{From: int(data[0])%(n+2) - 1, To: int(data[1])%(n+2) - 1})
	}
	return g
}

func FuzzLayout(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 2})
	f.Add([]byte{3, 2, 2, 2, 1, 2, 2, 3, 3, 1})
	f.Add([]byte{4, 66, 2, 2, 2, 1, 2, 2, 3, 3, 4, 4, 1, 3, 1}) // a ring through a source
	f.Fuzz(func(t *testing.T, data []byte) {
		g := graphFrom(data)
		r := sugiyama.Layout(g, sugiyama.DefaultOptions())
		if len(r.Nodes) != len(g.Nodes) || len(r.Edges) != len(g.Edges) {
			t.Fatalf("result sizes %d %d", len(r.Nodes), len(r.Edges))
		}
		if o := sugiyama.Overlaps(g, r); o != 0 {
			t.Fatalf("%d overlaps", o)
		}
		if c := sugiyama.Crossings(g, r); c < 0 {
			t.Fatalf("%d crossings", c)
		}
		for i, e := range g.Edges {
			if e.From < 0 || e.To < 0 || e.From >= len(g.Nodes) || e.To >= len(g.Nodes) || e.From == e.To {
				continue
			}
			a, b := r.Nodes[e.From], r.Nodes[e.To]
			if a.Layer == b.Layer || (a.Layer > b.Layer) != r.Edges[i].Reversed {
				t.Fatalf("edge %d %v: layers %d %d reversed %v", i, e, a.Layer, b.Layer, r.Edges[i].Reversed)
			}
			if g.Nodes[e.To].Source && !g.Nodes[e.From].Source && !r.Edges[i].Reversed {
				t.Fatalf("edge %d %v into a source drawn along the layers", i, e)
			}
		}
	})
}
