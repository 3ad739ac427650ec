//go:build linux && amd64

package probes

import (
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/gobin"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

// BenchmarkProbeCost splits the latency a request gains from the probes
// into the uprobe traps themselves (an empty program at the same points:
// every point the receiver plans for the program, goroutine tracking
// included, of which a GET /hello hits ServeHTTP's entry and one RET,
// findHandler's RET and newproc1's RET), the traps when the entry probe
// sits on the first instruction (single-stepped), and the real program, in
// alternating rounds of one run. full/empty is the receiver's added cost
// relative to the kernel's own.
func BenchmarkProbeCost(b *testing.B) {
	targettest.RequireBPF(b)
	bin := targettest.Build(b, "shop", false)
	tg := targettest.Start(b, bin)
	p, err := Load(1 << 22)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	go func() { // drain events
		for {
			if _, err := p.Read(); err != nil {
				return
			}
		}
	}()
	gb, err := gobin.Open(bin)
	if err != nil {
		b.Fatal(err)
	}
	defer gb.Close()
	prep, err := Prepare(gb, Options{Goroutines: true})
	if err != nil {
		b.Fatal(err)
	}
	pl := prep.pl
	if err := p.objs.Offsets.Put(uint32(tg.PID), prep.offsets); err != nil {
		b.Fatal(err)
	}
	ex, err := link.OpenExecutable(bin)
	if err != nil {
		b.Fatal(err)
	}
	// The same points but the entry on the function's first instruction,
	// which the kernel single-steps instead of emulating.
	fn, err := gb.Func(ServerFunc)
	if err != nil {
		b.Fatal(err)
	}
	atFirst := append([]uint64{fn.FileOffset}, pl.addrs[1:]...)
	attach := func(prog *ebpf.Program, addrs []uint64) link.Link {
		l, err := ex.UprobeMulti(nil, prog, &link.UprobeMultiOptions{Addresses: addrs, Cookies: pl.cookies, PID: uint32(tg.PID)})
		if err != nil {
			b.Fatal(err)
		}
		return l
	}
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	get := func() float64 {
		st := time.Now()
		resp, err := c.Get(tg.URL + "/hello")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return float64(time.Since(st).Nanoseconds())
	}
	for range 200 {
		get()
	}
	// BPF run statistics: how many probe hits a request makes, and what
	// the real program's work costs per hit.
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		b.Fatal(err)
	}
	defer stats.Close()
	runs := func(prog *ebpf.Program) (uint64, time.Duration) {
		st, err := prog.Stats()
		if err != nil {
			b.Fatal(err)
		}
		return st.RunCount, st.Runtime
	}
	noopRuns0, _ := runs(p.objs.Noop)
	fullRuns0, fullTime0 := runs(p.objs.OnUprobe)
	perRound := max(b.N/5, 200)
	var none, empty, stepped, full []float64
	b.ResetTimer()
	for range 5 {
		for range perRound {
			none = append(none, get())
		}
		l := attach(p.objs.Noop, pl.addrs)
		for range perRound {
			empty = append(empty, get())
		}
		l.Close()
		l = attach(p.objs.Noop, atFirst)
		for range perRound {
			stepped = append(stepped, get())
		}
		l.Close()
		l = attach(p.objs.OnUprobe, pl.addrs)
		for range perRound {
			full = append(full, get())
		}
		l.Close()
	}
	b.StopTimer()
	noopRuns, _ := runs(p.objs.Noop)
	fullRuns, fullTime := runs(p.objs.OnUprobe)
	// The empty program ran at both the emulated and the stepped points.
	b.ReportMetric(float64(noopRuns-noopRuns0)/float64(len(empty)+len(stepped)), "hits/request")
	b.ReportMetric(float64((fullTime-fullTime0).Nanoseconds())/float64(fullRuns-fullRuns0), "bpf-ns/hit")
	med := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
	n := med(none)
	b.ReportMetric(float64(len(pl.addrs)), "probe-points")
	b.ReportMetric(n, "p50-none-ns")
	b.ReportMetric(med(empty)-n, "added-p50-empty-ns")
	b.ReportMetric(med(stepped)-n, "added-p50-empty-entry-stepped-ns")
	b.ReportMetric(med(full)-n, "added-p50-full-ns")
	b.ReportMetric((med(full)-n)/(med(empty)-n), "full/empty")
}
