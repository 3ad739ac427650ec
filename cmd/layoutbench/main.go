// Command layoutbench lays out the same graphs with package sugiyama, with
// Graphviz dot and with ELK Layered (elkjs under node, installed by the
// bench with npm at sugiyamatest.ELKVersion into a cache directory) in one
// run, and prints per graph, as a Markdown table, the CPU time each took,
// the edge crossings (sugiyama.Crossings), the edges drawn through a node
// box they do not join (sugiyama.EdgesThroughNodes) and the drawing's area
// (the bounding box of boxes and routes), all measured the same way.
// dot's CPU is given twice: one run of one graph (what a caller starting
// dot per drawing pays) and the layout alone, from many copies of the
// graph in one dot process less one process start, divided by the copies.
// Ours is the mean of as many layouts in this process as take about as
// long (at least -runs).
//
// With -heldout it instead compares the crossings of ours, dot and ELK, and
// our CPU against one dot run, on trace-shaped graphs of seeds the bench
// does not use, to check that a schedule tuned on the bench meets the goal
// beyond it. With -deps it does the same on a real service graph: a
// Jaeger dependencies file (what /api/dependencies returns), whole and
// around its busiest services.
//
//	go run ./cmd/layoutbench -sizes 20,100,1000,5000 -timeout 5m
//	go run ./cmd/layoutbench -heldout 150,300,500 -seeds 10-29
//	curl -s 'http://jaeger:16686/api/dependencies?endTs=...&lookback=86400000' > deps.json
//	go run ./cmd/layoutbench -deps deps.json
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tracemap/tracemap/internal/sugiyama"
	"github.com/tracemap/tracemap/internal/testutil/sugiyamatest"
)

