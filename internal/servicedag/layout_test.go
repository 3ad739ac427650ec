package servicedag

import (
	"math"
	"strings"
	"testing"

	"github.com/tracemap/tracemap/internal/sugiyama"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

func TestLayoutFiveServices(t *testing.T) {
	d := FromTree(tree(tracetest.FiveServices()...), Options{})
	Layout(d)
	wantLayer := []int{0, 1, 2, 2, 2}
	for i, n := range d.Nodes {
		if n.Layer != wantLayer[i] {
			t.Errorf("%s: layer %d, want %d", n.Name, n.Layer, wantLayer[i])
		}
		if w, h := NodeSize(n.Name); n.W != w || n.H != h {
			t.Errorf("%s: size %vx%v, want %vx%v", n.Name, n.W, n.H, w, h)
		}
		if n.X-n.W/2 < 0 || n.X+n.W/2 > d.Width || n.Y-n.H/2 < 0 || n.Y+n.H/2 > d.Height {
			t.Errorf("%s: box outside the %vx%v drawing", n.Name, d.Width, d.Height)
		}
	}
	for _, e := range d.Edges {
		if e.Reversed || len(e.Points) < 2 {
			t.Errorf("edge %d->%d: reversed %v points %v", e.From, e.To, e.Reversed, e.Points)
		}
	}
	checkDrawing(t, d)
}

// checkDrawing asserts no overlapping boxes and no edge crossings, with
// sugiyama's own counters.
func checkDrawing(t *testing.T, d *DAG) {
	t.Helper()
	g := sugiyama.Graph{}
	r := sugiyama.Result{Width: d.Width, Height: d.Height}
	for _, n := range d.Nodes {
		g.Nodes = append(g.Nodes, sugiyama.Node{W: n.W, H: n.H})
		r.Nodes = append(r.Nodes, sugiyama.Placed{X: n.X, Y: n.Y, Layer: n.Layer})
	}
	for _, e := range d.Edges {
		g.Edges = append(g.Edges, sugiyama.Edge{From: e.From, To: e.To})
		r.Edges = append(r.Edges, sugiyama.Route{Points: e.Points, Reversed: e.Reversed})
	}
	if c := sugiyama.Crossings(g, r); c != 0 {
		t.Errorf("%d edge crossings", c)
	}
	if o := sugiyama.Overlaps(g, r); o != 0 {
		t.Errorf("%d overlapping nodes", o)
	}
}

func TestLayoutServiceCycle(t *testing.T) {
	// a -> b -> a: one of the two edges must be drawn reversed.
	d := FromTree(tree(
		S(1, 0, "a", "root", 0, 100),
		S(2, 1, "b", "work", 10, 90),
		S(3, 2, "a", "callback", 20, 40),
	), Options{})
	Layout(d)
	if len(d.Nodes) != 2 || len(d.Edges) != 2 {
		t.Fatalf("got %d nodes %d edges", len(d.Nodes), len(d.Edges))
	}
	if d.Nodes[0].Layer != 0 || d.Nodes[1].Layer != 1 {
		t.Errorf("layers %d %d, want 0 1", d.Nodes[0].Layer, d.Nodes[1].Layer)
	}
	if d.Edges[0].Reversed || !d.Edges[1].Reversed {
		t.Errorf("reversed: a->b %v, b->a %v; want false, true", d.Edges[0].Reversed, d.Edges[1].Reversed)
	}
	// Routes run in the edge's own direction: b->a starts at b (below).
	if pts := d.Edges[1].Points; len(pts) < 2 || pts[0].Y <= pts[len(pts)-1].Y {
		t.Errorf("b->a route %v does not run upwards", pts)
	}
	got, err := Decode(d.Encode())
	if err != nil || len(got.Edges) != 2 || !got.Edges[1].Reversed {
		t.Errorf("decoded: %+v %v", got, err)
	}
}

func TestLayoutAnyDAG(t *testing.T) {
	// Aggregated service maps hand in whatever they have: empty graphs,
	// self loops, parallel edges and edges to nodes that do not exist.
	Layout(&DAG{})
	d := &DAG{
		Nodes: []Node{{Name: "x"}, {Name: "a very long service name that goes on and on and on"}},
		Edges: []Edge{{From: 0, To: 0}, {From: 0, To: 1}, {From: 0, To: 1}, {From: 1, To: 7}, {From: -1, To: 0}},
	}
	Layout(d)
	if d.Nodes[1].W != math.Ceil(TextWidth(d.Nodes[1].Name, NameFont, true, MaxLabel))+LabelPad || d.Nodes[0].W != MinWidth {
		t.Errorf("widths %v %v", d.Nodes[0].W, d.Nodes[1].W)
	}
	if len(d.Edges[0].Points) == 0 || len(d.Edges[1].Points) < 2 || len(d.Edges[3].Points) != 0 || len(d.Edges[4].Points) != 0 {
		t.Errorf("points: %v", d.Edges)
	}
}

// FitRunes inverts NodeSize: a name shortened to FitRunes of its box fits
// the box, whole up to MaxLabel runes, else MaxLabel runes and the ellipsis.
func TestFitRunesInvertsNodeSize(t *testing.T) {
	for _, c := range []struct {
		name string
		want int
	}{{"x", 48}, {strings.Repeat("w", 30), 48}, {strings.Repeat("a", 48), 48}, {strings.Repeat("a", 100), 48}, {strings.Repeat("שלום", 30), 48}} {
		w, h := NodeSize(c.name)
		if got := FitRunes(c.name, NameFont, true, MaxLabel, w-LabelPad); got != c.want || h != NodeHeight {
			t.Errorf("%.10q: box %vx%v holds %d runes, want %d", c.name, w, h, got, c.want)
		}
		if w < MinWidth {
			t.Errorf("%.10q: width %v below the minimum", c.name, w)
		}
	}
	// A narrower box cuts the name and keeps room for the ellipsis.
	name := strings.Repeat("a", 40)
	if got, want := FitRunes(name, NameFont, true, MaxLabel, 100), 10; got != want {
		t.Errorf("100px holds %d runes of %q, want %d", got, name, want)
	}
	if FitRunes("abc", NameFont, true, MaxLabel, math.NaN()) != 1 {
		t.Error("a degenerate width must still hold one rune")
	}
}
