package heat

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// HdrHistogram reports the highest value equivalent to the recorded one.
// With the default histogram (1µs lowest, 2 significant figures) these are
// the reported values, worked out by hand from the bucket widths: 4ms sits
// in a bucket of 16384ns width, 7ms and 8ms in buckets of 32768ns.
const (
	p4ms   = 4.014079   // 244*16384 + 16383 ns
	p7ms   = 7.012351   // 213*32768 + 32767 ns
	p8ms   = 8.028159   // 244*32768 + 32767 ns
	p100ms = 100.139007 // 190*524288 + 524287 ns
)

func attrs(t *testing.T, m pcommon.Map) map[string]any {
	t.Helper()
	return m.AsRaw()
}

func TestAnnotateExactRatesAndPercentiles(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MinSpans = 8
	tr := NewTracker(cfg, newClock().now)
	spans := append(ms("checkout", "GET /cart", 1, 2, 1, 2, 3, 4, 5, 6, 7, 8),
		ms("payment", "charge", 20, 0, 100, 100, 100, 100)...)
	td := build(spans...)

	res := tr.Annotate(td)
	if res != (Result{Spans: 12, Errors: 2}) {
		t.Fatalf("result = %+v", res)
	}
	got := attrs(t, td.ResourceSpans().At(0).Resource().Attributes())
	want := map[string]any{
		"service.name":        "checkout",
		AttrServiceSpanCount:  int64(8),
		AttrServiceErrorCount: int64(2),
		AttrServiceErrorRate:  0.25,
		// Flat spans: every error is an own error.
		AttrServiceOwnErrorCount: int64(2),
		AttrServiceOwnErrorRate:  0.25,
		AttrServiceP50Ms:         p4ms,
		AttrServiceP90Ms:         p7ms,
		AttrServiceP99Ms:         p8ms,
		AttrServiceHot:           true,
	}
	assertMap(t, "checkout resource", got, want)

	got = attrs(t, td.ResourceSpans().At(1).Resource().Attributes())
	assertMap(t, "payment resource", got, map[string]any{
		"service.name":           "payment",
		AttrServiceSpanCount:     int64(4),
		AttrServiceErrorCount:    int64(0),
		AttrServiceErrorRate:     0.0,
		AttrServiceOwnErrorCount: int64(0),
		AttrServiceOwnErrorRate:  0.0,
		AttrServiceP50Ms:         p100ms,
		AttrServiceP90Ms:         p100ms,
		AttrServiceP99Ms:         p100ms,
		AttrServiceHot:           false,
	})

	span := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(5)
	assertMap(t, "checkout span", attrs(t, span.Attributes()), map[string]any{
		AttrOperationErrorRate:    0.25,
		AttrOperationOwnErrorRate: 0.25,
		AttrOperationP99Ms:        p8ms,
	})

	st, ok := tr.Operation("checkout", "GET /cart")
	if !ok || st != (Stats{Spans: 8, Errors: 2, ErrorRate: 0.25, OwnErrors: 2, OwnErrorRate: 0.25, P50Ms: p4ms, P90Ms: p7ms, P99Ms: p8ms}) {
		t.Fatalf("Operation = %+v, %v", st, ok)
	}
	if !tr.Hot("checkout") || tr.Hot("payment") || tr.Hot("nope") {
		t.Fatal("Hot: want only checkout")
	}
}

func TestHotNeedsMinSpans(t *testing.T) {
	tr := NewTracker(DefaultConfig(), newClock().now) // min_spans 10
	tr.Observe(build(ms("cold", "op", 1, 1, 5)...))
	st, _ := tr.Service("cold")
	if st.ErrorRate != 1 || tr.Hot("cold") {
		t.Fatalf("one failed call must not make a service hot: %+v hot=%v", st, tr.Hot("cold"))
	}
	tr.Observe(build(ms("cold", "op", 10, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1)...))
	if !tr.Hot("cold") { // 1 error in 10 spans = 0.1 >= 0.05
		t.Fatal("want hot at 10 spans with rate 0.1")
	}
}

