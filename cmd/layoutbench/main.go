// Command layoutbench lays out the same graphs with package sugiyama and
// with Graphviz dot in one run and prints, per graph, both wall times and
// both crossing counts (counted by sugiyama.Crossings on each drawing) as a
// Markdown table.
//
//	go run ./cmd/layoutbench -sizes 20,100,1000,5000 -dot-timeout 300s
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
	"time"

	"github.com/tracemap/tracemap/internal/sugiyama"
	"github.com/tracemap/tracemap/internal/sugiyama/sugiyamatest"
)

func main() {
	sizes := flag.String("sizes", "20,100,1000,5000", "node counts of the random layered DAGs")
	timeout := flag.Duration("dot-timeout", 5*time.Minute, "limit for one dot run")
	runs := flag.Int("runs", 5, "our layout runs per graph (the median is reported)")
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
	graphs := append(sugiyamatest.RandomDAGs(ns...), sugiyamatest.ServiceGraphs()...)
	opt := sugiyama.DefaultOptions()

	fmt.Println("| graph | nodes | edges | ours ms | dot ms | speed-up | our crossings | dot crossings | ratio | our overlaps |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	var sumOurs, sumDot int
	var ratios []float64
	for _, ng := range graphs {
		g := ng.Graph
		var r sugiyama.Result
		times := make([]time.Duration, *runs)
		for i := range times {
			start := time.Now()
			r = sugiyama.Layout(g, opt)
			times[i] = time.Since(start)
		}
		slices.Sort(times)
		ours := times[len(times)/2]
		oc := sugiyama.Crossings(g, r)

		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		dr, dotTime, err := sugiyamatest.Dot(ctx, g, opt)
		cancel()
		dotMS, speed, dc, ratio := "", "", "", ""
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			dotMS = fmt.Sprintf("> %.0f (timed out)", timeout.Seconds()*1000)
			speed = fmt.Sprintf("> %.0fx", timeout.Seconds()/ours.Seconds())
			dc, ratio = "n/a", "n/a"
		case err != nil:
			fmt.Fprintln(os.Stderr, "layoutbench:", ng.Name, err)
			os.Exit(1)
		default:
			c := sugiyama.Crossings(g, dr)
			dotMS = fmt.Sprintf("%.1f", ms(dotTime))
			speed = fmt.Sprintf("%.0fx", dotTime.Seconds()/ours.Seconds())
			dc = strconv.Itoa(c)
			sumOurs += oc
			sumDot += c
			if c > 0 {
				ratios = append(ratios, float64(oc)/float64(c))
				ratio = fmt.Sprintf("%.2f", float64(oc)/float64(c))
			} else {
				ratio = "-"
			}
		}
		fmt.Printf("| %s | %d | %d | %.3f | %s | %s | %d | %s | %s | %d |\n",
			ng.Name, len(g.Nodes), len(g.Edges), ms(ours), dotMS, speed, oc, dc, ratio, sugiyama.Overlaps(g, r))
	}
	mean := 0.0
	for _, x := range ratios {
		mean += x
	}
	if len(ratios) > 0 {
		mean /= float64(len(ratios))
	}
	fmt.Printf("\nGraphs dot finished: our crossings / dot's: mean of per-graph ratios %.3f (%d graphs with dot > 0), total %d / %d.\n",
		mean, len(ratios), sumOurs, sumDot)
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
