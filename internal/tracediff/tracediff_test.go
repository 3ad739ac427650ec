package tracediff

import (
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// batches splits the spans of td into batches of one span each, in order.
func batches(td ptrace.Traces) []ptrace.Traces {
	var out []ptrace.Traces
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				b := ptrace.NewTraces()
				nrs := b.ResourceSpans().AppendEmpty()
				rs.Resource().CopyTo(nrs.Resource())
				nss := nrs.ScopeSpans().AppendEmpty()
				ss.Scope().CopyTo(nss.Scope())
				sp.CopyTo(nss.Spans().AppendEmpty())
				out = append(out, b)
			}
		}
	}
	return out
}

func diff(t *testing.T, opt Options, a, b []ptrace.Traces) *Report {
	t.Helper()
	opt.TempDir = t.TempDir()
	d, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, td := range a {
		if err := d.Add(A, td); err != nil {
			t.Fatal(err)
		}
	}
	for _, td := range b {
		if err := d.Add(B, td); err != nil {
			t.Fatal(err)
		}
	}
	r, err := d.Diff()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Forty traces spread one span per batch, B in reverse order, over the most
// partitions (a huge expected input): spans of one trace meet wherever they
// were in the file.
func TestSpreadTracesMeet(t *testing.T) {
	var a []ptrace.Traces
	for i := range 40 {
		a = append(a, batches(tracetest.Traces(tracetest.TraceID(uint64(i+1)), tracetest.FiveServices()...))...)
	}
	b := make([]ptrace.Traces, len(a))
	for i := range a {
		b[len(a)-1-i] = a[i]
	}
	r := diff(t, Options{InputBytes: 1 << 40}, a, b)
	if !r.Identical || r.Sides[A].Spans != 280 || r.Sides[B].Spans != 280 || r.Sides[A].Traces != 40 || r.Sides[B].Traces != 40 {
		t.Fatalf("report %+v", r)
	}
}

func TestDuplicatesAndOnlyOneSide(t *testing.T) {
	spans := tracetest.FiveServices()
	a := batches(tracetest.Traces(tracetest.TraceID(7), spans...))
	a = append(a, a[2]) // checkout's server span exported twice
	b := batches(tracetest.Traces(tracetest.TraceID(7), spans...))
	b = append(b, tracetest.Traces(tracetest.TraceID(8), tracetest.S(1, 0, "cart", "GET /cart", 0, 10)))
	r := diff(t, Options{Limit: 1}, a, b)
	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	want := "A  : 8 spans in 1 traces (1 duplicate spans)\nB  : 8 spans in 2 traces\n" +
		"traces only in A: 0\ntraces only in B: 1\n" +
		"  trace 00000000000000000000000000000008 (1 spans, root \"cart: GET /cart\")\n" +
		"spans only in A (missing in B): 0\nspans only in B (missing in A): 0\nspans that differ: 0\n" +
		"duplicate spans: 1\n  A: trace 00000000000000000000000000000007 span 0000000000000003 \"POST /checkout\" (checkout)\n"
	if text.String() != want {
		t.Fatalf("report\n%s\nwant\n%s", text.String(), want)
	}
}

func TestLimitKeepsCounts(t *testing.T) {
	var a []ptrace.Traces
	for i := range 30 {
		a = append(a, tracetest.Traces(tracetest.TraceID(uint64(i+1)), tracetest.S(1, 0, "api", "GET", 0, 10)))
	}
	r := diff(t, Options{Limit: 5}, a, nil)
	if r.TracesOnlyInA != 30 || len(r.OnlyInA) != 5 || r.OnlyInA[0].TraceID > r.OnlyInA[4].TraceID {
		t.Fatalf("%d traces only in A, %d listed: %+v", r.TracesOnlyInA, len(r.OnlyInA), r.OnlyInA)
	}
}

func TestBadIgnorePattern(t *testing.T) {
	if _, err := New(Options{Ignore: []string{"a[", "b"}}); err == nil || err.Error() != `ignore pattern "a[": syntax error in pattern` {
		t.Fatalf("err %v", err)
	}
}