func TestWindowRotation(t *testing.T) {
	c := newClock()
	tr := NewTracker(DefaultConfig(), c.now) // 60s window, 6 buckets of 10s
	tr.Observe(build(ms("svc", "op", 1, 5, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100)...))
	c.advance(10 * time.Second)
	tr.Observe(build(ms("svc", "op", 1, 0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4)...))

	st, _ := tr.Service("svc")
	if st.Spans != 20 || st.Errors != 5 || st.ErrorRate != 0.25 || st.P50Ms != p4ms || st.P99Ms != p100ms {
		t.Fatalf("both sub-buckets: %+v", st)
	}
	// 59.999s after the first batch it is still in the window.
	c.advance(49*time.Second + 999*time.Millisecond)
	if st, _ := tr.Service("svc"); st.Spans != 20 {
		t.Fatalf("first batch left too early: %+v", st)
	}
	// At 60s its sub-bucket rotates out, and the histogram with it.
	c.advance(time.Millisecond)
	st, _ = tr.Service("svc")
	want := Stats{Spans: 10, Errors: 0, ErrorRate: 0, P50Ms: p4ms, P90Ms: p4ms, P99Ms: p4ms}
	if st != want {
		t.Fatalf("after rotation: %+v, want %+v", st, want)
	}
	if st, _ := tr.Operation("svc", "op"); st != want {
		t.Fatalf("operation after rotation: %+v", st)
	}
	// Recording again reuses the rotated slot correctly.
	tr.Observe(build(ms("svc", "op", 1, 1, 8)...))
	st, _ = tr.Service("svc")
	if st.Spans != 11 || st.Errors != 1 || st.P99Ms != p8ms {
		t.Fatalf("after reuse: %+v", st)
	}
	// The whole window passes: keys are forgotten.
	c.advance(2 * time.Minute)
	if _, ok := tr.Service("svc"); ok || len(tr.Services()) != 0 {
		t.Fatalf("services after the window: %v", tr.Services())
	}
	if k := tr.Keys(); k != (Keys{}) {
		t.Fatalf("keys after the window: %+v", k)
	}
	// The cumulative counts outlive the window.
	if got := totals(tr); !maps.Equal(got, map[string][2]int64{"svc": {21, 6}}) {
		t.Fatalf("totals = %v", got)
	}
}

func totals(tr *Tracker) map[string][2]int64 {
	out := map[string][2]int64{}
	tr.ServiceTotals(func(name string, spans, errors int64) { out[name] = [2]int64{spans, errors} })
	return out
}

func TestRotationSteppedSubBuckets(t *testing.T) {
	c := newClock()
	cfg := DefaultConfig()
	cfg.Window, cfg.Buckets = 3*time.Second, 3
	tr := NewTracker(cfg, c.now)
	for i := range 3 {
		tr.Observe(build(ms("s", "op", 1, 0, slices.Repeat([]int{i + 1}, i+1)...)...))
		c.advance(time.Second)
	}
	// Now the first sub-bucket (1 span) has gone: 2 + 3 spans remain.
	st, _ := tr.Service("s")
	if st.Spans != 5 {
		t.Fatalf("spans = %d, want 5", st.Spans)
	}
	c.advance(time.Second)
	if st, _ := tr.Service("s"); st.Spans != 3 {
		t.Fatalf("spans = %d, want 3", st.Spans)
	}
	// A clock that goes back changes nothing.
	c.advance(-10 * time.Second)
	if st, _ := tr.Service("s"); st.Spans != 3 {
		t.Fatalf("after clock step back: %d", st.Spans)
	}
}

func TestUnknownServiceAndOddDurations(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Histogram.Highest = time.Second
	tr := NewTracker(cfg, newClock().now)
	td := build(sp{Name: "x", ID: 1, Dur: 5 * time.Second})
	bad := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().AppendEmpty()
	bad.SetStartTimestamp(100)
	bad.SetEndTimestamp(50) // end before start
	tr.Observe(td)
	st, ok := tr.Service(UnknownService)
	if !ok || st.Spans != 2 {
		t.Fatalf("unknown_service: %+v %v", st, ok)
	}
	if st.P99Ms < 999 || st.P99Ms > 1010 || st.P50Ms > 0.002 {
		t.Fatalf("clamped durations: %+v", st)
	}
}

