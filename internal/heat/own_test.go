package heat

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

const (
	srv = ptrace.SpanKindServer
	cli = ptrace.SpanKindClient
)

// stat reads a service, operation or edge and fails when it is not tracked.
func svcStat(t *testing.T, tr *Tracker, name string) Stats {
	t.Helper()
	st, ok := tr.Service(name)
	if !ok {
		t.Fatalf("service %s not tracked", name)
	}
	return st
}

func edgeStat(t *testing.T, tr *Tracker, caller, callee string) Stats {
	t.Helper()
	st, ok := tr.Edge(caller, callee)
	if !ok {
		t.Fatalf("edge %s -> %s not tracked", caller, callee)
	}
	return st
}

// counts is the part of Stats these tests pin: spans, errors, own errors.
type counts struct{ spans, errors, own int64 }

func countsOf(st Stats) counts { return counts{st.Spans, st.Errors, st.OwnErrors} }

// chain builds frontend -> checkout -> payment traces (SERVER spans, each
// the parent of the next service's); failing lists the traces where payment
// fails and checkout and frontend only propagate.
func chain(traces int, failing ...byte) []sp {
	var spans []sp
	for tr := range byte(traces) {
		fail := false
		for _, f := range failing {
			fail = fail || f == tr
		}
		spans = append(spans,
			sp{Service: "frontend", Name: "GET /", Trace: tr, ID: 1, Kind: srv, Err: fail, Dur: 30 * time.Millisecond},
			sp{Service: "checkout", Name: "POST /buy", Trace: tr, ID: 2, Parent: 1, Kind: srv, Err: fail, Dur: 20 * time.Millisecond},
			sp{Service: "payment", Name: "charge", Trace: tr, ID: 3, Parent: 2, Kind: srv, Err: fail, Dur: 10 * time.Millisecond},
		)
	}
	return spans
}

func TestLeafFailurePropagatingThreeLevels(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Threshold, cfg.MinSpans = 0.1, 4
	tr := NewTracker(cfg, newClock().now)
	td := build(chain(4, 0)...)
	tr.Annotate(td)
	for svc, want := range map[string]counts{"frontend": {4, 1, 0}, "checkout": {4, 1, 0}, "payment": {4, 1, 1}} {
		if got := countsOf(svcStat(t, tr, svc)); got != want {
			t.Errorf("%s = %+v, want %+v", svc, got, want)
		}
	}
	pay := svcStat(t, tr, "payment")
	if pay.OwnErrorRate != pay.ErrorRate || pay.OwnErrorRate != 0.25 {
		t.Errorf("payment own rate %v, error rate %v: want both 0.25", pay.OwnErrorRate, pay.ErrorRate)
	}
	for _, svc := range []string{"frontend", "checkout"} {
		if st := svcStat(t, tr, svc); st.OwnErrorRate != 0 || st.ErrorRate != 0.25 {
			t.Errorf("%s: own rate %v error rate %v, want 0 and 0.25", svc, st.OwnErrorRate, st.ErrorRate)
		}
	}
	// The failure starts in payment: the call into it carries the own error.
	if got := countsOf(edgeStat(t, tr, "frontend", "checkout")); got != (counts{4, 1, 0}) {
		t.Errorf("frontend->checkout = %+v", got)
	}
	if got := countsOf(edgeStat(t, tr, "checkout", "payment")); got != (counts{4, 1, 1}) {
		t.Errorf("checkout->payment = %+v", got)
	}
	// Hot by own errors: only payment. By every error: all three.
	if !tr.Hot("payment") || tr.Hot("checkout") || tr.Hot("frontend") {
		t.Errorf("hot: payment %v checkout %v frontend %v", tr.Hot("payment"), tr.Hot("checkout"), tr.Hot("frontend"))
	}
	byErrors := HotRule{Threshold: 0.1, MinSpans: 4, By: HotByErrors}
	if !byErrors.Hot(svcStat(t, tr, "frontend")) {
		t.Error("hot_by errors: frontend should be hot")
	}
	// The resources and spans say the same.
	res := td.ResourceSpans()
	for i, want := range []struct {
		own  int64
		rate float64
		hot  bool
	}{{0, 0, false}, {0, 0, false}, {1, 0.25, true}} {
		a := res.At(i).Resource().Attributes().AsRaw()
		if a[AttrServiceOwnErrorCount] != want.own || a[AttrServiceOwnErrorRate] != want.rate || a[AttrServiceHot] != want.hot {
			t.Errorf("resource %v: own %v rate %v hot %v", a["service.name"], a[AttrServiceOwnErrorCount], a[AttrServiceOwnErrorRate], a[AttrServiceHot])
		}
		op := res.At(i).ScopeSpans().At(0).Spans().At(0).Attributes().AsRaw()
		if op[AttrOperationOwnErrorRate] != want.rate {
			t.Errorf("resource %d span own rate %v, want %v", i, op[AttrOperationOwnErrorRate], want.rate)
		}
	}
}

