// Command loadtest runs the same pre-built OTLP load against two collector
// configs in one run, one after the other and in alternating rounds, and
// reports for each: accepted spans, collector CPU seconds (from the
// collector's own otelcol_process_cpu_seconds), spans per CPU-second, peak
// RSS and refused or failed spans. Comparing within one run is what makes
// the figures meaningful on a noisy machine.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tracemap/tracemap/internal/collectortest"
	"github.com/tracemap/tracemap/internal/loadgen"
)

type run struct {
	config   string
	accepted float64
	refused  float64
	failed   float64 // exporter send failures
	cpu      float64
	rssPeak  int64 // bytes
	sent     loadgen.Result
}

func (r run) spansPerCPU() float64 {
	if r.cpu == 0 {
		return 0
	}
	return r.accepted / r.cpu
}

func main() {
	var s loadgen.Sender
	s.RegisterFlags(flag.CommandLine)
	distro := flag.String("distro", "distro/otelcol-tracemap", "collector binary")
	cfgA := flag.String("a", "", "first collector config (the baseline)")
	cfgB := flag.String("b", "", "second collector config")
	duration := flag.Duration("duration", 30*time.Second, "load time per config and round")
	drain := flag.Duration("drain", 6*time.Second, "wait after the load before reading the collector's figures")
	rounds := flag.Int("rounds", 1, "rounds of A then B")
	flag.Parse()
	if *cfgA == "" || *cfgB == "" {
		fmt.Fprintln(os.Stderr, "loadtest: -a and -b name the two configs to compare")
		os.Exit(2)
	}
	var runs []run
	for round := range *rounds {
		for _, cfg := range []string{*cfgA, *cfgB} {
			r, err := measure(*distro, cfg, s, *duration, *drain)
			if err != nil {
				fmt.Fprintf(os.Stderr, "loadtest: %s (round %d): %v\n", cfg, round+1, err)
				os.Exit(1)
			}
			runs = append(runs, r)
			fmt.Fprintf(os.Stderr, "round %d %s: %.0f spans, %.2f CPU-s, %.0f spans/CPU-s\n",
				round+1, cfg, r.accepted, r.cpu, r.spansPerCPU())
		}
	}
	report(runs, *cfgA, *cfgB, s, *duration)
}

func measure(distro, cfgPath string, s loadgen.Sender, duration, drain time.Duration) (run, error) {
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		return run{}, err
	}
	work, err := os.MkdirTemp("", "tracemap-loadtest-")
	if err != nil {
		return run{}, err
	}
	defer os.RemoveAll(work)
	c, err := collectortest.Launch(distro, collectortest.Literal(string(cfg)), work)
	if err != nil {
		return run{}, err
	}
	s.Addr = c.GRPC
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	res, err := s.Run(ctx)
	cancel()
	if err != nil {
		c.Kill()
		return run{}, err
	}
	time.Sleep(drain)
	m, err := c.Metrics()
	if err != nil {
		c.Kill()
		return run{}, err
	}
	peak, err := peakRSS(c.PID())
	if err != nil {
		c.Kill()
		return run{}, err
	}
	if err := c.Shutdown(30 * time.Second); err != nil {
		return run{}, fmt.Errorf("%w\n%s", err, c.LogTail(20))
	}
	return run{
		config:   cfgPath,
		accepted: m["otelcol_receiver_accepted_spans"],
		refused:  m["otelcol_receiver_refused_spans"],
		failed:   m["otelcol_exporter_send_failed_spans"],
		cpu:      m["otelcol_process_cpu_seconds"],
		rssPeak:  peak,
		sent:     res,
	}, nil
}

// peakRSS reads the kernel's high-water mark of the process's resident set.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for pid %d", pid)
}

func report(runs []run, cfgA, cfgB string, s loadgen.Sender, duration time.Duration) {
	fmt.Printf("Load: %d spans/trace, %d services, depth %d, %.0f%% failing traces, %d workers x %d traces/request, %s per config and round\n\n",
		s.Shape.SpansPerTrace(), s.Shape.Services, s.Shape.Depth, s.Shape.ErrorShare*100, s.Workers, s.TracesPerBatch, duration)
	fmt.Println("| config | round | accepted spans | refused | export failed | CPU s | spans / CPU-s | peak RSS MiB |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for i, r := range runs {
		fmt.Printf("| %s | %d | %.0f | %.0f | %.0f | %.2f | %.0f | %.0f |\n",
			r.config, i/2+1, r.accepted, r.refused, r.failed, r.cpu, r.spansPerCPU(), float64(r.rssPeak)/(1<<20))
	}
	a, b := median(runs, 0), median(runs, 1)
	fmt.Printf("\nmedian spans per CPU-second: %s %.0f, %s %.0f; ratio b/a = %.2f\n", cfgA, a, cfgB, b, b/a)
}

// median of spans per CPU-second over the runs at position pos of each round.
func median(runs []run, pos int) float64 {
	var v []float64
	for i := pos; i < len(runs); i += 2 {
		v = append(v, runs[i].spansPerCPU())
	}
	slices.Sort(v)
	return v[len(v)/2]
}
