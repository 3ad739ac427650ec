package spantree

import (
	"fmt"
	"testing"

	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// BenchmarkBuild builds the tree of one real-shaped trace (grouping
// included); ns/span is the figure that matters.
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		td := tracetest.Generate(traceA, n, 20, 1)
		b.Run(fmt.Sprintf("spans=%d", n), func(b *testing.B) {
			cpu := tracetest.CPUTime()
			for b.Loop() {
				FromTraces(td)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/span")
			b.ReportMetric(float64((tracetest.CPUTime()-cpu).Nanoseconds())/float64(b.N*n), "cpu-ns/span")
		})
	}
}
