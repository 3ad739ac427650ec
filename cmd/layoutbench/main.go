// Command layoutbench lays out the same graphs with package sugiyama and
// with Graphviz dot in one run and prints, per graph, the time each took
// (wall and CPU) and the edge crossings of each drawing, both counted by
// sugiyama.Crossings, as a Markdown table.
//
//	go run ./cmd/layoutbench -sizes 20,100,1000,5000 -dot-timeout 5m
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
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
	timeout := flag.Duration("dot-timeout", 5*time.Minute, "limit for one dot run")
	runs := flag.Int("runs", 5, "our layout runs per graph (the median wall time is reported)")
	flag.Parse()
	var ns []int
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "layoutbench: bad size %q\n", s)
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	if *runs < 1 {
		*runs = 1
	}
	graphs := append(sugiyamatest.RandomDAGs(ns...), sugiyamatest.ServiceGraphs()...)
	opt := sugiyama.DefaultOptions()

	// What starting dot costs, for reading the small graphs' figures.
	var base []sugiyamatest.Timing
	for range 5 {
		_, t, err := sugiyamatest.Dot(context.Background(), sugiyama.Graph{}, opt)
		if err != nil {
			fmt.Fprintln(os.Stderr, "layoutbench:", err)
			os.Exit(1)
		}
		base = append(base, t)
	}
	slices.SortFunc(base, func(a, b sugiyamatest.Timing) int { return int(a.Wall - b.Wall) })
	fmt.Printf("dot on an empty graph (process start): %.1f ms wall, %.1f ms CPU (median of 5)\n\n",
		ms(base[2].Wall), ms(base[2].CPU))

	fmt.Println("| graph | nodes | edges | ours ms wall | ours ms CPU | dot ms wall | dot ms CPU | faster (wall) | faster (CPU) | our crossings | dot crossings | ours/dot | our overlaps |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	var sumOurs, sumDot int
	var ratios []float64
	for _, ng := range graphs {
		g := ng.Graph
		var r sugiyama.Result
		walls := make([]time.Duration, *runs)
		cpu0 := cpuTime()
		for i := range walls {
			start := time.Now()
			r = sugiyama.Layout(g, opt)
			walls[i] = time.Since(start)
		}
		ourCPU := (cpuTime() - cpu0) / time.Duration(*runs)
		slices.Sort(walls)
		ourWall := walls[len(walls)/2]
		oc := sugiyama.Crossings(g, r)

		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		dr, dt, err := sugiyamatest.Dot(ctx, g, opt)
		cancel()
		row := []string{ng.Name, strconv.Itoa(len(g.Nodes)), strconv.Itoa(len(g.Edges)),
			fmt.Sprintf("%.3f", ms(ourWall)), fmt.Sprintf("%.3f", ms(ourCPU))}
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			row = append(row, fmt.Sprintf("> %.0f (timed out)", ms(*timeout)), "n/a",
				fmt.Sprintf("> %.0fx", timeout.Seconds()/ourWall.Seconds()), "n/a", strconv.Itoa(oc), "n/a", "n/a")
		case err != nil:
			fmt.Fprintln(os.Stderr, "layoutbench:", ng.Name, err)
			os.Exit(1)
		default:
			dc := sugiyama.Crossings(g, dr)
			sumOurs += oc
			sumDot += dc
			ratio := "-"
			if dc > 0 {
				ratios = append(ratios, float64(oc)/float64(dc))
				ratio = fmt.Sprintf("%.3f", float64(oc)/float64(dc))
			}
			row = append(row, fmt.Sprintf("%.1f", ms(dt.Wall)), fmt.Sprintf("%.1f", ms(dt.CPU)),
				fmt.Sprintf("%.0fx", dt.Wall.Seconds()/ourWall.Seconds()),
				fmt.Sprintf("%.1fx", dt.CPU.Seconds()/max(ourCPU.Seconds(), 1e-9)),
				strconv.Itoa(oc), strconv.Itoa(dc), ratio)
		}
		row = append(row, strconv.Itoa(sugiyama.Overlaps(g, r)))
		fmt.Println("| " + strings.Join(row, " | ") + " |")
	}
	mean := 0.0
	for _, x := range ratios {
		mean += x
	}
	if len(ratios) > 0 {
		mean /= float64(len(ratios))
	}
	fmt.Printf("\nOur crossings / dot's over the graphs dot finished: mean of the per-graph ratios %.3f (%d graphs with dot > 0); totals %d / %d = %.3f.\n",
		mean, len(ratios), sumOurs, sumDot, float64(sumOurs)/float64(max(sumDot, 1)))
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
