package servicedag

import (
	"fmt"
	"testing"

	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// BenchmarkDAG: the service DAG of a real-shaped 1,000-span trace over 20
// services: building it, laying it out (first sight of the shape, and a
// cached shape), encoding it and decoding it (with and without the
// placement).
func BenchmarkDAG(b *testing.B) {
	for _, services := range []int{5, 20, 100} {
		tr := spantree.FromTraces(tracetest.Generate(tracetest.TraceID(1), 1000, services, 1))[0]
		d := FromTree(tr, Options{})
		b.Run(fmt.Sprintf("services=%d/FromTree", services), func(b *testing.B) {
			for b.Loop() {
				FromTree(tr, Options{})
			}
		})
		b.Run(fmt.Sprintf("services=%d/Layout", services), func(b *testing.B) {
			b.ReportMetric(float64(len(d.Edges)), "edges")
			for b.Loop() {
				Layout(d)
			}
		})
		b.Run(fmt.Sprintf("services=%d/CachedLayout", services), func(b *testing.B) {
			c := NewCache(16)
			for b.Loop() {
				c.Layout(d)
			}
		})
		b.Run(fmt.Sprintf("services=%d/Encode", services), func(b *testing.B) {
			for b.Loop() {
				d.Encode()
			}
		})
		enc := d.Encode()
		b.Run(fmt.Sprintf("services=%d/Decode", services), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Decode(enc)
			}
		})
		b.Run(fmt.Sprintf("services=%d/DecodeGraph", services), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = DecodeGraph(enc)
			}
		})
	}
}
