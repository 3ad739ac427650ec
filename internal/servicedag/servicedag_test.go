package servicedag

import (
	"fmt"
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
		fmt.Fprintf(&b, "%s%s spans=%d errors=%d\n", n.Name, v, n.Spans, n.Errors)
	}
	for _, e := range d.Edges {
		fmt.Fprintf(&b, "%s -> %s calls=%d errors=%d ns=%d\n", d.Nodes[e.From].Name, d.Nodes[e.To].Name, e.Calls, e.Errors, e.DurationNs)
	}
	return b.String()
}

func TestFromTreeFiveServices(t *testing.T) {
	d := FromTree(tree(tracetest.FiveServices()...), Options{})
	want := `frontend spans=2 errors=0
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
	want := `frontend: GET /checkout spans=1 errors=0
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
	want := `a spans=5 errors=0
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

func TestFromTreeEmptyAndSingle(t *testing.T) {
	if d := FromTree(spantree.Build(tracetest.TraceID(1), nil), Options{}); len(d.Nodes) != 0 || len(d.Edges) != 0 {
		t.Errorf("empty tree: %+v", d)
	}
	d := FromTree(tree(S(1, 0, "", "only", 0, 5)), Options{})
	if got := describe(d); got != spantree.UnknownService+" spans=1 errors=0\n" {
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