// A retry that succeeds: the caller is OK, so the failed attempt is an own
// error of payment and the caller has none.
func TestRetryThatSucceeds(t *testing.T) {
	tr := NewTracker(DefaultConfig(), newClock().now)
	tr.Observe(build(
		sp{Service: "checkout", Name: "POST /buy", ID: 1, Kind: srv, Dur: 20 * time.Millisecond},
		sp{Service: "checkout", Name: "call payment", ID: 2, Parent: 1, Kind: cli, Err: true, Dur: 5 * time.Millisecond},
		sp{Service: "payment", Name: "charge", ID: 3, Parent: 2, Kind: srv, Err: true, Dur: 4 * time.Millisecond},
		sp{Service: "checkout", Name: "call payment", ID: 4, Parent: 1, Kind: cli, Dur: 5 * time.Millisecond},
		sp{Service: "payment", Name: "charge", ID: 5, Parent: 4, Kind: srv, Dur: 4 * time.Millisecond},
	))
	if got := countsOf(svcStat(t, tr, "checkout")); got != (counts{3, 1, 0}) {
		t.Errorf("checkout = %+v (its failed client span propagates payment's error)", got)
	}
	if got := countsOf(svcStat(t, tr, "payment")); got != (counts{2, 1, 1}) {
		t.Errorf("payment = %+v", got)
	}
	if got := countsOf(edgeStat(t, tr, "checkout", "payment")); got != (counts{2, 1, 1}) {
		t.Errorf("checkout->payment = %+v", got)
	}
}

// Two independent failures under one OK root: two own errors, one each.
func TestTwoIndependentFailures(t *testing.T) {
	tr := NewTracker(DefaultConfig(), newClock().now)
	tr.Observe(build(
		sp{Service: "frontend", Name: "GET /", ID: 1, Kind: srv, Dur: 20 * time.Millisecond},
		sp{Service: "checkout", Name: "POST /buy", ID: 2, Parent: 1, Kind: srv, Err: true, Dur: 5 * time.Millisecond},
		sp{Service: "inventory", Name: "reserve", ID: 3, Parent: 1, Kind: srv, Err: true, Dur: 4 * time.Millisecond},
	))
	for svc, want := range map[string]counts{"frontend": {1, 0, 0}, "checkout": {1, 1, 1}, "inventory": {1, 1, 1}} {
		if got := countsOf(svcStat(t, tr, svc)); got != want {
			t.Errorf("%s = %+v, want %+v", svc, got, want)
		}
	}
}

// A failing CLIENT span without child whose peer is uninstrumented gives its
// own error to the peer: once the span expires from the edge store without
// a callee, the call checkout -> stripe owns the error, checkout none.
func TestFailingCallToUninstrumentedPeer(t *testing.T) {
	c := newClock()
	tr := NewTracker(DefaultConfig(), c.now) // ttl 2s
	tr.Observe(build(
		sp{Service: "checkout", Name: "POST /buy", ID: 1, Kind: srv, Err: true, Dur: 20 * time.Millisecond},
		sp{Service: "checkout", Name: "POST stripe", ID: 2, Parent: 1, Kind: cli, Err: true, Dur: 8 * time.Millisecond,
			Attrs: map[string]any{"peer.service": "stripe"}},
	))
	// Until then the failure is the client span's own.
	if got := countsOf(svcStat(t, tr, "checkout")); got != (counts{2, 2, 1}) {
		t.Errorf("before expiry checkout = %+v", got)
	}
	c.advance(4 * time.Second)
	if got := countsOf(svcStat(t, tr, "checkout")); got != (counts{2, 2, 0}) {
		t.Errorf("after expiry checkout = %+v", got)
	}
	st := edgeStat(t, tr, "checkout", "stripe")
	if got := countsOf(st); got != (counts{1, 1, 1}) || st.P99Ms != p8ms {
		t.Errorf("checkout->stripe = %+v", st)
	}
	if op, _ := tr.Operation("checkout", "POST stripe"); op.OwnErrors != 0 {
		t.Errorf("the client operation keeps the own error: %+v", op)
	}
}

