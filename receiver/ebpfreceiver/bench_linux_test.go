//go:build linux && amd64

package ebpfreceiver

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/gobin"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/probes"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

func get(tb testing.TB, c *http.Client, url string) {
	resp, err := c.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// BenchmarkRequestLatency measures the target's request latency over one
// keep-alive connection in alternating rounds of one run: detached, with
// an empty BPF program at every point the receiver probes (the kernel's
// uprobe traps alone), and with the receiver attached. It reports the
// medians, what each adds, and their ratio (receiver/traps; the target is
// at most 1.5): with goroutine tracking (server probes, findHandler and
// newproc1, which net/http's background read hits once per request) and
// without it.
func BenchmarkRequestLatency(b *testing.B) {
	targettest.RequireBPF(b)
	bin := targettest.Build(b, "frontend", false)
	tg := targettest.Start(b, bin)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	url := tg.URL + "/hello"
	for range 200 { // warm up the connection and the target
		get(b, c, url)
	}
	for _, goroutines := range []bool{true, false} {
		b.Run(fmt.Sprintf("goroutines=%v", goroutines), func(b *testing.B) {
			cfg := testConfig(Config{Names: []string{"frontend"}, FlushInterval: 100 * time.Millisecond})
			cfg.Goroutines = goroutines
			traps := trapsOnly(b, tg.PID, bin, probes.Options{Goroutines: goroutines})
			const rounds = 5
			perRound := max(b.N/rounds, 200)
			var off, trapped, on []float64
			measure := func(into *[]float64) {
				for range perRound {
					st := time.Now()
					get(b, c, url)
					*into = append(*into, float64(time.Since(st).Nanoseconds()))
				}
			}
			b.ResetTimer()
			for range rounds {
				measure(&off)
				traps(func() { measure(&trapped) })
				h := startReceiver(b, cfg)
				measure(&on)
				h.rcv.Shutdown(context.Background())
			}
			b.StopTimer()
			p50off := median(off)
			b.ReportMetric(p50off, "p50-detached-ns")
			b.ReportMetric(median(on), "p50-attached-ns")
			b.ReportMetric(median(trapped)-p50off, "traps-p50-ns")
			b.ReportMetric(median(on)-p50off, "added-p50-ns")
			b.ReportMetric((median(on)-p50off)/(median(trapped)-p50off), "added/traps")
			b.ReportMetric(percentile(on, 0.99)-percentile(off, 0.99), "added-p99-ns")
		})
	}
}

// trapsOnly returns a function that runs f with an empty BPF program at
// every point the receiver would probe in process pid.
func trapsOnly(b *testing.B, pid int, bin string, opts probes.Options) func(f func()) {
	p, err := probes.Load(1 << 16)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	gb, err := gobin.Open(bin)
	if err != nil {
		b.Fatal(err)
	}
	defer gb.Close()
	prep, err := probes.Prepare(gb, opts)
	if err != nil {
		b.Fatal(err)
	}
	return func(f func()) {
		proc, err := p.AttachTrapsOnly(pid, prep)
		if err != nil {
			b.Fatal(err)
		}
		f()
		proc.Close()
	}
}

func median(v []float64) float64 { return percentile(v, 0.5) }

func percentile(v []float64, q float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

// burst has the target call main.tick n times in one request, with the
// receiver's ring buffer of ringBytes, and waits until every event became a
// span or was counted lost or shed. It returns spans, lost and shed events
// and the time from the request until then.
func burst(b *testing.B, ringBytes, n int) (spans, lost, shed int, took time.Duration) {
	targettest.RequireBPF(b)
	tg := targettest.Start(b, targettest.Build(b, "frontend", false))
	h := startReceiver(b, testConfig(Config{Names: []string{"frontend"}, Functions: []string{"main.tick"}, RingBufferSize: ringBytes, MaxBatch: 8192, FlushInterval: 50 * time.Millisecond}))
	b.ResetTimer()
	st := time.Now()
	get(b, http.DefaultClient, fmt.Sprintf("%s/burst?n=%d", tg.URL, n))
	want := n + 1 // the ticks and the request
	deadline := time.Now().Add(60 * time.Second)
	lostSpans := func() int {
		return int(h.metricWhere(b, "otelcol_receiver_ebpf_lost_events", "cause", causeRingBufferFull))
	}
	shedSpans := func() int { return int(h.metric(b, "otelcol_receiver_ebpf_shed_spans")) }
	for h.sink.SpanCount()+lostSpans()+shedSpans() < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	took = time.Since(st)
	b.StopTimer()
	return h.sink.SpanCount(), lostSpans(), shedSpans(), took
}

// BenchmarkEventThroughput reports how many events per second became spans
// with the ring buffer large enough that none is lost (lost-events must be 0).
func BenchmarkEventThroughput(b *testing.B) {
	n := max(b.N, 100_000)
	spans, lost, _, took := burst(b, 1<<26, n)
	b.ReportMetric(float64(spans)/took.Seconds(), "spans/s")
	b.ReportMetric(float64(lost), "lost-events")
	b.ReportMetric(float64(n+1-spans), "missing-spans")
}

// BenchmarkOverload sends the same burst into a 16 KiB ring buffer: many
// events are lost or shed, and every one is counted (received + lost + shed
// = sent).
func BenchmarkOverload(b *testing.B) {
	n := max(b.N, 100_000)
	spans, lost, shed, _ := burst(b, 1<<14, n)
	b.ReportMetric(float64(n), "events-sent")
	b.ReportMetric(float64(spans), "spans")
	b.ReportMetric(float64(lost), "lost-events")
	b.ReportMetric(float64(shed), "shed-spans")
	b.ReportMetric(float64(n+1-spans-lost-shed), "unaccounted")
}

// BenchmarkSpanBuild measures the user-space side alone: turning decoded
// server-span events into pdata, the receiver's cost per event.
func BenchmarkSpanBuild(b *testing.B) {
	r := offlineReceiver(b, testConfig(Config{Names: []string{"x"}, MaxBatch: 1 << 30}), new(consumertest.TracesSink))
	ev := &probes.Span{
		PID: 7, Start: 1000, End: 2000, Kind: probes.KindServer, Status: 200, Flags: probes.FlagHasTuple,
		Local: netip.MustParseAddrPort("127.0.0.1:8080"), Remote: netip.MustParseAddrPort("127.0.0.1:50000"),
		Method: "GET", Path: "/users/42", Route: "GET /users/{id}", Host: "127.0.0.1:8080",
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ev.SpanID[0] = byte(i)
		r.add(ev)
		if i%1024 == 1023 {
			r.resetPending()
		}
	}
}

// BenchmarkStitchAccuracy sends max(b.N, 500) frontend -> backend requests,
// 50 at a time, and reports the share of traces stitched exactly right
// across the two processes (stitched-ratio, 1 is all) and the spans lost.
func BenchmarkStitchAccuracy(b *testing.B) {
	targettest.RequireBPF(b)
	back := targettest.Start(b, targettest.Build(b, "backend", false))
	front := targettest.Start(b, targettest.Build(b, "frontend", false), "-backend", back.URL)
	h := startReceiver(b, testConfig(Config{Names: []string{"frontend", "backend"}, RingBufferSize: 1 << 24, MaxBatch: 4096}))
	n := max(b.N, 500)
	b.ResetTimer()
	fanOut(b, front.URL, n, 50)
	spans := h.wait(b, 3*n)
	b.StopTimer()
	traces, correct := stitched(spans)
	b.ReportMetric(float64(correct)/float64(n), "stitched-ratio")
	b.ReportMetric(float64(traces), "traces")
	b.ReportMetric(float64(3*n-len(spans)), "missing-spans")
}

// churnProgram is the testdata program BenchmarkAttachChurn starts and
// stops.
var churnProgram = flag.String("ebpf.churn", "rpc", "testdata program BenchmarkAttachChurn starts and stops: rpc (17 MB) or bloat (66 MB, cloud SDKs linked in)")

// BenchmarkAttachChurn sends 40,000 requests, 4 at a time, to a traced
// program while 4 more processes (-ebpf.churn: testdata/rpc, a 17 MB gRPC
// program whose DWARF takes a while to read, or the 66 MB testdata/bloat;
// started through nohup) start, are attached, and exit, one after the
// other. It reports the events lost
// (every cause), the requests that produced no span, and how many of the
// attaches and exits happened while the load ran.
func BenchmarkAttachChurn(b *testing.B) {
	targettest.RequireBPF(b)
	const requests, parallel, churn = 40_000, 4, 4
	front := targettest.Start(b, targettest.Build(b, "frontend", false))
	churnBin := targettest.BuildProgram(b, *churnProgram, "churn", false)
	nohup, err := exec.LookPath("nohup")
	if err != nil {
		b.Fatal(err)
	}
	h := startReceiver(b, testConfig(Config{Names: []string{"frontend", "churn"}, FlushInterval: 200 * time.Millisecond}))
	attached := func() int64 { return h.metric(b, "otelcol_receiver_ebpf_attached_processes") }
	b.ResetTimer()
	st := time.Now()
	loadDone := make(chan struct{})
	var during atomic.Int64
	churned := make(chan struct{})
	go func() {
		defer close(churned)
		for range churn {
			tg := targettest.Start(b, nohup, churnBin)
			for attached() < 2 {
				time.Sleep(time.Millisecond)
			}
			get(b, http.DefaultClient, tg.URL+"/hello")
			tg.Stop()
			for attached() > 1 {
				time.Sleep(time.Millisecond)
			}
			select {
			case <-loadDone:
			default:
				during.Add(1)
			}
		}
	}()
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			for next.Add(1) <= requests {
				get(b, c, front.URL+"/hello")
			}
		}()
	}
	wg.Wait()
	close(loadDone)
	took := time.Since(st)
	<-churned
	want := requests + churn
	deadline := time.Now().Add(30 * time.Second)
	for h.sink.SpanCount() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	b.StopTimer()
	h.rcv.Shutdown(context.Background())
	b.ReportMetric(float64(requests)/took.Seconds(), "requests/s")
	b.ReportMetric(float64(during.Load()), "attach+exit-during-load")
	b.ReportMetric(float64(h.metric(b, "otelcol_receiver_ebpf_lost_events")), "lost-events")
	b.ReportMetric(float64(want-h.sink.SpanCount()), "missing-spans")
	b.ReportMetric(float64(h.metric(b, "otelcol_receiver_ebpf_attach_errors")), "attach-errors")
}
