// Package heattest builds realistic span batches for benchmarks of the heat
// tracker and the heatmap processor.
package heattest

import (
	"fmt"
	"math/rand/v2"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Batch returns one ResourceSpans per service with spansPer spans each, shaped
// like a gateway's traffic: each service has 10 operations, every tenth span
// is a SERVER span whose CLIENT parent sits in the previous service's
// ResourceSpans (an edge), 2% of spans fail, and every span carries a few
// ordinary attributes. seed fixes the content.
func Batch(services, spansPer int, seed uint64) ptrace.Traces {
	r := rand.New(rand.NewPCG(seed, 1))
	td := ptrace.NewTraces()
	names := make([][]string, services)
	for s := range services {
		names[s] = make([]string, 10)
		for o := range names[s] {
			names[s][o] = fmt.Sprintf("GET /api/v1/svc%d/op%d", s, o)
		}
	}
	start := pcommon.Timestamp(1_700_000_000_000_000_000)
	for s := range services {
		rs := td.ResourceSpans().AppendEmpty()
		res := rs.Resource().Attributes()
		res.PutStr("service.name", fmt.Sprintf("service-%02d", s))
		res.PutStr("host.name", "host-1")
		res.PutStr("telemetry.sdk.language", "go")
		spans := rs.ScopeSpans().AppendEmpty().Spans()
		spans.EnsureCapacity(spansPer)
		for i := range spansPer {
			span := spans.AppendEmpty()
			trace := pcommon.TraceID{0: byte(seed), 1: byte(i), 2: byte(i >> 8), 15: 1}
			span.SetTraceID(trace)
			span.SetSpanID(pcommon.SpanID{0: byte(s), 1: byte(i), 2: byte(i >> 8), 7: 1})
			span.SetName(names[s][i%10])
			switch {
			case i%10 == 0 && s > 0:
				// Callee of the CLIENT span i+1 of the previous service.
				span.SetKind(ptrace.SpanKindServer)
				span.SetParentSpanID(pcommon.SpanID{0: byte(s - 1), 1: byte(i + 1), 2: byte((i + 1) >> 8), 7: 1})
			case i%10 == 1:
				span.SetKind(ptrace.SpanKindClient)
			default:
				span.SetKind(ptrace.SpanKindInternal)
				span.SetParentSpanID(pcommon.SpanID{0: byte(s), 1: byte(i - i%10), 2: byte((i - i%10) >> 8), 7: 1})
			}
			d := pcommon.Timestamp(200_000 + r.Int64N(50_000_000))
			span.SetStartTimestamp(start)
			span.SetEndTimestamp(start + d)
			if r.IntN(50) == 0 {
				span.Status().SetCode(ptrace.StatusCodeError)
			}
			a := span.Attributes()
			a.PutStr("http.request.method", "GET")
			a.PutStr("url.path", names[s][i%10])
			a.PutInt("http.response.status_code", 200)
			a.PutStr("server.address", "10.0.0.1")
		}
	}
	return td
}

// Decoded returns n copies of Batch(services, spansPer, seed) decoded from
// OTLP protobuf, as a receiver hands batches on: benchmarks that write
// attributes need fresh, unannotated data for every iteration.
func Decoded(services, spansPer int, seed uint64, n int) ([]ptrace.Traces, error) {
	raw, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(Batch(services, spansPer, seed))
	if err != nil {
		return nil, err
	}
	out := make([]ptrace.Traces, n)
	for i := range out {
		if out[i], err = (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(raw); err != nil {
			return nil, err
		}
	}
	return out, nil
}
