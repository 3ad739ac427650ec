// Command loadtest runs the same pre-built OTLP load against two or three
// collector configs in one run, one after the other and in alternating
// rounds, and reports for each: accepted spans, collector CPU seconds (from
// the collector's own otelcol_process_cpu_seconds), spans per CPU-second,
// peak RSS and refused or failed spans. Comparing within one run is what
// makes the figures meaningful on a noisy machine. With -rss-every it also
// records the collector's RSS, its accepted and refused spans and its CPU seconds over time
// (for soaks: -a alone, a long -duration and a -rate).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/loadgen"
)

type run struct {
	config   string
	accepted float64
	refused  float64
	failed   float64 // exporter send failures
	cpu      float64
	rssPeak  int64 // bytes
	sent     loadgen.Result
	series   []sample
}

// sample is the collector's state at one moment of a run.
type sample struct {
	at                time.Duration // since the load started
	rss               int64         // bytes
	accepted, refused float64
	cpu               float64 // the collector's CPU seconds since it started
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
	cfgB := flag.String("b", "", "second collector config (optional)")
	cfgC := flag.String("c", "", "third collector config (optional)")
	duration := flag.Duration("duration", 30*time.Second, "load time per config and round")
	drain := flag.Duration("drain", 6*time.Second, "wait after the load before reading the collector's figures")
	rounds := flag.Int("rounds", 1, "rounds of A then B (then C)")
	together := flag.Bool("together", false, "run the configs' collectors at the same time, each with its own copy of the load, instead of one after the other: a neighbour's load on the machine then falls on all alike (with -rate: the machine must have room for all of them)")
	rssEvery := flag.Duration("rss-every", 0, "also sample RSS, accepted/refused spans and CPU seconds this often (0: off)")
	flag.StringVar(&metricsLevel, "metrics-level", "normal", "the collectors' own telemetry level, for every config that does not set one (normal: the collector's default; detailed makes batch and every exporter queue record sizes, a cost that grows with the pipeline)")
	flag.StringVar(&profileDir, "pprof", "", "directory: add the pprof extension to each config and save a CPU profile of each run there, then a heap profile")
	flag.DurationVar(&profileFor, "pprof-seconds", 30*time.Second, "length of the CPU profile; it starts 5s into the load (-duration must exceed both)")
	flag.Parse()
	if *cfgA == "" {
		fmt.Fprintln(os.Stderr, "loadtest: -a (and optionally -b, -c) name the configs to compare")
		os.Exit(2)
	}
	configs := []string{*cfgA}
	for _, c := range []string{*cfgB, *cfgC} {
		if c != "" {
			configs = append(configs, c)
		}
	}
	var runs []run
	for round := range *rounds {
		rs, err := measure(*distro, configs, s, *duration, *drain, *rssEvery, *together)
		if err != nil {
			fmt.Fprintf(os.Stderr, "loadtest: round %d: %v\n", round+1, err)
			os.Exit(1)
		}
		for _, r := range rs {
			fmt.Fprintf(os.Stderr, "round %d %s: %.0f spans, %.2f CPU-s, %.0f spans/CPU-s\n",
				round+1, r.config, r.accepted, r.cpu, r.spansPerCPU())
		}
		runs = append(runs, rs...)
	}
	report(runs, configs, s, *duration)
}

var (
	profileDir   string
	profileFor   time.Duration
	metricsLevel string
)

// prepare makes a config a collectortest template: every config at the same
// telemetry level (unless it names one), plus pprof when profiling.
func prepare(cfg []byte) (string, error) {
	var m map[string]any
	if err := yaml.Unmarshal(cfg, &m); err != nil {
		return "", err
	}
	svc := submap(m, "service")
	metrics := submap(submap(svc, "telemetry"), "metrics")
	if _, ok := metrics["level"]; !ok {
		metrics["level"] = metricsLevel
	}
	if profileDir != "" {
		submap(m, "extensions")["pprof"] = map[string]any{"endpoint": "PPROF_ENDPOINT"}
		list, _ := svc["extensions"].([]any)
		svc["extensions"] = append(list, "pprof")
	}
	out, err := yaml.Marshal(m)
	if err != nil {
		return "", err
	}
	return strings.Replace(collectortest.Literal(string(out)), "PPROF_ENDPOINT", `{{.Port "pprof"}}`, 1), nil
}