func main() {
	sizes := flag.String("sizes", "20,100,1000,5000", "node counts of the random layered DAGs")
	timeout := flag.Duration("timeout", 5*time.Minute, "limit for one dot or ELK run")
	runs := flag.Int("runs", 5, "our layout runs per graph at least (the mean CPU time is reported)")
	cache := flag.String("cache", "", "where npm installs elkjs (default: the user cache directory)")
	heldOut := flag.String("heldout", "", "instead of the bench: service counts of held-out trace-shaped graphs, whose crossings are compared with dot's and ELK's")
	seeds := flag.String("seeds", "10-29", "with -heldout: the generator seeds, first-last (the bench's graphs use 1-3)")
	deps := flag.String("deps", "", "instead of the bench: a Jaeger dependencies file (/api/dependencies output, or its list of parent, child, callCount links); compares on its whole graph and on the neighbourhoods of its busiest services")
	depsTop := flag.Int("deps-top", 10, "with -deps: how many of the busiest services' neighbourhoods")
	depsMax := flag.Int("deps-max", 400, "with -deps: graphs with more services than this are left out")
	compact := flag.Int("compact", sugiyama.DefaultOptions().CompactSweeps, "our layout's compaction sweeps after Brandes-Köpf (0: Brandes-Köpf's coordinates alone)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of this process to this file (dot and ELK run in their own)")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	ns := counts(*sizes)
	*runs = max(*runs, 1)
	if *cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		*cache = filepath.Join(dir, "tracemap")
	}
	elkDir, err := sugiyamatest.InstallELK(context.Background(), *cache)
	if err != nil {
		fail(err)
	}
	opt := sugiyama.DefaultOptions()
	opt.CompactSweeps = *compact
	switch {
	case *heldOut != "":
		compareGroups(elkDir, heldOutGroups(*heldOut, *seeds), opt, *timeout)
		return
	case *deps != "":
		groups, err := depsGroups(*deps, *depsTop, *depsMax)
		if err != nil {
			fail(err)
		}
		compareGroups(elkDir, groups, opt, *timeout)
		return
	}
	services := sugiyamatest.ServiceGraphs()
	graphs := append(services, sugiyamatest.RandomDAGs(ns...)...)

	// What starting dot costs, for reading the small graphs' figures.
	var base []sugiyamatest.Timing
	for range 5 {
		_, t, err := sugiyamatest.Dot(context.Background(), sugiyama.Graph{}, opt)
		if err != nil {
			fail(err)
		}
		base = append(base, t)
	}
	slices.SortFunc(base, func(a, b sugiyamatest.Timing) int { return int(a.CPU - b.CPU) })
	start := base[2].CPU
	fmt.Printf("elkjs %s under node %s; dot on an empty graph (process start): %.1f ms CPU (median of 5); "+
		"\"dot 1 run\" is one dot process for one graph, \"dot alone\" its layout without the start "+
		"(copies of the graph in one process, less one start, per copy); ours is the mean of runs taking about as long (at least %d); "+
		"ELK's CPU is its layout call alone, after warm-up runs\n\n",
		sugiyamatest.ELKVersion, nodeVersion(), ms(start), *runs)

	fmt.Println("| graph | nodes | edges | CPU ms ours | dot 1 run | dot alone (copies) | ELK | dot 1 run/ours | dot alone/ours | ELK/ours | crossings ours | dot | ELK | through nodes ours | dot | ELK | area Mpx² ours | dot | ELK |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	var unmet []string
	for gi, ng := range graphs {
		g := ng.Graph
		// Like dot alone, ours runs until it has taken about copiesCPU, so
		// both small-graph figures are means over many warm runs.
		r, ours := layoutCPU(g, opt, *runs, copiesCPU)
		row := []string{ng.Name, strconv.Itoa(len(g.Nodes)), strconv.Itoa(len(g.Edges))}
		type drawing struct {
			ok          bool
			cpu         time.Duration
			cross, thru int
			area        float64
			note        string
		}
		measure := func(r sugiyama.Result) drawing {
			return drawing{ok: true, cross: sugiyama.Crossings(g, r), thru: sugiyama.EdgesThroughNodes(g, r), area: area(g, r)}
		}
		o := measure(r)
		o.cpu = ours
		run := func(name string, f func(ctx context.Context) (sugiyama.Result, sugiyamatest.Timing, error)) drawing {
			ctx, cancel := context.WithTimeout(context.Background(), *timeout)
			defer cancel()
			res, t, err := f(ctx)
			switch {
			case errors.Is(ctx.Err(), context.DeadlineExceeded):
				return drawing{note: fmt.Sprintf("> %.0f s (timed out)", timeout.Seconds())}
			case err != nil:
				fail(fmt.Errorf("%s on %s: %w", name, ng.Name, err))
			}
			d := measure(res)
			d.cpu = t.CPU
			return d
		}
		d := run("dot", func(ctx context.Context) (sugiyama.Result, sugiyamatest.Timing, error) {
			return sugiyamatest.Dot(ctx, g, opt)
		})
		alone := drawing{note: d.note}
		if d.ok {
			alone = d
			alone.cpu, alone.note = dotAlone(g, opt, d.cpu, start, *timeout)
		}
		warm := 0
		if len(g.Nodes) <= 1000 {
			warm = 3
		}
		e := run("elk", func(ctx context.Context) (sugiyama.Result, sugiyamatest.Timing, error) {
			return sugiyamatest.ELK(ctx, elkDir, g, opt, warm)
		})
		cell := func(x drawing, f func(drawing) string) string {
			if !x.ok {
				return x.note
			}
			return f(x)
		}
		cpuMs := func(x drawing) string { return fmt.Sprintf("%.2f", ms(x.cpu)) }
		ratio := func(x drawing) string { return fmt.Sprintf("%.0fx", x.cpu.Seconds()/max(ours.Seconds(), 1e-9)) }
		cross := func(x drawing) string { return strconv.Itoa(x.cross) }
		thru := func(x drawing) string { return strconv.Itoa(x.thru) }
		ar := func(x drawing) string { return fmt.Sprintf("%.2f", x.area/1e6) }
		aloneMs := func(x drawing) string { return cpuMs(x) + " " + x.note }
		row = append(row, cpuMs(o), cell(d, cpuMs), cell(alone, aloneMs), cell(e, cpuMs), cell(d, ratio), cell(alone, ratio), cell(e, ratio),
			cross(o), cell(d, cross), cell(e, cross), thru(o), cell(d, thru), cell(e, thru), ar(o), cell(d, ar), cell(e, ar))
		fmt.Println("| " + strings.Join(row, " | ") + " |")
		if gi < len(services) { // the goals are for service-map shapes
			best := math.MaxInt
			for _, x := range []drawing{d, e} {
				if x.ok {
					best = min(best, x.cross)
				}
			}
			if o.cross > best {
				unmet = append(unmet, fmt.Sprintf("%s: %d crossings, the better of dot and ELK %d", ng.Name, o.cross, best))
			}
			for _, dot := range []struct {
				name string
				x    drawing
			}{{"dot 1 run", d}, {"dot alone", alone}} {
				fastest := time.Duration(math.MaxInt64)
				for _, x := range []drawing{dot.x, e} {
					if x.ok {
						fastest = min(fastest, x.cpu)
					}
				}
				if fastest < 20*ours {
					unmet = append(unmet, fmt.Sprintf("%s: %.1fx faster than the faster of %s and ELK, goal 20x",
						ng.Name, fastest.Seconds()/max(ours.Seconds(), 1e-9), dot.name))
				}
			}
		}
	}
	fmt.Println()
	if len(unmet) == 0 {
		fmt.Println("Goals on the service-map shapes (crossings <= the better of dot and ELK, >= 20x faster than either): met on every graph.")
	} else {
		fmt.Println("Goals on the service-map shapes (crossings <= the better of dot and ELK, >= 20x faster than either) NOT met on:")
		for _, u := range unmet {
			fmt.Println("- " + u)
		}
	}
}

