package svgrender

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/culprit"
	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// picture is one shape of the corpus: a trace picture or a service map,
// rendered as the exporter renders it (real span tree, service graph and
// layout).
type picture struct {
	name string
	svg  []byte
	view *dagView       // the graph as drawn, to map drawn edges to their nodes
	tree *spantree.Tree // nil for a service map
}

// corpusTrace renders a crafted trace with opt.
func corpusTrace(t testing.TB, name string, hf HeatFunc, opt Options, spans ...tracetest.Span) picture {
	t.Helper()
	trees := spantree.FromTraces(tracetest.Traces(tracetest.TraceID(uint64(len(name))), spans...))
	if len(trees) != 1 {
		t.Fatalf("%s: %d trees", name, len(trees))
	}
	tr := trees[0]
	dag := servicedag.FromTree(tr, servicedag.Options{})
	servicedag.Layout(dag)
	var b bytes.Buffer
	if err := RenderTrace(&b, tr, dag, hf, opt); err != nil {
		t.Fatal(err)
	}
	p := newTracePage(tr, dag, hf, culprit.Analyze(tr), opt.withDefaults())
	return picture{name: name, svg: b.Bytes(), view: p.dv, tree: tr}
}

// corpusMap renders the service map of the trace's graph with opt.
func corpusMap(t testing.TB, name string, hf HeatFunc, opt Options, spans ...tracetest.Span) picture {
	t.Helper()
	tr := spantree.FromTraces(tracetest.Traces(tracetest.TraceID(7), spans...))[0]
	dag := servicedag.FromTree(tr, servicedag.Options{})
	servicedag.Layout(dag)
	from := time.Date(2026, 11, 21, 5, 40, 0, 0, time.UTC)
	var b bytes.Buffer
	if err := RenderServiceMap(&b, dag, hf, from, from.Add(time.Minute), opt); err != nil {
		t.Fatal(err)
	}
	return picture{name: name, svg: b.Bytes(), view: newDAGView(dag, hf, opt.withDefaults(), nil)}
}

const ms = int64(time.Millisecond)