func TestInBatchEdges(t *testing.T) {
	tr := NewTracker(DefaultConfig(), newClock().now)
	td := build(
		sp{Service: "frontend", Name: "GET /", ID: 1, Kind: ptrace.SpanKindServer, Dur: 10 * time.Millisecond},
		sp{Service: "frontend", Name: "call checkout", ID: 2, Parent: 1, Kind: ptrace.SpanKindClient, Dur: 8 * time.Millisecond, Err: true},
		sp{Service: "checkout", Name: "POST /buy", ID: 3, Parent: 2, Kind: ptrace.SpanKindServer, Dur: 7 * time.Millisecond},
		sp{Service: "checkout", Name: "work", ID: 4, Parent: 3, Dur: 4 * time.Millisecond},
		sp{Service: "payment", Name: "charge", ID: 5, Parent: 4, Kind: ptrace.SpanKindServer, Dur: 4 * time.Millisecond},
		// Same span ID in another Trace: not a parent of anything here.
		sp{Service: "payment", Name: "charge", Trace: 1, ID: 6, Parent: 2, Kind: ptrace.SpanKindServer, Dur: time.Millisecond},
	)
	tr.Annotate(td)
	if got := tr.Edges(); !slices.Equal(got, []EdgeKey{{"checkout", "payment"}, {"frontend", "checkout"}}) {
		t.Fatalf("edges = %v", got)
	}
	// The caller's client span failed: the call counts as failed.
	st, _ := tr.Edge("frontend", "checkout")
	if st != (Stats{Spans: 1, Errors: 1, ErrorRate: 1, P50Ms: p7ms, P90Ms: p7ms, P99Ms: p7ms}) {
		t.Fatalf("frontend->checkout = %+v", st)
	}
	checkout := td.ResourceSpans().At(1).ScopeSpans().At(0).Spans()
	assertMap(t, "callee span", checkout.At(0).Attributes().AsRaw(), map[string]any{
		AttrOperationErrorRate:    0.0,
		AttrOperationOwnErrorRate: 0.0,
		AttrOperationP99Ms:        p7ms,
		AttrEdgeCalls:             int64(1),
		AttrEdgeErrorRate:         1.0,
		AttrEdgeP99Ms:             p7ms,
	})
	if _, ok := checkout.At(1).Attributes().Get(AttrEdgeCalls); ok {
		t.Fatal("same-service child must not carry edge attributes")
	}
	c := tr.Counters()
	if k := tr.Keys(); c.EdgesInBatch != 2 || c.EdgesAcross != 0 || k.EdgeStore != 6 || k.Waiting != 1 {
		// Every span is remembered; the second trace's payment span waits
		// for its parent.
		t.Fatalf("counters = %+v keys = %+v", c, tr.Keys())
	}
}