// Parent and failing child in separate batches, both orders: the parent is
// a propagated error either way, counted once, and the child owns it.
func TestParentAndFailingChildAcrossBatches(t *testing.T) {
	parent := sp{Service: "checkout", Name: "POST /buy", ID: 1, Kind: srv, Err: true, Dur: 20 * time.Millisecond}
	child := sp{Service: "payment", Name: "charge", ID: 2, Parent: 1, Kind: srv, Err: true, Dur: 8 * time.Millisecond}
	sibling := sp{Service: "payment", Name: "charge", ID: 3, Parent: 1, Kind: srv, Err: true, Dur: 8 * time.Millisecond}
	for _, order := range []struct {
		name    string
		batches [][]sp
	}{
		{"parent first", [][]sp{{parent}, {child}, {sibling}}},
		{"children first", [][]sp{{child}, {sibling}, {parent}}},
		{"between", [][]sp{{child}, {parent}, {sibling}}},
	} {
		t.Run(order.name, func(t *testing.T) {
			c := newClock()
			tr := NewTracker(DefaultConfig(), c.now)
			var last ptrace.Traces
			for _, b := range order.batches {
				last = build(b...)
				tr.Annotate(last)
				c.advance(500 * time.Millisecond)
			}
			if got := countsOf(svcStat(t, tr, "checkout")); got != (counts{1, 1, 0}) {
				t.Errorf("checkout = %+v, want a propagated error", got)
			}
			if got := countsOf(svcStat(t, tr, "payment")); got != (counts{2, 2, 2}) {
				t.Errorf("payment = %+v", got)
			}
			if got := countsOf(edgeStat(t, tr, "checkout", "payment")); got != (counts{2, 2, 2}) {
				t.Errorf("checkout->payment = %+v", got)
			}
			if cn := tr.Counters(); cn.EdgesAcross != 2 || cn.Spans != 3 {
				t.Errorf("counters = %+v", cn)
			}
		})
	}
}

// HotROD reports its database and cache clients under their own service
// names (mysql, redis-manual): the callee of the edge is a CLIENT span, and
// caller and callee arrive in different batches. Every such pair is an edge,
// in either order, with the callee span's duration and error.
func TestClientCalleeInItsOwnServiceAcrossBatches(t *testing.T) {
	customer := sp{Service: "customer", Name: "HTTP GET /customer", ID: 1, Kind: srv, Dur: 300 * time.Millisecond}
	sql := sp{Service: "mysql", Name: "SQL SELECT", ID: 2, Parent: 1, Kind: cli, Dur: 100 * time.Millisecond}
	driver := sp{Service: "driver", Name: "/driver.DriverService/FindNearest", Trace: 1, ID: 1, Kind: srv, Dur: 200 * time.Millisecond}
	redis := []sp{
		{Service: "redis-manual", Name: "FindDriverIDs", Trace: 1, ID: 2, Parent: 1, Kind: cli, Dur: 4 * time.Millisecond},
		{Service: "redis-manual", Name: "GetDriver", Trace: 1, ID: 3, Parent: 1, Kind: cli, Dur: 4 * time.Millisecond, Err: true},
		{Service: "redis-manual", Name: "GetDriver", Trace: 1, ID: 4, Parent: 1, Kind: cli, Dur: 7 * time.Millisecond},
	}
	for _, callerFirst := range []bool{true, false} {
		c := newClock()
		tr := NewTracker(DefaultConfig(), c.now)
		first, second := build(customer, driver), build(append([]sp{sql}, redis...)...)
		if !callerFirst {
			first, second = second, first
		}
		tr.Annotate(first)
		c.advance(time.Second)
		tr.Annotate(second)
		if st := edgeStat(t, tr, "customer", "mysql"); st != (Stats{Spans: 1, P50Ms: p100ms, P90Ms: p100ms, P99Ms: p100ms}) {
			t.Errorf("caller first %v: customer->mysql = %+v", callerFirst, st)
		}
		if st := edgeStat(t, tr, "driver", "redis-manual"); st != (Stats{Spans: 3, Errors: 1, ErrorRate: 1.0 / 3, OwnErrors: 1, OwnErrorRate: 1.0 / 3,
			P50Ms: p4ms, P90Ms: p7ms, P99Ms: p7ms}) {
			t.Errorf("caller first %v: driver->redis-manual = %+v", callerFirst, st)
		}
		if cn := tr.Counters(); cn.EdgesAcross != 4 || cn.EdgesInBatch != 0 {
			t.Errorf("caller first %v: counters %+v", callerFirst, cn)
		}
		want := map[string]any{
			AttrOperationErrorRate: 0.0, AttrOperationOwnErrorRate: 0.0, AttrOperationP99Ms: p100ms,
			AttrEdgeCalls: int64(1), AttrEdgeErrorRate: 0.0, AttrEdgeP99Ms: p100ms,
		}
		if callerFirst {
			// The callee came second, so its span carries the edge values.
			got := second.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().AsRaw()
			assertMap(t, "mysql span", got, want)
		}
		// After sampling, the kept trace (whole) gets them in either order.
		kept := build(customer, sql)
		tr.AnnotateSpans(kept)
		got := kept.ResourceSpans().At(1).ScopeSpans().At(0).Spans().At(0).Attributes().AsRaw()
		assertMap(t, "kept mysql span", got, want)
	}
}

