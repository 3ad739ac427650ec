package servicedag

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

func TestCacheReusesLayoutOfSameShape(t *testing.T) {
	c := NewCache(2)
	fresh := func() *DAG { return FromTree(tree(tracetest.FiveServices()...), Options{}) }
	want := fresh()
	Layout(want)

	first, second := fresh(), fresh()
	second.Nodes[2].Spans = 99 // counts are not part of the shape
	c.Layout(first)
	c.Layout(second)
	second.Nodes[2].Spans = want.Nodes[2].Spans
	if !reflect.DeepEqual(first, want) || !reflect.DeepEqual(second, want) {
		t.Fatalf("cached layout differs:\n%+v\n%+v\nwant %+v", first, second, want)
	}
	if c.Len() != 1 {
		t.Fatalf("%d shapes cached, want 1", c.Len())
	}
	// The encoded placement is reused: same string as formatting afresh.
	third := fresh()
	third.Nodes[0].Spans, third.Edges[1].Errors = 7, 3
	got := c.LayoutEncode(third)
	if got != third.Encode() || c.Len() != 1 {
		t.Errorf("LayoutEncode:\n%s\nwant\n%s", got, third.Encode())
	}

	// Another name is another shape; the cache keeps only 2.
	for _, name := range []string{"x", "y", "z"} {
		d := fresh()
		d.Nodes[4].Name = name
		c.Layout(d)
		if w, _ := NodeSize(name); d.Nodes[4].W != w {
			t.Errorf("%s: width %v, want %v", name, d.Nodes[4].W, w)
		}
	}
	if c.Len() != 2 {
		t.Errorf("%d shapes cached, want 2", c.Len())
	}
	// Names that only concatenate alike are different shapes.
	a := &DAG{Nodes: []Node{{Name: "ab"}, {Name: "c"}}}
	b := &DAG{Nodes: []Node{{Name: "a"}, {Name: "bc"}}}
	if ka := string(c.shape(a)); ka == string(c.shape(b)) {
		t.Error("shape keys collide")
	}
}

func TestCacheSkipsLargeGraphs(t *testing.T) {
	c := NewCache(4)
	d := &DAG{}
	for i := range CacheMaxNodes + 1 {
		d.Nodes = append(d.Nodes, Node{Name: fmt.Sprint(i)})
	}
	c.Layout(d)
	if c.Len() != 0 || d.Width == 0 {
		t.Errorf("large graph: cached %d, width %v", c.Len(), d.Width)
	}
}
