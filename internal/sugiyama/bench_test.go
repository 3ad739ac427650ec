package sugiyama_test

import (
	"testing"

	"github.com/tracemap/tracemap/internal/sugiyama"
	"github.com/tracemap/tracemap/internal/testutil/sugiyamatest"
)

// BenchmarkLayout times Layout on the graphs of the dot comparison
// (cmd/layoutbench); the target is 1,000 nodes under 100 ms.
func BenchmarkLayout(b *testing.B) {
	graphs := append(sugiyamatest.RandomDAGs(20, 100, 1000, 5000), sugiyamatest.ServiceGraphs()...)
	opt := sugiyama.DefaultOptions()
	for _, ng := range graphs {
		b.Run(ng.Name, func(b *testing.B) {
			var r sugiyama.Result
			for b.Loop() {
				r = sugiyama.Layout(ng.Graph, opt)
			}
			b.ReportMetric(float64(sugiyama.Crossings(ng.Graph, r)), "crossings")
		})
	}
}
