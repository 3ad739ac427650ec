package main

import (
	"os"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/tracetest"
	"github.com/tracemap/tracemap/internal/traceio"
)

// checkoutRequests are two calls of GET /checkout: B is slower in payment,
// retries its charge (a span only B has), skips the cache (only A has it)
// and runs two of A's three stock queries.
func checkoutRequests() (a, b ptrace.Traces) {
	const ms = 1_000_000
	S := tracetest.S
	a = tracetest.Traces(tracetest.TraceID(0xa1),
		S(1, 0, "frontend", "GET /checkout", 0, 120*ms).Of(ptrace.SpanKindServer),
		S(2, 1, "frontend", "cache get", 2*ms, 4*ms),
		S(3, 1, "checkout", "POST /checkout", 5*ms, 110*ms).Of(ptrace.SpanKindServer),
		S(4, 3, "payment", "charge", 10*ms, 50*ms).Of(ptrace.SpanKindServer),
		S(5, 3, "inventory", "stock query", 55*ms, 65*ms),
		S(6, 3, "inventory", "stock query", 66*ms, 76*ms),
		S(7, 3, "inventory", "stock query", 77*ms, 87*ms),
	)
	b = tracetest.Traces(tracetest.TraceID(0xb2),
		S(1, 0, "frontend", "GET /checkout", 0, 300*ms).Of(ptrace.SpanKindServer),
		S(3, 1, "checkout", "POST /checkout", 3*ms, 290*ms).Of(ptrace.SpanKindServer),
		S(4, 3, "payment", "charge", 10*ms, 200*ms).Of(ptrace.SpanKindServer).Err(),
		S(8, 3, "payment", "charge retry", 200*ms, 250*ms).Of(ptrace.SpanKindServer),
		S(5, 3, "inventory", "stock query", 252*ms, 262*ms),
		S(6, 3, "inventory", "stock query", 263*ms, 268*ms),
	)
	return a, b
}

func TestComparePicture(t *testing.T) {
	dir := t.TempDir()
	ta, tb := checkoutRequests()
	fa := writeTraces(t, dir, "fast.json", traceio.Jaeger, ta)
	fb := writeTraces(t, dir, "slow.json", traceio.Zipkin, tb)
	out := filepath.Join(dir, "compare.svg")
	code, stdout, stderr := runCLI(t, "compare", "-o", out, fa, fb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "wrote " + out + ": 5 spans in both, 2 only in A, 1 only in B\n"; stdout != want {
		t.Fatalf("stdout %q, want %q", stdout, want)
	}
	svg, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("KEEP") != "" {
		os.WriteFile(os.Getenv("KEEP"), svg, 0o644)
	}
}