func TestEdgeStoreAcrossBatches(t *testing.T) {
	c := newClock()
	tr := NewTracker(DefaultConfig(), c.now) // ttl 2s
	client := sp{Service: "frontend", Name: "call", ID: 1, Kind: ptrace.SpanKindClient, Dur: 9 * time.Millisecond,
		Attrs: map[string]any{"peer.service": "checkout"}}
	server := sp{Service: "checkout", Name: "POST /buy", ID: 2, Parent: 1, Kind: ptrace.SpanKindServer, Dur: 8 * time.Millisecond, Err: true}

	// Caller first, callee in a later batch: the callee is annotated.
	tr.Annotate(build(client))
	if tr.Keys().EdgeStore != 1 {
		t.Fatalf("caller not stored: %+v", tr.Keys())
	}
	c.advance(time.Second)
	td := build(server)
	tr.Annotate(td)
	assertMap(t, "callee", td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().AsRaw(), map[string]any{
		AttrOperationErrorRate:    1.0,
		AttrOperationOwnErrorRate: 1.0,
		AttrOperationP99Ms:        p8ms,
		AttrEdgeCalls:             int64(1),
		AttrEdgeErrorRate:         1.0,
		AttrEdgeP99Ms:             p8ms,
	})

	// Callee first, caller later (another trace): counted when the caller comes.
	client.Trace, server.Trace = 1, 1
	tr.Annotate(build(server))
	tr.Annotate(build(client))
	st, _ := tr.Edge("frontend", "checkout")
	if st.Spans != 2 || st.Errors != 2 {
		t.Fatalf("edge = %+v", st)
	}
	cn := tr.Counters()
	if k := tr.Keys(); cn.EdgesAcross != 2 || cn.VirtualEdges != 0 || k.EdgeStore != 4 || k.Waiting != 0 {
		// Every span stays remembered until its TTL, for fan-out.
		t.Fatalf("counters = %+v keys = %+v", cn, tr.Keys())
	}

	// A caller to an uninstrumented peer becomes a virtual edge on expiry;
	// a callee whose caller never comes is counted as expired.
	tr.Observe(build(
		sp{Service: "checkout", Name: "GET stripe", Trace: 2, ID: 3, Kind: ptrace.SpanKindClient, Dur: 30 * time.Millisecond, Attrs: map[string]any{"server.address": "api.stripe.com"}},
		sp{Service: "checkout", Name: "GET nothing", Trace: 2, ID: 4, Kind: ptrace.SpanKindClient, Dur: 30 * time.Millisecond},
		sp{Service: "orphan", Name: "handle", Trace: 3, ID: 5, Parent: 9, Kind: ptrace.SpanKindServer, Dur: time.Millisecond},
	))
	c.advance(4 * time.Second) // remembered for at least ttl, at most 2×ttl
	cn = tr.Counters()
	if cn.VirtualEdges != 1 || cn.ExpiredCallers != 2 || cn.ExpiredCallees != 1 || tr.Keys().EdgeStore != 0 {
		t.Fatalf("after expiry: %+v keys %+v", cn, tr.Keys())
	}
	if got := tr.Edges(); !slices.Equal(got, []EdgeKey{{"checkout", "api.stripe.com"}, {"frontend", "checkout"}}) {
		t.Fatalf("edges = %v", got)
	}
	if slices.Contains(tr.Services(), "api.stripe.com") {
		t.Fatal("a virtual peer is not a service")
	}
}

func TestEdgeStoreBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.EdgeStore.MaxItems = 2
	tr := NewTracker(cfg, newClock().now)
	var spans []sp
	for i := range 5 {
		spans = append(spans, sp{Service: "a", Name: "call", Trace: byte(i), ID: 1, Kind: ptrace.SpanKindClient})
	}
	tr.Observe(build(spans...))
	if k, c := tr.Keys(), tr.Counters(); k.EdgeStore != 2 || c.EdgeStoreRefused != 3 {
		t.Fatalf("keys %+v counters %+v", k, c)
	}
}