// corpus is the set of shapes the browser checks and the gallery shows.
func corpus(t testing.TB) []picture {
	var out []picture
	S := tracetest.S
	server, client := ptrace.SpanKindServer, ptrace.SpanKindClient

	// Fan-out 50: one service calling fifty others, each with a query.
	fan := []tracetest.Span{S(1, 0, "gateway", "GET /dashboard", 0, 400*ms).Of(server)}
	for i := range 50 {
		id := uint64(10 + 2*i)
		svc := fmt.Sprintf("widget-%02d", i)
		fan = append(fan,
			S(id, 1, svc, "render", int64(i)*7*ms, int64(i)*7*ms+20*ms).Of(server),
			S(id+1, id, svc, "SELECT widget", int64(i)*7*ms+2*ms, int64(i)*7*ms+9*ms).Of(client).Attr("peer.service", "postgres"))
	}
	out = append(out, corpusTrace(t, "fan-out-50", nil, Options{}, fan...))

	// Depth 40: a chain of forty services, the last one failing.
	var deep []tracetest.Span
	for i := range 40 {
		s := S(uint64(i+1), uint64(i), fmt.Sprintf("layer-%02d", i), fmt.Sprintf("datamgmt get /admin/users/u%d/profile/settings", i), int64(i)*ms, int64(200-i)*ms).Of(server)
		if i == 39 {
			s = s.Err()
		}
		deep = append(deep, s)
	}
	out = append(out, corpusTrace(t, "depth-40", nil, Options{}, deep...))

	// 60 services in a random DAG: each call goes to a service with a
	// higher number, so the service graph has no cycle.
	rng := rand.New(rand.NewPCG(60, 1))
	dagSpans := []tracetest.Span{S(1, 0, "svc-00", "root", 0, 1000*ms).Of(server)}
	svcOf := map[uint64]int{1: 0}
	for id := uint64(2); id <= 150; id++ {
		parent := uint64(1 + rng.IntN(int(id-1)))
		ps := svcOf[parent]
		if ps >= 59 {
			parent, ps = 1, 0
		}
		s := ps + 1 + rng.IntN(min(8, 59-ps))
		svcOf[id] = s
		start := int64(rng.IntN(900)) * ms
		sp := S(id, parent, fmt.Sprintf("svc-%02d", s), "op", start, start+int64(1+rng.IntN(100))*ms).Of(server)
		if rng.IntN(20) == 0 {
			sp = sp.Err()
		}
		dagSpans = append(dagSpans, sp)
	}
	out = append(out, corpusTrace(t, "random-dag-60", nil, Options{}, dagSpans...))
	out = append(out, corpusMap(t, "random-dag-60-map", nil, Options{}, dagSpans...))

	// Cycles, as real dependency graphs have them.
	cyc := tracetest.Cycles(ms)
	out = append(out, corpusTrace(t, "cycles", nil, Options{}, cyc...))
	out = append(out, corpusMap(t, "cycles-map", nil, Options{}, cyc...))

	// 100-character names, and right-to-left names.
	long := func(prefix string) string { return prefix + strings.Repeat("-abcdefghij", 10)[:100-len(prefix)] }
	out = append(out, corpusTrace(t, "long-names", nil, Options{},
		S(1, 0, long("frontend"), long("GET /api/v1/"), 0, 100*ms).Of(server),
		S(2, 1, long("checkout"), long("POST /checkout/"), 10*ms, 90*ms).Of(server),
		S(3, 2, long("payment"), long("charge "), 20*ms, 80*ms).Of(server).Err(),
		S(4, 2, "db", long("SELECT "), 30*ms, 40*ms).Of(server),
	))
	out = append(out, corpusTrace(t, "right-to-left", nil, Options{},
		S(1, 0, "חזית", "קבלת הזמנה", 0, 100*ms).Of(server),
		S(2, 1, "الدفع", "معالجة الدفع 42", 10*ms, 70*ms).Of(server).Err(),
		S(3, 1, "מלאי", "שמירת פריט", 20*ms, 60*ms).Of(server),
		S(4, 2, "مصرف", "تحويل", 30*ms, 50*ms).Of(server).Err(),
	))

	// Zero-length spans, and bars that end at the right edge.
	out = append(out, corpusTrace(t, "zero-length", nil, Options{},
		S(1, 0, "api", "GET /ping", 0, 0).Of(server),
		S(2, 1, "api", "cache lookup", 0, 0).Of(client),
		S(3, 1, "cache", "GET", 0, 0).Of(server),
	))
	out = append(out, corpusTrace(t, "bars-at-edge", nil, Options{},
		S(1, 0, "api", "GET /report", 0, 500*ms).Of(server),
		S(2, 1, "report", "build", 10*ms, 500*ms).Of(server),
		S(3, 2, "report", "render pdf", 400*ms, 500*ms).Of(server),
		S(4, 2, "storage", "PUT object", 499*ms, 500*ms).Of(server),
	))
	out = append(out, demo(t)...)
	return out
}

// demoHeat is a window of the demo shop: payment fails 15% of its calls
// (all its own), checkout and frontend only pass payment's failures on.
func demoHeat(service string) (heat.Stats, bool) {
	st := map[string]heat.Stats{
		"frontend":  {Spans: 1400, Errors: 200, ErrorRate: 0.143, P50Ms: 80, P90Ms: 190, P99Ms: 640},
		"checkout":  {Spans: 1370, Errors: 100, ErrorRate: 0.073, P50Ms: 60, P90Ms: 170, P99Ms: 610},
		"cart":      {Spans: 1400, P50Ms: 5, P90Ms: 9, P99Ms: 14},
		"inventory": {Spans: 1400, P50Ms: 4, P90Ms: 90, P99Ms: 600},
		"payment":   {Spans: 700, Errors: 97, ErrorRate: 0.138, OwnErrors: 97, OwnErrorRate: 0.138, P50Ms: 70, P90Ms: 160, P99Ms: 320},
		"shipping":  {Spans: 700, Errors: 1, ErrorRate: 0.0014, OwnErrors: 1, OwnErrorRate: 0.0014, P50Ms: 18, P90Ms: 25, P99Ms: 40},
	}
	s, ok := st[service]
	return s, ok
}

