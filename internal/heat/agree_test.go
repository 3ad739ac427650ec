package heat_test

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/testutil/heattest"
)

// heatmap's edges and the service graph of the pictures count calls and
// failed calls with one rule (heat.IsFailedCall) on the same input: a 404
// seen only by the caller's CLIENT span fails its call; a failed SERVER span
// of the caller does not fail its other, successful call; a failing callee
// fails its call; a failed call to an uninstrumented peer fails.
func TestEdgesAgreeWithServiceDAG(t *testing.T) {
	const (
		srv = ptrace.SpanKindServer
		cli = ptrace.SpanKindClient
	)
	ms := time.Millisecond
	spans := []heattest.Span{
		{Service: "frontend", Name: "GET /dispatch", ID: 1, Kind: srv, Err: true, Dur: 50 * ms},
		{Service: "frontend", Name: "GET /customer", ID: 2, Parent: 1, Kind: cli, Err: true, Dur: 9 * ms}, // a 404
		{Service: "customer", Name: "GET /customer", ID: 3, Parent: 2, Kind: srv, Dur: 8 * ms},
		{Service: "customer", Name: "SQL SELECT", ID: 4, Parent: 3, Kind: cli, Dur: 5 * ms},
		{Service: "mysql", Name: "SQL SELECT", ID: 5, Parent: 4, Kind: cli, Dur: 5 * ms},
		{Service: "driver", Name: "FindNearest", ID: 6, Parent: 1, Kind: srv, Dur: 20 * ms}, // OK under a failed SERVER span
		{Service: "driver", Name: "GetDriver", ID: 7, Parent: 6, Kind: cli, Err: true, Dur: 3 * ms,
			Attrs: map[string]any{"peer.service": "redis"}},
	}
	clock := time.Unix(1_700_000_000, 0)
	tr := heat.NewTracker(heat.DefaultConfig(), func() time.Time { return clock })
	tr.Observe(heattest.Build(spans...))
	clock = clock.Add(4 * time.Second) // the peer call settles when its span leaves the edge store

	trees := spantree.FromTraces(heattest.Build(spans...))
	if len(trees) != 1 {
		t.Fatalf("%d trees", len(trees))
	}
	dag := servicedag.FromTree(trees[0], servicedag.Options{})
	want := map[heat.EdgeKey][2]int64{ // calls, failed
		{Caller: "frontend", Callee: "customer"}: {1, 1},
		{Caller: "customer", Callee: "mysql"}:    {1, 0},
		{Caller: "frontend", Callee: "driver"}:   {1, 0},
		{Caller: "driver", Callee: "redis"}:      {1, 1},
	}
	got := map[heat.EdgeKey][2]int64{}
	for _, e := range dag.Edges {
		got[heat.EdgeKey{Caller: dag.Nodes[e.From].Service, Callee: dag.Nodes[e.To].Service}] = [2]int64{e.Calls, e.Errors}
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("servicedag %s -> %s = %v, want %v", k.Caller, k.Callee, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("servicedag edges = %v", got)
	}
	for k, w := range want {
		st, _ := tr.Edge(k.Caller, k.Callee)
		if [2]int64{st.Spans, st.Errors} != w {
			t.Errorf("heat %s -> %s = %d calls %d failed, want %v", k.Caller, k.Callee, st.Spans, st.Errors, w)
		}
	}
}
