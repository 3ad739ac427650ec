package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/traceio"
	"github.com/tracemap/tracemap/internal/tracewrite"
)

var (
	diffInputs = flag.String("write-diff-inputs", "", "write the diff benchmark's inputs (a.jsonl, b.jsonl) into this directory")
	diffTraces = flag.Int("diff-traces", 100_000, "traces of 10 spans in each diff benchmark input (a multiple of 200)")
)

// TestWriteDiffInputs writes what BENCHMARKS.md diffs: -diff-traces traces
// (100,000: 1,000,000 spans) of 10 spans in 5 services, written as the file exporter writes them, in batches
// of 1,000 spans that mix traces, every trace spread over two batches far
// apart. B misses one span, has another end 3ms later, and holds its
// batches in another order.
func TestWriteDiffInputs(t *testing.T) {
	if *diffInputs == "" {
		t.Skip("benchmark input generator: go test ./cmd/tracemap -run TestWriteDiffInputs -write-diff-inputs DIR")
	}
	const perTrace, batch = 10, 1000
	traces := *diffTraces
	type spanAt struct{ trace, span int }
	write := func(name string, order func(i, n int) int, change func(spanAt, ptrace.Span) bool) {
		f, err := os.Create(filepath.Join(*diffInputs, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		w, _ := tracewrite.New(f, traceio.OTLP)
		n := traces * perTrace / batch
		for bi := range n {
			b := order(bi, n)
			td := ptrace.NewTraces()
			res := map[int]ptrace.SpanSlice{}
			for k := range batch {
				// Batch b holds the first half of 200 traces when b < n/2, the
				// second half of the same traces in batch b+n/2, so every trace is
				// spread over two batches far apart.
				g := b % (n / 2)
				tr := g*(batch/(perTrace/2)) + k/(perTrace/2)
				sp := k%(perTrace/2) + (b/(n/2))*(perTrace/2)
				at := spanAt{tr, sp}
				svc := sp % 5
				ss, ok := res[svc]
				if !ok {
					rs := td.ResourceSpans().AppendEmpty()
					rs.Resource().Attributes().PutStr("service.name", fmt.Sprintf("service-%d", svc))
					rs.Resource().Attributes().PutStr("host.name", fmt.Sprintf("host-%d", svc))
					ss = rs.ScopeSpans().AppendEmpty().Spans()
					res[svc] = ss
				}
				s := ss.AppendEmpty()
				var tid pcommon.TraceID
				copy(tid[:], fmt.Sprintf("%016x", uint64(tr)*0x9e3779b97f4a7c15))
				s.SetTraceID(tid)
				s.SetSpanID(pcommon.SpanID{1, 0, 0, 0, 0, 0, byte(sp >> 8), byte(sp + 1)})
				if sp > 0 {
					s.SetParentSpanID(pcommon.SpanID{1, 0, 0, 0, 0, 0, 0, byte((sp-1)/2 + 1)})
				}
				s.SetName(fmt.Sprintf("operation %d", sp))
				s.SetKind(ptrace.SpanKindServer)
				start := pcommon.Timestamp(1_700_000_000_000_000_000 + int64(tr)*1_000_000 + int64(sp)*10_000)
				s.SetStartTimestamp(start)
				s.SetEndTimestamp(start + 5_000_000)
				s.Attributes().PutStr("http.route", fmt.Sprintf("/api/%d", sp))
				s.Attributes().PutInt("http.response.status_code", 200)
				s.Attributes().PutStr("tracemap.depth", fmt.Sprint(sp))
				if change != nil && !change(at, s) {
					ss.RemoveIf(func(x ptrace.Span) bool { return x.SpanID() == s.SpanID() && x.TraceID() == s.TraceID() })
				}
			}
			if err := w.Write(td); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write("a.jsonl", func(i, _ int) int { return i }, nil)
	write("b.jsonl", func(i, n int) int { return n - 1 - i }, func(at spanAt, s ptrace.Span) bool {
		switch at {
		case spanAt{traces / 3, 7}:
			return false
		case spanAt{traces * 7 / 9, 3}:
			s.SetEndTimestamp(s.EndTimestamp() + 3_000_000)
		}
		return true
	})
}