// demo is the demo shop's shapes: a failed checkout (payment is the
// culprit), a slow one (inventory holds the time), the window's service
// map, a messaging trace with async consumers and a long trace.
func demo(t testing.TB) []picture {
	S := tracetest.S
	server, client, producer, consumer := ptrace.SpanKindServer, ptrace.SpanKindClient, ptrace.SpanKindProducer, ptrace.SpanKindConsumer
	shop := demoShop
	out := []picture{
		corpusTrace(t, "demo-failed-checkout", demoHeat, Options{}, shop(true, 0)...),
		corpusTrace(t, "demo-slow-inventory", demoHeat, Options{}, shop(false, 520*ms)...),
		// The narrowest picture: the header's lines are wider than the
		// room left of the heat legend.
		corpusTrace(t, "demo-failed-checkout-narrow", demoHeat, Options{Width: 600}, shop(true, 0)...),
		corpusMap(t, "demo-service-map", demoHeat, Options{}, shop(true, 0)...),
		corpusMap(t, "demo-service-map-narrow", demoHeat, Options{Width: 600}, shop(true, 0)...),
		corpusTrace(t, "messaging-async", nil, Options{},
			S(1, 0, "orders", "POST /orders", 0, 220*ms).Of(server),
			S(2, 1, "orders", "publish order.created", 200*ms, 210*ms).Of(producer),
			S(3, 2, "billing", "consume order.created", 260*ms, 483*ms).Of(consumer),
			S(4, 3, "billing", "INSERT invoice", 300*ms, 450*ms).Of(client),
			S(5, 2, "mailer", "consume order.created", 470*ms, 642*ms).Of(consumer),
			S(6, 5, "mailer", "SMTP send", 480*ms, 640*ms).Of(client).Err(),
		),
	}
	// A 99.6s batch trace of millisecond calls with long idle gaps.
	long := []tracetest.Span{S(1, 0, "batch", "nightly export", 0, 99_600*ms).Of(server)}
	for i := range 30 {
		at := int64(i/10)*40_000*ms + int64(i%10)*15*ms
		long = append(long, S(uint64(10+i), 1, "export", fmt.Sprintf("write chunk %d", i), at, at+8*ms).Of(client))
	}
	out = append(out, corpusTrace(t, "long-trace-gaps", nil, Options{}, long...))
	return out
}

func shift(s tracetest.Span, d int64) tracetest.Span { s.Start += d; s.End += d; return s }

// demoShop is a checkout of the demo shop; payment fails it when fail,
// inventory takes slowInventory longer.
func demoShop(fail bool, slowInventory int64) []tracetest.Span {
	S := tracetest.S
	server, client := ptrace.SpanKindServer, ptrace.SpanKindClient
	p := S(6, 5, "payment", "charge", 60*ms, 90*ms).Of(server)
	pc := S(7, 6, "payment", "POST /bank/charge", 62*ms, 88*ms).Of(client)
	up := func(s tracetest.Span) tracetest.Span {
		if fail {
			return s.Err()
		}
		return s
	}
	end := 120*ms + slowInventory
	return []tracetest.Span{
		up(S(1, 0, "frontend", "GET /checkout", 0, end).Of(server)),
		up(S(2, 1, "checkout", "POST /checkout", 5*ms, end-5*ms).Of(server)),
		S(3, 2, "cart", "GET /cart", 7*ms, 15*ms).Of(server),
		S(4, 2, "inventory", "reserve", 16*ms, 50*ms+slowInventory).Of(server),
		up(S(5, 2, "checkout", "call payment", 55*ms+slowInventory, 95*ms+slowInventory).Of(client)),
		shift(up(p), slowInventory), shift(up(pc), slowInventory),
		S(8, 2, "shipping", "quote", 97*ms+slowInventory, 110*ms+slowInventory).Of(server),
	}
}
