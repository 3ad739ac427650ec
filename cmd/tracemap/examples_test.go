package main

import (
	"flag"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/tracetest"
	"github.com/tracemap/tracemap/internal/traceio"
)

var updateExamples = flag.Bool("update-examples", false, "rewrite the trace files in examples/traces that the README's examples use")

const examples = "../../examples/traces"

// exampleSDK and exampleBackend are what an SDK exported (checkout and cart
// traces) and what the backend answered: payment's "db query" is missing.
func exampleSDK() []ptrace.Traces { return []ptrace.Traces{checkout(nil), other()} }

func exampleBackend() []ptrace.Traces {
	return []ptrace.Traces{other(), checkout(func(s []tracetest.Span) []tracetest.Span { return append(s[:4], s[5:]...) })}
}

func TestWriteExamples(t *testing.T) {
	if !*updateExamples {
		t.Skip("go test ./cmd/tracemap -run TestWriteExamples -update-examples")
	}
	writeTraces(t, examples, "sdk.jsonl", traceio.OTLP, exampleSDK()...)
	writeTraces(t, examples, "backend.json", traceio.Jaeger, exampleBackend()...)
	fast, slow := tracetest.TwoCheckouts()
	writeTraces(t, examples, "checkout-fast.json", traceio.Jaeger, fast)
	writeTraces(t, examples, "checkout-slow.json", traceio.Zipkin, slow)
}

// The README's examples give what the README says.
func TestExamples(t *testing.T) {
	ex := func(name string) string { return filepath.Join(examples, name) }
	if code, stdout, _ := runCLI(t, "diff", ex("sdk.jsonl"), ex("backend.json")); code != exitDifferent ||
		stdout != "A  ../../examples/traces/sdk.jsonl: 8 spans in 2 traces\n"+
			"B  ../../examples/traces/backend.json: 7 spans in 2 traces\n"+
			"traces only in A: 0\ntraces only in B: 0\n"+
			"spans only in A (missing in B): 1\n"+
			"  trace 000000000000000000000000000000c1 span 0000000000000005 \"db query\" (payment)\n"+
			"spans only in B (missing in A): 0\nspans that differ: 0\n" {
		t.Errorf("diff: exit %d\n%s", code, stdout)
	}
	out := filepath.Join(t.TempDir(), "compare.svg")
	if code, stdout, _ := runCLI(t, "compare", "-o", out, ex("checkout-fast.json"), ex("checkout-slow.json")); code != exitOK ||
		stdout != "wrote "+out+": 5 spans in both, 2 only in A, 1 only in B\n" {
		t.Errorf("compare: exit %d\n%s", code, stdout)
	}
}