func TestOverflow(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxServices, cfg.MaxOperations, cfg.MaxEdges = 2, 3, 1
	c := newClock()
	tr := NewTracker(cfg, c.now)
	var logged []string
	tr.SetOverflowHandler(func(kind, key string) { logged = append(logged, kind+":"+key) })

	td := build(
		sp{Service: "a", Name: "a1", ID: 1, Kind: ptrace.SpanKindServer},
		sp{Service: "a", Name: "a2", ID: 2, Parent: 1, Kind: ptrace.SpanKindClient},
		sp{Service: "b", Name: "b1", ID: 3, Parent: 2, Kind: ptrace.SpanKindServer},
		sp{Service: "b", Name: "b2", ID: 4, Parent: 3, Kind: ptrace.SpanKindClient},
		sp{Service: "c", Name: "c1", ID: 5, Parent: 4, Kind: ptrace.SpanKindServer, Err: true},
		sp{Service: "d", Name: "d1", ID: 6, Parent: 4, Kind: ptrace.SpanKindServer},
	)
	tr.Annotate(td)
	if got := tr.Services(); !slices.Equal(got, []string{"a", "b", OverflowKey}) {
		t.Fatalf("services = %v", got)
	}
	if st, _ := tr.Service(OverflowKey); st.Spans != 2 || st.Errors != 1 {
		t.Fatalf("overflow service = %+v", st)
	}
	// Operations: a1, a2, b1 fit; b2 and the overflow service's c1, d1 do not.
	if _, ok := tr.Operation("b", "b2"); ok {
		t.Fatal("b2 should have overflowed")
	}
	if st, _ := tr.Operation("b", OverflowKey); st.Spans != 1 {
		t.Fatalf("b overflow op = %+v", st)
	}
	if st, _ := tr.Operation(OverflowKey, OverflowKey); st.Spans != 2 {
		t.Fatalf("overflow service's overflow op = %+v", st)
	}
	// Edges: a->b fits, b->overflow (twice) goes to the overflow edge.
	if got := tr.Edges(); !slices.Equal(got, []EdgeKey{{"a", "b"}, {OverflowKey, OverflowKey}}) {
		t.Fatalf("edges = %v", got)
	}
	if st, _ := tr.Edge(OverflowKey, OverflowKey); st.Spans != 2 || st.Errors != 1 {
		t.Fatalf("overflow edge = %+v", st)
	}
	cn := tr.Counters()
	if cn.ServiceOverflows != 2 || cn.OperationOverflows != 3 || cn.EdgeOverflows != 2 {
		t.Fatalf("counters = %+v", cn)
	}
	if want := []string{"service:c", "operation:b b2", "edge:b -> tracemap.overflow"}; !slices.Equal(logged, want) {
		t.Fatalf("logged %q, want %q", logged, want)
	}
	// An overflowed service says so and carries none of the bucket's
	// values, on its resource or its spans.
	for _, i := range []int{2, 3} {
		rs := td.ResourceSpans().At(i)
		assertMap(t, "overflowed resource", rs.Resource().Attributes().AsRaw(), map[string]any{
			"service.name": rs.Resource().Attributes().AsRaw()["service.name"], AttrServiceOverflow: true})
		if n := rs.ScopeSpans().At(0).Spans().At(0).Attributes().Len(); n != 0 {
			t.Fatalf("overflowed span has %d attributes", n)
		}
	}
	if st, ok := tr.Service("c"); !ok || st != (Stats{Overflow: true}) || tr.Hot("c") {
		t.Fatalf("Service(c) = %+v %v, want only Overflow", st, ok)
	}
	if k := tr.Keys(); k != (Keys{Services: 3, Operations: 5, Edges: 2, EdgeStore: 6}) {
		t.Fatalf("keys = %+v", k)
	}
	// Once the window has passed, new keys fit again; the cumulative counts
	// stay bounded by the same cap, e and f going to the overflow total.
	c.advance(time.Hour)
	tr.Observe(build(sp{Service: "e", Name: "e1", ID: 1}, sp{Service: "f", Name: "f1", ID: 2}))
	if got := tr.Services(); !slices.Equal(got, []string{"e", "f"}) {
		t.Fatalf("services after window = %v", got)
	}
	want := map[string][2]int64{"a": {2, 0}, "b": {2, 0}, OverflowKey: {4, 1}}
	if got := totals(tr); !maps.Equal(got, want) {
		t.Fatalf("totals = %v, want %v", got, want)
	}
}

