package tracetest

import "go.opentelemetry.io/collector/pdata/ptrace"

// TwoCheckouts are two calls of GET /checkout to compare: B (trace 0xb2) is
// slower in payment, whose charge fails, retries the charge (a span only B
// has), skips the cache (only A, trace 0xa1, has it) and runs two of A's
// three stock queries.
func TwoCheckouts() (a, b ptrace.Traces) {
	const ms = 1_000_000
	a = Traces(TraceID(0xa1),
		S(1, 0, "frontend", "GET /checkout", 0, 120*ms).Of(ptrace.SpanKindServer),
		S(2, 1, "frontend", "cache get", 2*ms, 4*ms),
		S(3, 1, "checkout", "POST /checkout", 5*ms, 110*ms).Of(ptrace.SpanKindServer),
		S(4, 3, "payment", "charge", 10*ms, 50*ms).Of(ptrace.SpanKindServer),
		S(5, 3, "inventory", "stock query", 55*ms, 65*ms),
		S(6, 3, "inventory", "stock query", 66*ms, 76*ms),
		S(7, 3, "inventory", "stock query", 77*ms, 87*ms),
	)
	b = Traces(TraceID(0xb2),
		S(1, 0, "frontend", "GET /checkout", 0, 300*ms).Of(ptrace.SpanKindServer),
		S(3, 1, "checkout", "POST /checkout", 3*ms, 290*ms).Of(ptrace.SpanKindServer),
		S(4, 3, "payment", "charge", 10*ms, 200*ms).Of(ptrace.SpanKindServer).Err(),
		S(8, 3, "payment", "charge retry", 200*ms, 250*ms).Of(ptrace.SpanKindServer),
		S(5, 3, "inventory", "stock query", 252*ms, 262*ms),
		S(6, 3, "inventory", "stock query", 263*ms, 268*ms),
	)
	return a, b
}
