package svgrender

import (
	"io"
	"strconv"
	"testing"

	"github.com/tracemap/tracemap/internal/spantree"
)

// batchTrace is a batch job: a root, chunks run one after another, each
// processing items; an item is a server span with nine client calls (cache,
// query, ...). Spans = 1 + chunks*(1 + items*10).
func batchTrace(chunks, items int) *spantree.Tree {
	const itemNs = 500_000 // 0.5ms per item
	t := &spantree.Tree{Start: traceStart}
	add := func(s spantree.Span) int {
		t.Spans = append(t.Spans, s)
		i := len(t.Spans) - 1
		if s.Parent >= 0 {
			t.Spans[s.Parent].Children = append(t.Spans[s.Parent].Children, i)
		}
		return i
	}
	chunkNs := int64(items*itemNs + 1000)
	total := int64(chunks) * chunkNs
	root := add(spantree.Span{Service: "scheduler", Name: "run batch", Parent: -1, Start: traceStart, End: traceStart + total, Critical: true})
	t.Roots = []int{root}
	calls := [...]string{"cache get", "SELECT item", "cache set", "GET /price", "GET /stock", "SELECT tax", "publish event", "GET /price", "audit log"}
	svcs := [...]string{"redis", "postgres", "redis", "pricing", "inventory", "postgres", "kafka", "pricing", "audit"}
	for c := 0; c < chunks; c++ {
		off := int64(c) * chunkNs
		ch := add(spantree.Span{Service: "worker", Name: "process chunk", Parent: root, Depth: 1, Offset: off, Start: traceStart + off, End: traceStart + off + chunkNs - 500, Critical: true})
		for i := 0; i < items; i++ {
			io := off + int64(i*itemNs)
			it := add(spantree.Span{Service: "catalog", Name: "POST /item", Parent: ch, Depth: 2, Offset: io, Start: traceStart + io, End: traceStart + io + itemNs - 20_000, Error: (c*items+i)%97 == 0, Critical: i == items-1})
			for k := range calls {
				o := io + int64(k*50_000)
				add(spantree.Span{Service: svcs[k], Name: calls[k], Parent: it, Depth: 3, Offset: o, Start: traceStart + o, End: traceStart + o + 40_000, Skew: int64(k % 5 / 4 * 1000)})
			}
		}
	}
	t.Duration = total
	return t
}

// flatUniqueTrace is the worst shape for merging: n children of the root,
// every one with its own name, so only the row budget's cut bounds it.
func flatUniqueTrace(n int) *spantree.Tree {
	t := &spantree.Tree{Start: traceStart, Duration: int64(n) * 1000, Roots: []int{0}}
	t.Spans = make([]spantree.Span, n+1)
	t.Spans[0] = spantree.Span{Service: "api", Name: "root", Parent: -1, End: traceStart + int64(n)*1000, Start: traceStart}
	t.Spans[0].Children = make([]int, n)
	for i := 1; i <= n; i++ {
		o := int64(i-1) * 1000
		t.Spans[i] = spantree.Span{Service: "svc" + strconv.Itoa(i%50), Name: "job " + strconv.Itoa(i), Parent: 0, Depth: 1, Offset: o, Start: traceStart + o, End: traceStart + o + 900}
		t.Spans[0].Children[i-1] = i
	}
	return t
}

// chainTrace is n spans each the only child of the one before: the deepest
// shape, where no two rows merge.
func chainTrace(n int) *spantree.Tree {
	t := &spantree.Tree{Start: traceStart, Duration: int64(n) * 2000, Roots: []int{0}}
	t.Spans = make([]spantree.Span, n)
	for i := range t.Spans {
		o := int64(i) * 1000
		t.Spans[i] = spantree.Span{Service: "svc" + strconv.Itoa(i%7), Name: "step", Parent: i - 1, Depth: i, Offset: o, Start: traceStart + o, End: traceStart + t.Duration - o, Error: i%1000 == 0}
		if i+1 < n {
			t.Spans[i].Children = []int{i + 1}
		}
	}
	return t
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)

func benchRender(b *testing.B, tr *spantree.Tree) {
	dag := shopDAG()
	var size int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var w countingWriter
		if err := RenderTrace(&w, tr, dag, shopHeat, Options{}); err != nil {
			b.Fatal(err)
		}
		size = w.n
	}
	b.ReportMetric(float64(size), "svg-bytes")
	b.ReportMetric(float64(len(tr.Spans)), "spans")
}

func BenchmarkRenderTrace(b *testing.B) {
	b.Run("shop-14", func(b *testing.B) { benchRender(b, shopTrace()) })
	b.Run("batch-10k", func(b *testing.B) { benchRender(b, batchTrace(10, 100)) })
	b.Run("batch-1M", func(b *testing.B) { benchRender(b, batchTrace(100, 1000)) })
	b.Run("flat-unique-1M", func(b *testing.B) { benchRender(b, flatUniqueTrace(1_000_000)) })
	b.Run("chain-1M", func(b *testing.B) { benchRender(b, chainTrace(1_000_000)) })
}

// The big shapes stay within the size the issue allows.
func TestLargeTraceSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1,000,000-span trace")
	}
	for name, build := range map[string]func() *spantree.Tree{
		"batch": func() *spantree.Tree { return batchTrace(100, 1000) },
		"flat":  func() *spantree.Tree { return flatUniqueTrace(1_000_000) },
		"chain": func() *spantree.Tree { return chainTrace(1_000_000) },
	} {
		tr := build() // one at a time
		var w countingWriter
		if err := RenderTrace(&w, tr, shopDAG(), shopHeat, Options{}); err != nil {
			t.Fatal(err)
		}
		if w.n > 2<<20 {
			t.Errorf("%s: %d spans render into %d bytes, want < 2 MB", name, len(tr.Spans), w.n)
		}
	}
}