func submap(m map[string]any, key string) map[string]any {
	c, _ := m[key].(map[string]any)
	if c == nil {
		c = map[string]any{}
		m[key] = c
	}
	return c
}

// profile saves a CPU profile of profileFor seconds from 5s into the load,
// then a heap profile (live objects at that moment, still under load), as
// <config>.pprof and <config>.heap.pprof.
func profile(c *collectortest.Collector, cfgPath string) <-chan error {
	done := make(chan error, 1)
	go func() {
		time.Sleep(5 * time.Second)
		addr, err := c.Ports.Port("pprof")
		if err != nil {
			done <- err
			return
		}
		base := filepath.Join(profileDir, strings.TrimSuffix(filepath.Base(cfgPath), filepath.Ext(cfgPath)))
		err = fetchProfile(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(profileFor.Seconds())), base+".pprof")
		if err == nil {
			err = fetchProfile(fmt.Sprintf("http://%s/debug/pprof/heap?gc=1", addr), base+".heap.pprof")
		}
		done <- err
	}()
	return done
}

func fetchProfile(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("pprof: %s", resp.Status)
	}
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// instance is one collector under a config, from launch to its figures.
type instance struct {
	cfgPath      string
	c            *collectortest.Collector
	work         string
	profiled     <-chan error
	stopSampling func() []sample
}

func launch(distro, cfgPath string, rssEvery time.Duration) (*instance, error) {
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, err
	}
	cfg, err := prepare(raw)
	if err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "tracemap-loadtest-")
	if err != nil {
		return nil, err
	}
	c, err := collectortest.Launch(distro, cfg, work)
	if err != nil {
		os.RemoveAll(work)
		return nil, err
	}
	in := &instance{cfgPath: cfgPath, c: c, work: work, profiled: make(<-chan error), stopSampling: func() []sample { return nil }}
	if profileDir != "" {
		in.profiled = profile(c, cfgPath)
	}
	if rssEvery > 0 {
		in.stopSampling = sampleOverTime(c, rssEvery)
	}
	return in, nil
}

// load sends s to the instance for duration.
func (in *instance) load(s loadgen.Sender, duration time.Duration) (loadgen.Result, error) {
	s.Addr = in.c.GRPC
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	return s.Run(ctx)
}

// abort stops a collector whose run failed.
func (in *instance) abort() {
	in.stopSampling()
	in.c.Kill()
	os.RemoveAll(in.work)
}

// finish reads the collector's figures, after the drain, and shuts it down.
func (in *instance) finish(res loadgen.Result) (run, error) {
	defer os.RemoveAll(in.work)
	c := in.c
	if profileDir != "" {
		if err := <-in.profiled; err != nil {
			c.Kill()
			return run{}, fmt.Errorf("cpu profile: %w", err)
		}
	}
	series := in.stopSampling()
	m, err := c.Metrics()
	if err != nil {
		c.Kill()
		return run{}, err
	}
	peak, err := c.PeakRSS()
	if err != nil {
		c.Kill()
		return run{}, err
	}
	if err := c.Shutdown(30 * time.Second); err != nil {
		return run{}, fmt.Errorf("%w\n%s", err, c.LogTail(20))
	}
	return run{
		config:   in.cfgPath,
		accepted: m["otelcol_receiver_accepted_spans"],
		refused:  m["otelcol_receiver_refused_spans"],
		failed:   m["otelcol_exporter_send_failed_spans"],
		cpu:      m["otelcol_process_cpu_seconds"],
		rssPeak:  peak,
		sent:     res,
		series:   series,
	}, nil
}

// measure runs the configs one after the other, or all at once with
// together (each collector gets its own copy of the load at the same time,
// so that a neighbour's load on the machine falls on all of them alike).
func measure(distro string, cfgPaths []string, s loadgen.Sender, duration, drain, rssEvery time.Duration, together bool) ([]run, error) {
	if together {
		return measureAtOnce(distro, cfgPaths, s, duration, drain, rssEvery)
	}
	var runs []run
	for _, p := range cfgPaths {
		r, err := measureAtOnce(distro, []string{p}, s, duration, drain, rssEvery)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r...)
	}
	return runs, nil
}

