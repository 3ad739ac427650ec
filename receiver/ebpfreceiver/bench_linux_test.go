//go:build linux && amd64

package ebpfreceiver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

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
// keep-alive connection without and with the receiver attached, in
// alternating rounds of the same run, and reports both medians and the
// difference (added-p50-ns).
func BenchmarkRequestLatency(b *testing.B) {
	targettest.RequireBPF(b)
	tg := targettest.Start(b, targettest.Build(b, "frontend", false))
	cfg := &Config{Names: []string{"frontend"}, RingBufferSize: 1 << 22, MaxBatch: 1024, FlushInterval: 100 * time.Millisecond, ClockRefresh: time.Minute}
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	url := tg.URL + "/hello"
	for range 200 { // warm up the connection and the target
		get(b, c, url)
	}
	const rounds = 5
	perRound := max(b.N/rounds, 200)
	var off, on []float64
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
		h := startReceiver(b, cfg)
		measure(&on)
		h.rcv.Shutdown(context.Background())
	}
	b.StopTimer()
	p50off, p50on := median(off), median(on)
	b.ReportMetric(p50off, "p50-detached-ns")
	b.ReportMetric(p50on, "p50-attached-ns")
	b.ReportMetric(p50on-p50off, "added-p50-ns")
	b.ReportMetric(percentile(on, 0.99)-percentile(off, 0.99), "added-p99-ns")
}

func median(v []float64) float64 { return percentile(v, 0.5) }

func percentile(v []float64, q float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

// BenchmarkEventThroughput has the target call a traced function in a tight
// loop and reports how many events per second became spans, with the ring
// buffer large enough that none is lost, and the lost count (lost-events)
// which must be 0.
func BenchmarkEventThroughput(b *testing.B) {
	targettest.RequireBPF(b)
	tg := targettest.Start(b, targettest.Build(b, "frontend", false))
	h := startReceiver(b, &Config{Names: []string{"frontend"}, Functions: []string{"main.tick"}, RingBufferSize: 1 << 26, MaxBatch: 8192, FlushInterval: 50 * time.Millisecond, ClockRefresh: time.Minute})
	n := max(b.N, 100_000)
	b.ResetTimer()
	st := time.Now()
	get(b, http.DefaultClient, fmt.Sprintf("%s/burst?n=%d", tg.URL, n))
	want := n + 1 // the ticks and the request
	deadline := time.Now().Add(60 * time.Second)
	for h.sink.SpanCount()+int(h.metric(b, "tracemap_ebpf_lost_events")) < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	el := time.Since(st)
	b.StopTimer()
	b.ReportMetric(float64(h.sink.SpanCount())/el.Seconds(), "spans/s")
	b.ReportMetric(float64(h.metric(b, "tracemap_ebpf_lost_events")), "lost-events")
	b.ReportMetric(float64(want-h.sink.SpanCount()), "missing-spans")
}

// BenchmarkOverload sends the same burst into a 16 KiB ring buffer: most
// events are lost, and every one is counted (received + lost = sent).
func BenchmarkOverload(b *testing.B) {
	targettest.RequireBPF(b)
	tg := targettest.Start(b, targettest.Build(b, "frontend", false))
	h := startReceiver(b, &Config{Names: []string{"frontend"}, Functions: []string{"main.tick"}, RingBufferSize: 1 << 14, MaxBatch: 8192, FlushInterval: 50 * time.Millisecond, ClockRefresh: time.Minute})
	n := max(b.N, 100_000)
	b.ResetTimer()
	get(b, http.DefaultClient, fmt.Sprintf("%s/burst?n=%d", tg.URL, n))
	want := n + 1
	deadline := time.Now().Add(30 * time.Second)
	for h.sink.SpanCount()+int(h.metric(b, "tracemap_ebpf_lost_events")) < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	lost := h.metric(b, "tracemap_ebpf_lost_events")
	b.ReportMetric(float64(n), "events-sent")
	b.ReportMetric(float64(h.sink.SpanCount()), "spans")
	b.ReportMetric(float64(lost), "lost-events")
	b.ReportMetric(float64(want-h.sink.SpanCount()-int(lost)), "unaccounted")
}