// Counting before sampling with resource values only (or only the hot
// verdict, written only where it is true), then writing the span values on
// the same data (as after sampling), gives every attribute Annotate writes
// in one go.
func TestTwoStagesWriteTheWholeContract(t *testing.T) {
	spans := append(chain(4, 0),
		sp{Service: "checkout", Name: "POST stripe", Trace: 9, ID: 1, Kind: cli, Dur: 8 * time.Millisecond, Attrs: map[string]any{"peer.service": "stripe"}})
	cfg := DefaultConfig()
	cfg.MinSpans = 4 // payment, where trace 0 fails, is hot; the others are not
	c1 := newClock()
	one := NewTracker(cfg, c1.now)
	a := build(spans...)
	one.Annotate(a)
	ra := a.ResourceSpans()
	var two *Tracker
	var c2 *clock
	for _, first := range []struct {
		name  string
		count func(*Tracker, ptrace.Traces) Result
		attrs int // resource attributes before sampling: service.name and the values written
		// whether a service that is not hot gets AttrServiceHot false
		notHot bool
	}{{"AnnotateResources", (*Tracker).AnnotateResources, 10, true}, {"AnnotateHot", (*Tracker).AnnotateHot, 1, false}} {
		c2 = newClock()
		two = NewTracker(cfg, c2.now)
		b := build(spans...)
		first.count(two, b)
		hotOnes := 0
		for i, rs := range b.ResourceSpans().All() {
			want, _ := ra.At(i).Resource().Attributes().Get(AttrServiceHot)
			hot, ok := rs.Resource().Attributes().Get(AttrServiceHot)
			attrs := first.attrs
			switch {
			case want.Bool():
				hotOnes++
				if !ok || !hot.Bool() {
					t.Errorf("%s before sampling: a hot service has %v", first.name, rs.Resource().Attributes().AsRaw())
				}
				if !first.notHot {
					attrs++
				}
			case ok != first.notHot || ok && hot.Bool():
				t.Errorf("%s before sampling: a service that is not hot has %v", first.name, rs.Resource().Attributes().AsRaw())
			}
			if got := rs.Resource().Attributes(); got.Len() != attrs {
				t.Errorf("%s before sampling: %v, want %d attributes", first.name, got.AsRaw(), attrs)
			}
		}
		if hotOnes != 1 {
			t.Fatalf("%d hot resources, want payment's", hotOnes)
		}
		two.AnnotateSpans(b)
		rb := b.ResourceSpans()
		for i := 0; i < ra.Len(); i++ {
			assertMap(t, "resource", rb.At(i).Resource().Attributes().AsRaw(), ra.At(i).Resource().Attributes().AsRaw())
			sa, sb := ra.At(i).ScopeSpans().At(0).Spans(), rb.At(i).ScopeSpans().At(0).Spans()
			for j := 0; j < sa.Len(); j++ {
				assertMap(t, "span "+sa.At(j).Name(), sb.At(j).Attributes().AsRaw(), sa.At(j).Attributes().AsRaw())
			}
		}
	}
	// The peer call becomes an edge once the client span expires; the next
	// kept copy of such a span carries it.
	c2.advance(4 * time.Second)
	peer := build(spans[len(spans)-1])
	two.AnnotateSpans(peer)
	got := peer.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().AsRaw()
	if got[AttrEdgeCalls] != int64(1) || got[AttrEdgeP99Ms] != p8ms {
		t.Errorf("peer call span = %v", got)
	}
	if n := two.Counters().Spans; n != int64(len(spans)) {
		t.Errorf("AnnotateSpans counted: %d spans", n)
	}
}
