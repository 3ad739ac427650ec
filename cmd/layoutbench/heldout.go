package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tracemap/tracemap/internal/sugiyama"
	"github.com/tracemap/tracemap/internal/testutil/sugiyamatest"
)

// group is graphs whose figures are summed under one name.
type group struct {
	name   string
	graphs []sugiyamatest.Named
}

// heldOutGroups is trace-shaped graphs of the given service counts (10
// traces per service) and seeds, which the bench's own graphs do not use,
// so a schedule tuned on the bench can be checked against the goal on
// graphs it was not tuned on: one group per service count.
func heldOutGroups(services, seeds string) []group {
	first, last, ok := strings.Cut(seeds, "-")
	lo, err1 := strconv.ParseUint(first, 10, 64)
	hi, err2 := strconv.ParseUint(last, 10, 64)
	if !ok || err1 != nil || err2 != nil || hi < lo {
		fail(fmt.Errorf("bad seeds %q, want first-last", seeds))
	}
	var groups []group
	for _, n := range counts(services) {
		gr := group{name: fmt.Sprintf("trace-shaped-%d", n)}
		for seed := lo; seed <= hi; seed++ {
			gr.graphs = append(gr.graphs, sugiyamatest.Named{
				Name:  fmt.Sprintf("trace-shaped-%d seed %d", n, seed),
				Graph: sugiyamatest.TraceShaped(n, 10*n, seed),
			})
		}
		groups = append(groups, gr)
	}
	return groups
}

// compareGroups prints the crossings of ours, dot and ELK on every graph,
// and per group and in all the totals and on how many graphs ours has no
// more crossings than each, with the speed goal's figures: our CPU per
// layout (mean of at least three runs) against one dot process per graph,
// in total and on the graph where the ratio is worst.
func compareGroups(elkDir string, groups []group, opt sugiyama.Options, timeout time.Duration) {
	type tally struct {
		graphs, ours, dot, elk, leDot, leELK int
		oursCPU, dotCPU                      time.Duration
		worst                                float64 // the lowest dot/ours CPU ratio
	}
	var all tally
	add := func(t *tally, ours, dot, elk int, oursCPU, dotCPU time.Duration) {
		ratio := dotCPU.Seconds() / max(oursCPU.Seconds(), 1e-9)
		if t.graphs == 0 || ratio < t.worst {
			t.worst = ratio
		}
		t.oursCPU += oursCPU
		t.dotCPU += dotCPU
		t.graphs++
		t.ours += ours
		t.dot += dot
		t.elk += elk
		if ours <= dot {
			t.leDot++
		}
		if ours <= elk {
			t.leELK++
		}
	}
	total := func(name string, t tally) {
		fmt.Printf("| %s (%d graphs) | | | %d | %d | %d | %d of %d | %d of %d | %.1f | %.1f | %.1fx (worst %.1fx) |\n",
			name, t.graphs, t.ours, t.dot, t.elk, t.leDot, t.graphs, t.leELK, t.graphs,
			ms(t.oursCPU), ms(t.dotCPU), t.dotCPU.Seconds()/max(t.oursCPU.Seconds(), 1e-9), t.worst)
	}
	fmt.Println("| graph | nodes | edges | crossings ours | dot | ELK | ours <= dot | ours <= ELK | CPU ms ours | dot 1 run | dot 1 run/ours |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|")
	tallies := make([]tally, len(groups))
	for i, gr := range groups {
		for _, ng := range gr.graphs {
			g := ng.Graph
			r, oursCPU := layoutCPU(g, opt, 3, 30*time.Millisecond)
			ours := sugiyama.Crossings(g, r)
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			d, dt, err := sugiyamatest.Dot(ctx, g, opt)
			if err != nil {
				fail(fmt.Errorf("dot on %s: %w", ng.Name, err))
			}
			e, _, err := sugiyamatest.ELK(ctx, elkDir, g, opt, 0)
			cancel()
			if err != nil {
				fail(fmt.Errorf("elk on %s: %w", ng.Name, err))
			}
			dc, ec := sugiyama.Crossings(g, d), sugiyama.Crossings(g, e)
			add(&tallies[i], ours, dc, ec, oursCPU, dt.CPU)
			add(&all, ours, dc, ec, oursCPU, dt.CPU)
			fmt.Printf("| %s | %d | %d | %d | %d | %d | %v | %v | %.2f | %.1f | %.1fx |\n",
				ng.Name, len(g.Nodes), len(g.Edges), ours, dc, ec, ours <= dc, ours <= ec,
				ms(oursCPU), ms(dt.CPU), dt.CPU.Seconds()/max(oursCPU.Seconds(), 1e-9))
		}
	}
	for i, gr := range groups {
		total(gr.name, tallies[i])
	}
	total("all", all)
}