func TestErrorRules(t *testing.T) {
	spans := []sp{
		{Service: "s", Name: "server 503", ID: 1, Kind: ptrace.SpanKindServer, Attrs: map[string]any{"http.response.status_code": 503}},
		{Service: "s", Name: "server 404", ID: 2, Kind: ptrace.SpanKindServer, Attrs: map[string]any{"http.response.status_code": 404}},
		{Service: "s", Name: "client 404", ID: 3, Kind: ptrace.SpanKindClient, Attrs: map[string]any{"http.status_code": "404"}},
		{Service: "s", Name: "client 200", ID: 4, Kind: ptrace.SpanKindClient, Attrs: map[string]any{"http.response.status_code": 200}},
		{Service: "s", Name: "grpc 14", ID: 5, Kind: ptrace.SpanKindClient, Attrs: map[string]any{"rpc.grpc.status_code": 14}},
		{Service: "s", Name: "grpc str", ID: 6, Kind: ptrace.SpanKindServer, Attrs: map[string]any{"rpc.grpc.status_code": "DEADLINE_EXCEEDED"}},
		{Service: "s", Name: "grpc 5", ID: 7, Kind: ptrace.SpanKindServer, Attrs: map[string]any{"rpc.grpc.status_code": 5}},
		{Service: "s", Name: "status", ID: 8, Err: true},
	}
	for _, tc := range []struct {
		name  string
		rules ErrorConfig
		want  []string
	}{
		{"status only", ErrorConfig{}, []string{"status"}},
		{"http", ErrorConfig{HTTPServer5xx: true, HTTPClient4xx: true}, []string{"server 503", "client 404", "status"}},
		{"grpc", ErrorConfig{GRPCCodes: []string{"unavailable", "DEADLINE_EXCEEDED"}}, []string{"grpc 14", "grpc str", "status"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Errors = tc.rules
			tr := NewTracker(cfg, newClock().now)
			tr.Observe(build(spans...))
			var got []string
			for _, s := range spans {
				if st, _ := tr.Operation("s", s.Name); st.Errors == 1 {
					got = append(got, s.Name)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("errors = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConcurrentAnnotate(t *testing.T) {
	tr := NewTracker(DefaultConfig(), nil)
	const workers, rounds = 4, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				spans := []sp{
					{Service: "front", Name: "GET", Trace: byte(r), ID: 1, Kind: ptrace.SpanKindClient, Err: w == 0},
					{Service: fmt.Sprint("back", w), Name: "serve", Trace: byte(r), ID: 2, Parent: 1, Kind: ptrace.SpanKindServer},
				}
				tr.Annotate(build(spans...))
			}
		}()
	}
	wg.Add(1)
	go func() { // readers, as metric callbacks and the svg exporter are
		defer wg.Done()
		for range rounds {
			tr.Services()
			tr.Edges()
			tr.ServiceStats(func(string, Stats, bool) {})
			tr.Hot("front")
		}
	}()
	wg.Wait()
	st, _ := tr.Service("front")
	if st.Spans != workers*rounds || st.Errors != rounds {
		t.Fatalf("front = %+v", st)
	}
	if c := tr.Counters(); c.Spans != 2*workers*rounds || c.EdgesInBatch != workers*rounds {
		t.Fatalf("counters = %+v", c)
	}
	tr.Close()
	if len(tr.Services()) != 0 {
		t.Fatal("Close must drop the state")
	}
}

func assertMap(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %#v, want %#v", what, k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %s = %#v", what, k, got[k])
		}
	}
}

func TestPercentileRefreshBound(t *testing.T) {
	tr := NewTracker(DefaultConfig(), newClock().now)
	fast := make([]int, 250)
	for i := range fast {
		fast[i] = 4
	}
	for range 4 { // 1000 spans of 4ms
		tr.Observe(build(ms("s", "op", 1, 0, fast...)...))
	}
	if st, _ := tr.Service("s"); st.P99Ms != p4ms {
		t.Fatalf("p99 = %v", st.P99Ms)
	}
	// 15 slow spans are under 1/64 of the window: percentiles stay cached.
	tr.Observe(build(ms("s", "op", 1, 0, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100)...))
	if st, _ := tr.Service("s"); st.Spans != 1015 || st.P99Ms != p4ms {
		t.Fatalf("within the refresh bound: %+v", st)
	}
	// The 16th reaches it (16*64 >= 1016): recomputed, p99 now slow.
	tr.Observe(build(ms("s", "op", 1, 0, 100)...))
	if st, _ := tr.Service("s"); st.P99Ms != p100ms {
		t.Fatalf("after the refresh bound: %+v", st)
	}
}

func TestOddBatches(t *testing.T) {
	tr := NewTracker(DefaultConfig(), newClock().now)
	tr.Observe(ptrace.NewTraces())
	td := ptrace.NewTraces()
	td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty() // no spans
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	self := ss.AppendEmpty() // its own parent
	self.SetSpanID(pcommon.SpanID{1})
	self.SetParentSpanID(pcommon.SpanID{1})
	self.SetKind(ptrace.SpanKindServer)
	dup := ss.AppendEmpty() // same ID again, empty trace ID, client without peer
	dup.SetSpanID(pcommon.SpanID{1})
	dup.SetKind(ptrace.SpanKindClient)
	res := tr.Annotate(td)
	if res.Spans != 2 || len(tr.Edges()) != 0 || tr.Keys().EdgeStore != 0 {
		t.Fatalf("res %+v edges %v keys %+v", res, tr.Edges(), tr.Keys())
	}
	if st, _ := tr.Service(UnknownService); st.Spans != 2 {
		t.Fatalf("unknown_service = %+v", st)
	}
	// Observe leaves the data alone.
	td2 := build(ms("s", "op", 1, 0, 1)...)
	tr.Observe(td2)
	if n := td2.ResourceSpans().At(0).Resource().Attributes().Len(); n != 1 {
		t.Fatalf("Observe wrote attributes: %d", n)
	}
}

// Span IDs need only be unique within a trace: the same IDs in other traces
// of the batch must not hide or fake a parent.
func TestEdgesWithSpanIDsRepeatedAcrossTraces(t *testing.T) {
	tr := NewTracker(DefaultConfig(), newClock().now)
	var spans []sp
	for trace := range byte(3) {
		spans = append(spans,
			sp{Service: "a", Name: "call", Trace: trace, ID: 1, Kind: ptrace.SpanKindClient},
			sp{Service: "b", Name: "serve", Trace: trace, ID: 2, Parent: 1, Kind: ptrace.SpanKindServer})
	}
	tr.Observe(build(spans...))
	if st, _ := tr.Edge("a", "b"); st.Spans != 3 {
		t.Fatalf("a->b calls = %d, want 3", st.Spans)
	}
	if k := tr.Keys(); k.Waiting != 0 || k.EdgeStore != 6 {
		t.Fatalf("6 spans remembered, none waiting: %+v", k)
	}
}

// A service's window loses exactly its operations' expiring values: the
// service keeps no sub-bucket histograms of its own.
func TestServiceRotationAcrossOperations(t *testing.T) {
	c := newClock()
	tr := NewTracker(DefaultConfig(), c.now)
	tr.Observe(build(append(ms("s", "slow", 1, 3, 100, 100, 100, 100, 100), ms("s", "fast", 10, 0, 4, 4, 4, 4, 4)...)...))
	c.advance(10 * time.Second)
	late := build(append(ms("s", "fast", 20, 1, 8, 8, 8), ms("s", "other", 30, 0, 2)...)...)
	tr.Observe(late)
	if st, _ := tr.Service("s"); st.Spans != 14 || st.Errors != 4 || st.P99Ms != p100ms {
		t.Fatalf("before rotation: %+v", st)
	}
	c.advance(50 * time.Second) // the first sub-bucket leaves
	got, _ := tr.Service("s")
	ref := NewTracker(DefaultConfig(), newClock().now)
	ref.Observe(late)
	want, _ := ref.Service("s")
	if got != want || got.Spans != 4 || got.Errors != 1 || got.P99Ms != p8ms {
		t.Fatalf("after rotation: %+v, want %+v", got, want)
	}
	if _, ok := tr.Operation("s", "slow"); ok {
		t.Fatal("slow has no span left in the window")
	}
}

// A busy key records a random sample of its durations: counts and error
// rates stay exact, percentiles hold, and far fewer values are written.
func TestBusyKeysSampleDurations(t *testing.T) {
	tr := NewTracker(DefaultConfig(), newClock().now)
	durs := make([]int, 1000)
	for i := range durs {
		durs[i] = 4
		if i%20 == 0 {
			durs[i] = 100 // 5% slow, with a period
		}
	}
	for range 100 { // 100,000 spans, 10% of them errors
		tr.Observe(build(ms("s", "op", 1, 100, durs...)...))
	}
	st, _ := tr.Service("s")
	if st.Spans != 100_000 || st.Errors != 10_000 || st.ErrorRate != 0.1 {
		t.Fatalf("counts must stay exact: %+v", st)
	}
	if st.P50Ms != p4ms || st.P90Ms != p4ms || st.P99Ms != p100ms {
		t.Fatalf("percentiles = %v %v %v", st.P50Ms, st.P90Ms, st.P99Ms)
	}
	tr.mu.Lock()
	svc, op := tr.services["s"], tr.services["s"].ops["op"]
	svc.fold(&tr.pool) // durations still pending are not in the histograms yet
	op.fold(&tr.pool)
	recorded := svc.window.TotalCount()
	tr.mu.Unlock()
	// Weights make the histogram's count an estimate of the spans; the
	// writes were far fewer: stride 16 at 100,000 spans in the window.
	if recorded < 90_000 || recorded > 110_000 || op.window.TotalCount() != recorded {
		t.Fatalf("weighted count %d (operation %d), want about 100000", recorded, op.window.TotalCount())
	}
}

// The sampled p99 of a busy key stays close to the exact one: durations
// spread evenly over 1..1000 ms (in a scrambled order), 200,000 of them.
func TestBusyKeyPercentileAccuracy(t *testing.T) {
	tr := NewTracker(DefaultConfig(), newClock().now)
	durs := make([]int, 1000)
	for b := range 200 {
		for i := range durs {
			durs[i] = 1 + (i*7919+b*104729)%1000
		}
		tr.Observe(build(ms("s", "op", 0, 0, durs...)...))
	}
	st, _ := tr.Operation("s", "op")
	// Exact: 990 ms. Sampling moves the rank by at most 0.62 points at 4σ
	// (984-996 ms); HdrHistogram's 2 significant figures report the top
	// of a bucket up to 1% above.
	if st.Spans != 200_000 || st.P99Ms < 983 || st.P99Ms > 1006 || st.P50Ms < 480 || st.P50Ms > 525 {
		t.Fatalf("spans %d, p50 %v ms, p99 %v ms", st.Spans, st.P50Ms, st.P99Ms)
	}
}

// Rotation rebuilds the window histograms from what is left: after every
// sub-bucket, a service's and its operations' percentiles are those of a
// histogram of exactly the spans of the last six sub-buckets.
func TestRotationKeepsWindowHistogramsExact(t *testing.T) {
	cfg := DefaultConfig()
	c := newClock()
	tr := NewTracker(cfg, c.now)
	var steps [][2][]int // per step, the durations of operations a and b
	for step := range 15 {
		var durs [2][]int
		for op := range 2 {
			for i := range 5 + step%4 {
				durs[op] = append(durs[op], 1+(step*37+op*11+i*7)%50)
			}
		}
		steps = append(steps, durs)
		spans := append(ms("s", "a", 0, 0, durs[0]...), ms("s", "b", 100, 0, durs[1]...)...)
		for i := range spans {
			spans[i].Trace = byte(step) // a trace of its own: not a repeat
		}
		tr.Observe(build(spans...))
		pool := histPool{cfg: cfg.Histogram} // the histograms the tracker makes
		want := map[string]*hdr.Histogram{"": pool.get(), "a": pool.get(), "b": pool.get()}
		for _, d := range steps[max(0, step-cfg.Buckets+1):] {
			for op, name := range []string{"a", "b"} {
				for _, ms := range d[op] {
					v := int64(ms) * 1e6
					_ = want[name].RecordValue(v)
					_ = want[""].RecordValue(v)
				}
			}
		}
		for name, h := range want {
			st, _ := tr.Service("s")
			if name != "" {
				st, _ = tr.Operation("s", name)
			}
			if st.Spans != h.TotalCount() || st.P50Ms != pct(h, 50) || st.P90Ms != pct(h, 90) || st.P99Ms != pct(h, 99) {
				t.Fatalf("step %d, %q: %+v, want %d spans, p50 %v p90 %v p99 %v", step, name, st, h.TotalCount(), pct(h, 50), pct(h, 90), pct(h, 99))
			}
		}
		c.advance(cfg.Window / time.Duration(cfg.Buckets))
	}
}

func pct(h *hdr.Histogram, q float64) float64 { return float64(h.ValueAtQuantile(q)) / 1e6 }
