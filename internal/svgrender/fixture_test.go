package svgrender

import (
	"encoding/binary"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
)

// sp describes a span of a crafted trace; times are in microseconds from
// the trace start.
type sp struct {
	parent    int
	svc, name string
	off, dur  int64
	err, crit bool
	skewUs    int64
	kind      ptrace.SpanKind
	attrs     map[string]string
}

var traceStart = time.Date(2026, 11, 21, 5, 44, 45, 123e6, time.UTC).UnixNano()

// tree builds a spantree.Tree the way the layout package fills it: children
// in order, depths, offsets from the trace start.
func tree(spans ...sp) *spantree.Tree {
	t := &spantree.Tree{Start: traceStart}
	copy(t.TraceID[:], "\x4b\xf9\x2f\x35\x77\xb3\x4d\xa6\xa3\xce\x92\x9d\x0e\x0e\x47\x36")
	var end int64
	for i, s := range spans {
		src := ptrace.NewSpan()
		src.SetName(s.name)
		src.SetKind(s.kind)
		var id pcommon.SpanID
		binary.BigEndian.PutUint64(id[:], uint64(i+1))
		src.SetSpanID(id)
		for k, v := range s.attrs {
			src.Attributes().PutStr(k, v)
		}
		if s.err {
			src.Status().SetCode(ptrace.StatusCodeError)
			src.Status().SetMessage("card declined")
		}
		start := traceStart + s.off*1000
		t.Spans = append(t.Spans, spantree.Span{
			Source: src, Resource: pcommon.NewResource(),
			Service: s.svc, Name: s.name, Kind: s.kind,
			Start: start, End: start + s.dur*1000, Error: s.err,
			Parent: s.parent, Offset: s.off * 1000, Skew: s.skewUs * 1000,
			Self: s.dur * 1000, Critical: s.crit,
		})
		end = max(end, (s.off+s.dur)*1000)
		if s.parent < 0 {
			t.Roots = append(t.Roots, i)
		} else {
			t.Spans[s.parent].Children = append(t.Spans[s.parent].Children, i)
			t.Spans[i].Depth = t.Spans[s.parent].Depth + 1
		}
	}
	t.Duration = end
	return t
}

// shopTrace is a checkout through five services, with a failing payment
// to an uninstrumented bank, a skew-corrected shipping span and retries.
func shopTrace() *spantree.Tree {
	http := func(method, route, code string) map[string]string {
		return map[string]string{"http.request.method": method, "http.route": route, "http.response.status_code": code}
	}
	return tree(
		/*0*/ sp{parent: -1, svc: "frontend", name: "GET /checkout", off: 0, dur: 182_400, crit: true, kind: ptrace.SpanKindServer, attrs: http("GET", "/checkout", "502"), err: true},
		/*1*/ sp{parent: 0, svc: "frontend", name: "render cart", off: 1_200, dur: 3_100, kind: ptrace.SpanKindInternal},
		/*2*/ sp{parent: 0, svc: "checkout", name: "POST /checkout", off: 5_000, dur: 171_000, crit: true, kind: ptrace.SpanKindServer, attrs: http("POST", "/checkout", "502"), err: true},
		/*3*/ sp{parent: 2, svc: "cart", name: "GET /cart", off: 6_100, dur: 8_300, crit: true, kind: ptrace.SpanKindServer},
		/*4*/ sp{parent: 3, svc: "cart", name: "redis GET", off: 7_000, dur: 900, kind: ptrace.SpanKindClient, attrs: map[string]string{"db.system": "redis"}},
		/*5*/ sp{parent: 2, svc: "inventory", name: "reserve", off: 15_000, dur: 6_000, crit: true, kind: ptrace.SpanKindServer},
		/*6*/ sp{parent: 2, svc: "inventory", name: "reserve", off: 21_500, dur: 5_200, crit: true, kind: ptrace.SpanKindServer},
		/*7*/ sp{parent: 2, svc: "inventory", name: "reserve", off: 27_100, dur: 7_900, crit: true, kind: ptrace.SpanKindServer},
		/*8*/ sp{parent: 2, svc: "payment", name: "charge", off: 36_000, dur: 120_000, crit: true, err: true, kind: ptrace.SpanKindServer},
		/*9*/ sp{parent: 8, svc: "payment", name: "POST bank.example/charge", off: 38_000, dur: 55_000, err: true, kind: ptrace.SpanKindClient, attrs: map[string]string{"peer.service": "bank", "http.response.status_code": "503"}},
		/*10*/ sp{parent: 8, svc: "payment", name: "POST bank.example/charge", off: 95_000, dur: 58_000, crit: true, err: true, kind: ptrace.SpanKindClient, attrs: map[string]string{"peer.service": "bank", "http.response.status_code": "503"}},
		/*11*/ sp{parent: 2, svc: "shipping", name: "quote", off: 40_000, dur: 22_000, skewUs: 3_400, kind: ptrace.SpanKindServer},
		/*12*/ sp{parent: 11, svc: "shipping", name: "SELECT rates", off: 43_000, dur: 4_100, kind: ptrace.SpanKindClient, attrs: map[string]string{"db.system": "postgresql", "db.operation.name": "SELECT"}},
		/*13*/ sp{parent: 0, svc: "frontend", name: "render error page", off: 177_000, dur: 4_900, crit: true, kind: ptrace.SpanKindInternal},
	)
}

// shopDAG is the service graph of shopTrace as servicedag lays it out:
// frontend, checkout, then cart, inventory, payment and shipping in one
// layer, and the uninstrumented bank below payment.
func shopDAG() *servicedag.DAG {
	d := servicedag.FromTree(shopTrace(), servicedag.Options{})
	servicedag.Layout(d)
	return d
}

// shopHeat is a heatmap window in which payment fails 25% of its calls,
// all its own failures; checkout fails 4% (a quarter of it its own) and
// frontend 1% (none its own): both mostly pass payment's failures on.
func shopHeat(service string) (heat.Stats, bool) {
	st := map[string]heat.Stats{
		"frontend":  {Spans: 1200, Errors: 12, ErrorRate: 0.01, P50Ms: 80, P90Ms: 150, P99Ms: 240},
		"checkout":  {Spans: 400, Errors: 16, ErrorRate: 0.04, OwnErrors: 4, OwnErrorRate: 0.01, P50Ms: 60, P90Ms: 130, P99Ms: 210},
		"cart":      {Spans: 800, Errors: 0, ErrorRate: 0, P50Ms: 5, P90Ms: 9, P99Ms: 14},
		"inventory": {Spans: 1200, Errors: 0, ErrorRate: 0, P50Ms: 4, P90Ms: 7, P99Ms: 11},
		"payment":   {Spans: 400, Errors: 100, ErrorRate: 0.25, OwnErrors: 100, OwnErrorRate: 0.25, P50Ms: 70, P90Ms: 160, P99Ms: 320},
		"shipping":  {Spans: 400, Errors: 2, ErrorRate: 0.005, OwnErrors: 2, OwnErrorRate: 0.005, P50Ms: 18, P90Ms: 25, P99Ms: 40},
	}
	s, ok := st[service]
	return s, ok
}
