package servicedag

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

var S = tracetest.S

func tree(spans ...tracetest.Span) *spantree.Tree {
	return spantree.FromTraces(tracetest.Traces(tracetest.TraceID(1), spans...))[0]
}

// describe prints nodes and edges compactly for exact comparisons.
func describe(d *DAG) string {
	var b strings.Builder
	for _, n := range d.Nodes {
		v := ""
		if n.Virtual {
			v = " virtual"
		}
		if n.Entry {
			v += " entry"
		}
		fmt.Fprintf(&b, "%s%s spans=%d errors=%d\n", n.Name, v, n.Spans, n.Errors)
	}
	for _, e := range d.Edges {
		fmt.Fprintf(&b, "%s -> %s calls=%d errors=%d ns=%d\n", d.Nodes[e.From].Name, d.Nodes[e.To].Name, e.Calls, e.Errors, e.DurationNs)
	}
	return b.String()
}

func TestFromTreeFiveServices(t *testing.T) {
	d := FromTree(tree(tracetest.FiveServices()...), Options{})
	want := `frontend entry spans=2 errors=0
checkout spans=1 errors=0
payment spans=2 errors=1
inventory spans=1 errors=0
shipping spans=1 errors=0
frontend -> checkout calls=1 errors=0 ns=750
checkout -> payment calls=1 errors=1 ns=400
checkout -> inventory calls=1 errors=0 ns=200
checkout -> shipping calls=1 errors=0 ns=200
`
	if got := describe(d); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestFromTreeOperations(t *testing.T) {
	d := FromTree(tree(tracetest.FiveServices()...), Options{Operations: true})
	want := `frontend: GET /checkout entry spans=1 errors=0
frontend: call checkout spans=1 errors=0
checkout: POST /checkout spans=1 errors=0
payment: charge spans=1 errors=1
payment: db query spans=1 errors=0
inventory: reserve spans=1 errors=0
shipping: quote spans=1 errors=0
frontend: GET /checkout -> frontend: call checkout calls=1 errors=0 ns=850
frontend: call checkout -> checkout: POST /checkout calls=1 errors=0 ns=750
checkout: POST /checkout -> payment: charge calls=1 errors=1 ns=400
payment: charge -> payment: db query calls=1 errors=0 ns=300
checkout: POST /checkout -> inventory: reserve calls=1 errors=0 ns=200
checkout: POST /checkout -> shipping: quote calls=1 errors=0 ns=200
`
	if got := describe(d); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if n := d.Nodes[3]; n.Service != "payment" || n.Operation != "charge" {
		t.Errorf("node 3: service %q operation %q", n.Service, n.Operation)
	}
}

func TestFromTreeServiceCycleAndVirtualPeers(t *testing.T) {
	client := ptrace.SpanKindClient
	d := FromTree(tree(
		S(1, 0, "a", "root", 0, 100),
		S(2, 1, "b", "b work", 10, 90).Err(),
		S(3, 2, "a", "callback", 20, 40), // b calls back into a: a -> b -> a
		S(4, 2, "b", "query", 50, 60).Of(client).Attr("peer.service", "postgres").Err(),
		S(5, 2, "b", "query again", 60, 70).Of(client).Attr("peer.service", "postgres"),
		S(6, 1, "a", "call b", 92, 95).Of(client).Attr("server.address", "b"), // b is in the trace
		S(7, 1, "a", "cache", 95, 96).Of(client).Attr("server.address", "redis:6379"),
		S(8, 3, "a", "has child", 21, 30).Of(client).Attr("peer.service", "never"),
		S(9, 8, "c", "child", 22, 29),
	), Options{})
	want := `a entry spans=5 errors=0
b spans=3 errors=2
c spans=1 errors=0
postgres virtual spans=0 errors=0
redis:6379 virtual spans=0 errors=0
a -> b calls=2 errors=1 ns=83
b -> a calls=1 errors=0 ns=20
a -> c calls=1 errors=0 ns=7
b -> postgres calls=2 errors=1 ns=20
a -> redis:6379 calls=1 errors=0 ns=1
`
	if got := describe(d); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// The root span's service is the entry, drawn alone on top however the
// cycles through it and below it run; a span whose parent is missing
// starts a part of the picture but is not where the request came in.
func TestFromTreeEntryIsTheRootsService(t *testing.T) {
	d := FromTree(tree(append(tracetest.Cycles(1),
		S(12, 99, "audit", "record", 250, 260))...), // its caller's span never came
		Options{})
	want := `frontend entry spans=2 errors=0
auth spans=3 errors=0
orders spans=3 errors=1
inventory spans=1 errors=0
pricing spans=1 errors=0
payments spans=1 errors=0
audit spans=1 errors=0
frontend -> auth calls=1 errors=0 ns=55
auth -> frontend calls=1 errors=0 ns=20
frontend -> orders calls=1 errors=0 ns=210
orders -> inventory calls=1 errors=0 ns=120
inventory -> orders calls=1 errors=1 ns=30
inventory -> pricing calls=1 errors=0 ns=60
pricing -> orders calls=1 errors=0 ns=40
orders -> payments calls=1 errors=0 ns=60
payments -> auth calls=1 errors=0 ns=20
`
	if got := describe(d); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	Layout(d)
	for i, n := range d.Nodes {
		if i > 0 && n.Name != "audit" && n.Layer <= d.Nodes[0].Layer {
			t.Errorf("%s on layer %d, the entry on %d", n.Name, n.Layer, d.Nodes[0].Layer)
		}
	}
	for _, e := range d.Edges {
		if to := d.Nodes[e.To].Name; to == "frontend" && !e.Reversed {
			t.Errorf("the callback into the entry is drawn along the layers")
		}
	}
}

// In a window, an entry is where at least as many traces start as calls
// come in: the front door, a batch job nobody calls, and a service called
// back exactly once per request, but not a service that mostly serves
// others and starts a few jobs of its own.
func TestMarkEntries(t *testing.T) {
	d := &DAG{
		Nodes: make([]Node, 5), // front, orders, cron, auth, lonely
		Edges: []Edge{
			{From: 0, To: 1, Calls: 100},
			{From: 2, To: 1, Calls: 7},
			{From: 0, To: 3, Calls: 100},
			{From: 3, To: 0, Calls: 100}, // auth calls front back once per request
			{From: 1, To: 1, Calls: 50},  // self calls do not count
			{From: 9, To: 2, Calls: 50},  // malformed: ignored
			{From: 0, To: 9, Calls: 1},
		},
	}
	d.MarkEntries([]int64{100, 5, 7, 0}) // lonely: no count given
	var got []bool
	for _, n := range d.Nodes {
		got = append(got, n.Entry)
	}
	if want := []bool{true, false, true, false, false}; !slices.Equal(got, want) {
		t.Errorf("entries %v, want %v", got, want)
	}
}

func TestFromTreeEmptyAndSingle(t *testing.T) {
	if d := FromTree(spantree.Build(tracetest.TraceID(1), nil), Options{}); len(d.Nodes) != 0 || len(d.Edges) != 0 {
		t.Errorf("empty tree: %+v", d)
	}
	d := FromTree(tree(S(1, 0, "", "only", 0, 5)), Options{})
	if got := describe(d); got != spantree.UnknownService+" entry spans=1 errors=0\n" {
		t.Errorf("single: %q", got)
	}
}

func TestFromTreeManyServices(t *testing.T) {
	// A chain through 40 services, twice around: more nodes and edges than
	// the builder scans before it switches to maps.
	var spans []tracetest.Span
	for i := range 80 {
		spans = append(spans, S(uint64(i+1), uint64(i), fmt.Sprintf("s%02d", i%40), "op", int64(i), int64(200-i)))
	}
	d := FromTree(tree(spans...), Options{})
	if len(d.Nodes) != 40 || len(d.Edges) != 40 {
		t.Fatalf("%d nodes %d edges, want 40 40", len(d.Nodes), len(d.Edges))
	}
	for i, n := range d.Nodes {
		if n.Name != fmt.Sprintf("s%02d", i) || n.Spans != 2 {
			t.Errorf("node %d: %s spans=%d", i, n.Name, n.Spans)
		}
	}
	for i, e := range d.Edges {
		want := int64(2)
		if i == 39 {
			want = 1 // s39 -> s00 only once
		}
		if e.From != i || e.To != (i+1)%40 || e.Calls != want {
			t.Errorf("edge %d: %d->%d calls=%d", i, e.From, e.To, e.Calls)
		}
	}
}
