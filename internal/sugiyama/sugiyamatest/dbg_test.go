package sugiyamatest

import (
	"fmt"
	"github.com/tracemap/tracemap/internal/sugiyama"
	"math"
	"syscall"
	"testing"
	"time"
)

var dotC = map[string]int{"random-20": 21, "random-100": 206, "random-1000": 7632, "social-network": 8, "trace-shaped-60": 76, "trace-shaped-300": 1031, "trace-shaped-1000": 38764, "online-boutique": 3}
var dotT = map[string]float64{"random-20": 5.3, "random-100": 9.4, "random-1000": 209.9, "social-network": 7.5, "trace-shaped-60": 10.4, "trace-shaped-300": 30.7, "trace-shaped-1000": 426.1, "online-boutique": 6.8}

func TestDbg(t *testing.T) {
	sum, minsp := 0.0, 1e9
	for _, ng := range append(RandomDAGs(20, 100, 1000), ServiceGraphs()...) {
		if dotC[ng.Name] == 0 {
			continue
		}
		g := ng.Graph
		var ru0, ru1 syscall.Rusage
		reps := 20
		if len(g.Nodes) >= 600 {
			reps = 5
		}
		syscall.Getrusage(0, &ru0)
		var r sugiyama.Result
		for k := 0; k < reps; k++ {
			r = sugiyama.Layout(g, sugiyama.DefaultOptions())
		}
		syscall.Getrusage(0, &ru1)
		el := time.Duration((ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()) / int64(reps))
		c := sugiyama.Crossings(g, r)
		q := float64(c) / float64(dotC[ng.Name])
		sum += q
		sp := dotT[ng.Name] / (float64(el) / 1e6)
		minsp = math.Min(minsp, sp)
		fmt.Printf("%s %.2fms %.2f %.1fx | ", ng.Name, float64(el)/1e6, q, sp)
	}
	fmt.Printf("\nmean %.3f min-speedup %.1f\n", sum/8, minsp)
}
