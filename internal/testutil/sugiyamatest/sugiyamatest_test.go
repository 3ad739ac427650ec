package sugiyamatest_test

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/tracemap/tracemap/internal/sugiyama"
	"github.com/tracemap/tracemap/internal/testutil/need"
	"github.com/tracemap/tracemap/internal/testutil/sugiyamatest"
)

func TestParsePlain(t *testing.T) {
	g := sugiyama.Graph{Nodes: make([]sugiyama.Node, 2), Edges: []sugiyama.Edge{{From: 0, To: 1}}}
	plain := `graph 1 1.5 1.5
node n0 0.75 1.25 0.75 0.5 "" solid box black lightgrey
node n1 0.75 0.25 0.75 0.5 "" solid box black lightgrey
edge n0 n1 4 0.75 0.99 0.75 0.88 0.75 0.74 0.75 0.61 solid black
stop
`
	r, err := sugiyamatest.ParsePlain(g, []byte(plain))
	if err != nil {
		t.Fatal(err)
	}
	want := []sugiyama.Placed{{X: 54, Y: 18, Layer: 0}, {X: 54, Y: 90, Layer: 1}}
	if !reflect.DeepEqual(r.Nodes, want) || !reflect.DeepEqual(r.LayerY, []float64{18, 90}) {
		t.Fatalf("nodes %+v layers %v", r.Nodes, r.LayerY)
	}
	p := r.Edges[0].Points
	if len(p) != 17 || math.Abs(p[0].Y-36.72) > 1e-9 || math.Abs(p[16].Y-64.08) > 1e-9 {
		t.Fatalf("route %v", p)
	}
	if _, err := sugiyamatest.ParsePlain(g, []byte("node n7 1 1 1 1\n")); err == nil {
		t.Fatal("unknown node accepted")
	}
	if _, err := sugiyamatest.ParsePlain(g, []byte("node n0 1 1 1 1\n")); err == nil {
		t.Fatal("missing node accepted")
	}
}

func TestGeneratorsAreDeterministicDAGs(t *testing.T) {
	g := sugiyamatest.RandomLayeredDAG(500, 42)
	if len(g.Nodes) != 500 || len(g.Edges) != 750 {
		t.Fatalf("%d nodes %d edges, want 500 750", len(g.Nodes), len(g.Edges))
	}
	if !reflect.DeepEqual(g, sugiyamatest.RandomLayeredDAG(500, 42)) {
		t.Fatal("same seed, different graph")
	}
	if reflect.DeepEqual(g, sugiyamatest.RandomLayeredDAG(500, 43)) {
		t.Fatal("different seeds, same graph")
	}
	r := sugiyama.Layout(g, sugiyama.DefaultOptions())
	for i, e := range r.Edges {
		if e.Reversed {
			t.Fatalf("edge %d of a DAG reversed", i)
		}
	}
	if !reflect.DeepEqual(sugiyamatest.TraceShaped(300, 3000, 2), sugiyamatest.TraceShaped(300, 3000, 2)) {
		t.Fatal("trace-shaped graph not deterministic")
	}
}

func TestDOT(t *testing.T) {
	g := sugiyama.Graph{Nodes: []sugiyama.Node{{W: 72, H: 36}, {W: 144, H: 36}}, Edges: []sugiyama.Edge{{From: 1, To: 0}}}
	got := string(sugiyamatest.DOT(g, sugiyama.DefaultOptions()))
	for _, want := range []string{"nodesep=0.25, ranksep=0.5", "n0 [width=1, height=0.5]", "n1 [width=2, height=0.5]", "n1 -> n0;"} {
		if !strings.Contains(got, want) {
			t.Fatalf("DOT output lacks %q:\n%s", want, got)
		}
	}
}

// TestDotDrawingsAreMeasured runs the real dot: the drawing it returns is
// read back with ranks and measured by the same functions as ours.
func TestDotDrawingsAreMeasured(t *testing.T) {
	need.Dot(t)
	// K2,2 plus a long edge: dot, like us, cannot avoid one crossing.
	g := sugiyama.Graph{Nodes: make([]sugiyama.Node, 5), Edges: []sugiyama.Edge{
		{From: 0, To: 2}, {From: 0, To: 3}, {From: 1, To: 2}, {From: 1, To: 3}, {From: 2, To: 4}, {From: 0, To: 4}}}
	for i := range g.Nodes {
		g.Nodes[i] = sugiyama.Node{W: sugiyamatest.NodeW, H: sugiyamatest.NodeH}
	}
	r, _, err := sugiyamatest.Dot(context.Background(), g, sugiyama.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	layers := []int{r.Nodes[0].Layer, r.Nodes[1].Layer, r.Nodes[2].Layer, r.Nodes[3].Layer, r.Nodes[4].Layer}
	if !reflect.DeepEqual(layers, []int{0, 0, 1, 1, 2}) {
		t.Fatalf("dot ranks %v", layers)
	}
	if c := sugiyama.Crossings(g, r); c != 1 {
		t.Fatalf("dot drawing: %d crossings, want 1", c)
	}
	if o := sugiyama.Overlaps(g, r); o != 0 {
		t.Fatalf("dot drawing: %d overlaps", o)
	}
}

// TestDotCopies checks that dot draws every copy of a multi-graph input.
func TestDotCopies(t *testing.T) {
	need.Dot(t)
	g := sugiyamatest.OnlineBoutique()
	if _, err := sugiyamatest.DotCopies(context.Background(), g, sugiyama.DefaultOptions(), 3); err != nil {
		t.Fatal(err)
	}
}
