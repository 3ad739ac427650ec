package tracetest

import (
	"fmt"
	"math/rand/v2"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Generate makes one real-shaped trace of n spans over the given number of
// services (seeded, so benchmarks see the same trace): each service calls
// a fixed set of two or three services further down (and the last ones call
// back into the first, a cycle), like a real call graph; a third of the
// spans are such calls, the rest stay in their service. Depth grows like
// log n, 2% errors, 10 attributes per span, and every third service's clock
// is skewed by up to 1ms. Spans are grouped into one ResourceSpans per
// service.
func Generate(id pcommon.TraceID, n, services int, seed uint64) ptrace.Traces {
	rng := rand.New(rand.NewPCG(seed, 1))
	td := ptrace.NewTraces()
	slices := make([]ptrace.SpanSlice, services)
	skew := make([]int64, services)
	for s := range slices {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", fmt.Sprintf("service-%02d", s))
		rs.Resource().Attributes().PutStr("host.name", fmt.Sprintf("host-%02d", s%7))
		slices[s] = rs.ScopeSpans().AppendEmpty().Spans()
		if s%3 == 2 {
			skew[s] = rng.Int64N(2_000_000) - 1_000_000
		}
	}
	callees := make([][]int, services)
	for s := range callees {
		for range 2 + rng.IntN(2) {
			callees[s] = append(callees[s], (s+1+rng.IntN(3))%services)
		}
	}
	type open struct {
		svc        int
		start, end int64
	}
	spans := make([]open, 0, n)
	for i := range n {
		o := open{start: 0, end: int64(n) * 10_000}
		parent := -1
		if i > 0 {
			// Attach near the end of what exists, so depth grows slowly.
			parent = i - 1 - rng.IntN(min(i, 4))
			if rng.IntN(4) == 0 {
				parent = rng.IntN(i)
			}
			p := spans[parent]
			o.svc = p.svc
			if rng.IntN(3) == 0 {
				c := callees[p.svc]
				o.svc = c[rng.IntN(len(c))]
			}
			d := p.end - p.start
			o.start = p.start + rng.Int64N(d/2+1)
			o.end = o.start + rng.Int64N(d/2+1)
		}
		spans = append(spans, o)
		sp := slices[o.svc].AppendEmpty()
		sp.SetTraceID(id)
		sp.SetSpanID(SpanID(uint64(i + 1)))
		kind := ptrace.SpanKindInternal
		if parent >= 0 {
			sp.SetParentSpanID(SpanID(uint64(parent + 1)))
			if spans[parent].svc != o.svc {
				kind = ptrace.SpanKindServer
			}
		} else {
			kind = ptrace.SpanKindServer
		}
		sp.SetKind(kind)
		sp.SetName(fmt.Sprintf("op-%d", rng.IntN(8)))
		sp.SetStartTimestamp(pcommon.Timestamp(T0 + o.start + skew[o.svc]))
		sp.SetEndTimestamp(pcommon.Timestamp(T0 + o.end + skew[o.svc]))
		if rng.IntN(50) == 0 {
			sp.Status().SetCode(ptrace.StatusCodeError)
		}
		attrs := sp.Attributes()
		attrs.EnsureCapacity(16)
		for a := range 10 {
			attrs.PutStr(fmt.Sprintf("attr.%d", a), "value")
		}
	}
	return td
}