// measureAtOnce launches a collector per config, loads them all at once,
// and returns their figures.
func measureAtOnce(distro string, cfgPaths []string, s loadgen.Sender, duration, drain, rssEvery time.Duration) ([]run, error) {
	ins := make([]*instance, 0, len(cfgPaths))
	abort := func() {
		for _, in := range ins {
			in.abort()
		}
	}
	for _, p := range cfgPaths {
		in, err := launch(distro, p, rssEvery)
		if err != nil {
			abort()
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		ins = append(ins, in)
	}
	results := make([]loadgen.Result, len(ins))
	errs := make([]error, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() { results[i], errs[i] = in.load(s, duration) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		abort()
		return nil, err
	}
	time.Sleep(drain)
	runs := make([]run, len(ins))
	for i, in := range ins {
		r, err := in.finish(results[i])
		if err != nil {
			for _, rest := range ins[i+1:] {
				rest.abort()
			}
			return nil, fmt.Errorf("%s: %w", in.cfgPath, err)
		}
		runs[i] = r
	}
	return runs, nil
}

// sampleOverTime reads the collector's RSS and its accepted and refused
// spans every interval until the returned function is called, which returns
// the samples.
func sampleOverTime(c *collectortest.Collector, every time.Duration) func() []sample {
	stop, done := make(chan struct{}), make(chan []sample)
	start := time.Now()
	go func() {
		var series []sample
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				done <- series
				return
			case <-tick.C:
			}
			rss, err := c.RSS()
			m, merr := c.Metrics()
			if err != nil || merr != nil {
				continue
			}
			series = append(series, sample{at: time.Since(start), rss: rss,
				accepted: m["otelcol_receiver_accepted_spans"], refused: m["otelcol_receiver_refused_spans"],
				cpu: m["otelcol_process_cpu_seconds"]})
		}
	}()
	return func() []sample {
		close(stop)
		return <-done
	}
}

func report(runs []run, configs []string, s loadgen.Sender, duration time.Duration) {
	rate := "as fast as accepted"
	if s.Rate > 0 {
		rate = fmt.Sprintf("at %.0f spans/s", s.Rate)
	}
	fmt.Printf("Load: %d spans/trace, %d services, depth %d, %.0f%% failing traces, %d workers x %d traces/request, %s, %s per config and round\n\n",
		s.Shape.SpansPerTrace(), s.Shape.Services, s.Shape.Depth, s.Shape.ErrorShare*100, s.Workers, s.TracesPerBatch, rate, duration)
	fmt.Println("| config | round | accepted spans | refused | export failed | CPU s | spans / CPU-s | peak RSS MiB |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for i, r := range runs {
		fmt.Printf("| %s | %d | %.0f | %.0f | %.0f | %.2f | %.0f | %.0f |\n",
			r.config, i/len(configs)+1, r.accepted, r.refused, r.failed, r.cpu, r.spansPerCPU(), float64(r.rssPeak)/(1<<20))
	}
	base := median(runs, 0, len(configs))
	fmt.Printf("\nmedian spans per CPU-second: %s %.0f", configs[0], base)
	for pos := 1; pos < len(configs); pos++ {
		m := median(runs, pos, len(configs))
		fmt.Printf("; %s %.0f (%.2fx)", configs[pos], m, m/base)
	}
	fmt.Println()
	for i, r := range runs {
		if len(r.series) == 0 {
			continue
		}
		fmt.Printf("\nOver time: %s, round %d\n\n| t (s) | RSS MiB | accepted spans | spans/s since last | refused | CPU s | CPU s since last |\n|---|---|---|---|---|---|---|\n", r.config, i/len(configs)+1)
		var prev sample
		for _, p := range r.series {
			dt := (p.at - prev.at).Seconds()
			fmt.Printf("| %.0f | %.0f | %.0f | %.0f | %.0f | %.2f | %.2f |\n", p.at.Seconds(), float64(p.rss)/(1<<20), p.accepted, (p.accepted-prev.accepted)/dt, p.refused, p.cpu, p.cpu-prev.cpu)
			prev = p
		}
	}
}

// median of spans per CPU-second over the runs at position pos of each
// round of n configs.
func median(runs []run, pos, n int) float64 {
	var v []float64
	for i := pos; i < len(runs); i += n {
		v = append(v, runs[i].spansPerCPU())
	}
	slices.Sort(v)
	return v[len(v)/2]
}
