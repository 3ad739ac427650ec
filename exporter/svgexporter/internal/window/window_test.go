package window

import (
	"reflect"
	"testing"
	"time"

	"github.com/tracemap/tracemap/internal/servicedag"
)

func TestWindowMergesAndBounds(t *testing.T) {
	w := New(time.Unix(60, 0), time.Unix(120, 0), 3, 2)
	a := &servicedag.DAG{
		Nodes: []servicedag.Node{{Name: "front", Service: "front", Spans: 2}, {Name: "pay", Service: "pay", Spans: 1, Errors: 1}, {Name: "db", Virtual: true, Spans: 1}},
		Edges: []servicedag.Edge{{From: 0, To: 1, Calls: 1, Errors: 1, DurationNs: 10}, {From: 1, To: 2, Calls: 1, DurationNs: 4}},
	}
	if d := w.Add(a); d != 0 {
		t.Fatalf("dropped %d", d)
	}
	b := &servicedag.DAG{
		Nodes: []servicedag.Node{{Name: "pay", Spans: 3}, {Name: "front", Spans: 1}, {Name: "cache", Spans: 1}, {Name: "db", Spans: 2}},
		Edges: []servicedag.Edge{
			{From: 1, To: 0, Calls: 2, DurationNs: 6}, // front->pay merges
			{From: 0, To: 2, Calls: 1},                // pay->cache: cache did not fit
			{From: 1, To: 3, Calls: 1},                // front->db: edge bound reached
			{From: 7, To: 0, Calls: 1},                // malformed: ignored
		},
	}
	if d := w.Add(b); d != 3 {
		t.Fatalf("dropped %d, want 3 (cache node, its edge, the third edge)", d)
	}
	got := w.DAG()
	wantNodes := []servicedag.Node{
		// a's root; b's root (pay) is called more often than traces start there
		{Name: "front", Service: "front", Entry: true, Spans: 3},
		{Name: "pay", Service: "pay", Spans: 4, Errors: 1},
		{Name: "db", Spans: 3}, // instrumented in b, so not virtual
	}
	if !reflect.DeepEqual(got.Nodes, wantNodes) {
		t.Fatalf("nodes = %+v", got.Nodes)
	}
	wantEdges := []servicedag.Edge{
		{From: 0, To: 1, Calls: 3, Errors: 1, DurationNs: 16},
		{From: 1, To: 2, Calls: 1, DurationNs: 4},
	}
	if !reflect.DeepEqual(got.Edges, wantEdges) {
		t.Fatalf("edges = %+v", got.Edges)
	}
	if w.Traces() != 2 {
		t.Fatalf("traces = %d", w.Traces())
	}
}