// counts parses a comma-separated list of positive numbers.
func counts(list string) []int {
	var ns []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fail(fmt.Errorf("bad size %q", s))
		}
		ns = append(ns, n)
	}
	return ns
}

// layoutCPU lays g out at least runs times and until about budget of CPU
// has gone: the last drawing and the mean CPU per layout.
func layoutCPU(g sugiyama.Graph, opt sugiyama.Options, runs int, budget time.Duration) (sugiyama.Result, time.Duration) {
	var r sugiyama.Result
	cpu0 := cpuTime()
	n := 0
	for ; n < runs || cpuTime()-cpu0 < budget; n++ {
		r = sugiyama.Layout(g, opt)
	}
	return r, (cpuTime() - cpu0) / time.Duration(n)
}

// copiesCPU is about how long dot alone and our layout are run per graph.
const copiesCPU = 300 * time.Millisecond

// dotAlone is dot's CPU time for laying out g without starting the
// process: enough copies of g in one dot process to take about
// copiesCPU, less one process start (start), per copy. A graph whose one
// run (one1) already takes that long is not run again: one1 less start.
// The note says how many copies were used.
func dotAlone(g sugiyama.Graph, opt sugiyama.Options, one1, start, timeout time.Duration) (time.Duration, string) {
	const maxCopies = 200
	layout := max(one1-start, 0)
	if layout >= copiesCPU {
		return layout, "(1)"
	}
	copies := min(maxCopies, int(copiesCPU/max(layout, 50*time.Microsecond))+1)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	t, err := sugiyamatest.DotCopies(ctx, g, opt, copies)
	if err != nil {
		fail(fmt.Errorf("dot with %d copies: %w", copies, err))
	}
	return max(t.CPU-start, 0) / time.Duration(copies), fmt.Sprintf("(%d)", copies)
}

// area is the area of the bounding box of a drawing's boxes and routes.
func area(g sugiyama.Graph, r sugiyama.Result) float64 {
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	grow := func(x, y float64) { x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y) }
	for i, p := range r.Nodes {
		if i < len(g.Nodes) {
			grow(p.X-g.Nodes[i].W/2, p.Y-g.Nodes[i].H/2)
			grow(p.X+g.Nodes[i].W/2, p.Y+g.Nodes[i].H/2)
		}
	}
	for _, e := range r.Edges {
		for _, p := range e.Points {
			grow(p.X, p.Y)
		}
	}
	if x1 < x0 {
		return 0
	}
	return (x1 - x0) * (y1 - y0)
}

func nodeVersion() string {
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "layoutbench:", err)
	os.Exit(1)
}

// cpuTime is the user + system time this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
