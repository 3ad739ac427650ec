package heattest

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Benchmark batch shape: 20 services, one ResourceSpans of 100 spans each.
const (
	BenchServices = 20
	BenchSpansPer = 100
	BenchSpans    = BenchServices * BenchSpansPer
	benchCopies   = 16
)

// RunBatches calls fn once per iteration on a fresh bench batch decoded from
// OTLP protobuf (as a receiver hands it on), replacing the batches outside
// the timer when used up, and reports wall and CPU time per span (allocs/op
// are per batch of BenchSpans spans).
func RunBatches(b *testing.B, fn func(ptrace.Traces)) {
	batches, err := Decoded(BenchServices, BenchSpansPer, 2, benchCopies)
	if err != nil {
		b.Fatal(err)
	}
	var cpu CPUMeter
	b.ReportAllocs()
	b.ResetTimer()
	cpu.Start()
	i := 0
	for b.Loop() {
		if i == benchCopies {
			b.StopTimer()
			cpu.Stop()
			if batches, err = Decoded(BenchServices, BenchSpansPer, 2, benchCopies); err != nil {
				b.Fatal(err)
			}
			i = 0
			cpu.Start()
			b.StartTimer()
		}
		fn(batches[i])
		i++
	}
	cpu.Stop()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*BenchSpans), "ns/span")
	b.ReportMetric(cpu.PerOp(b.N*BenchSpans), "cpu-ns/span")
}
