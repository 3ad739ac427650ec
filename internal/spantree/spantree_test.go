package spantree

import (
	"fmt"
	"reflect"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

type sp = tracetest.Span

var S = tracetest.S

const t0 = tracetest.T0

var traceA = tracetest.TraceID(0xa)

func traces(tid pcommon.TraceID, specs ...sp) ptrace.Traces { return tracetest.Traces(tid, specs...) }

func one(t *testing.T, specs ...sp) *Tree {
	t.Helper()
	trees := FromTraces(traces(traceA, specs...))
	if len(trees) != 1 {
		t.Fatalf("got %d trees, want 1", len(trees))
	}
	checkInvariants(t, trees[0])
	return trees[0]
}

// byName finds a span by name.
func byName(t *testing.T, tr *Tree, name string) *Span {
	t.Helper()
	for i := range tr.Spans {
		if tr.Spans[i].Name == name {
			return &tr.Spans[i]
		}
	}
	t.Fatalf("no span %q", name)
	return nil
}

func TestFiveServicesSkew(t *testing.T) {
	tr := one(t, tracetest.FiveServices()...)
	if tr.Start != t0 || tr.Duration != 1000 {
		t.Fatalf("trace start %d duration %d, want %d 1000", tr.Start, tr.Duration, t0)
	}
	want := map[string]struct {
		offset, skew, self int64
		depth              int
		critical           bool
	}{
		"GET /checkout":  {0, 0, 150, 0, true},
		"call checkout":  {50, 0, 100, 1, true},
		"POST /checkout": {100, 0, 225, 2, true},
		// (750-400)/2 = 175 slack each side: 100+175 = 275, shifted by 575.
		"charge":   {275, 575, 100, 3, false},
		"db query": {325, 575, 300, 4, false}, // same service: moves with its parent
		"reserve":  {300, 0, 200, 3, true},
		"quote":    {600, 0, 200, 3, true},
	}
	for name, w := range want {
		s := byName(t, tr, name)
		if s.Offset != w.offset || s.Skew != w.skew || s.Self != w.self || s.Depth != w.depth || s.Critical != w.critical {
			t.Errorf("%s: offset %d skew %d self %d depth %d critical %v, want %+v",
				name, s.Offset, s.Skew, s.Self, s.Depth, s.Critical, w)
		}
	}
	if s := byName(t, tr, "charge"); !s.Error || s.Service != "payment" || s.Kind != ptrace.SpanKindServer {
		t.Errorf("charge: error %v service %q kind %v", s.Error, s.Service, s.Kind)
	}
	// Children ordered by corrected start.
	s3 := byName(t, tr, "POST /checkout")
	var names []string
	for _, c := range s3.Children {
		names = append(names, tr.Spans[c].Name)
	}
	if got := join(names); got != "charge,reserve,quote" {
		t.Errorf("children of POST /checkout: %s", got)
	}
}

func join(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}

func TestSkewChildLongerThanParentOnlyAlignsStart(t *testing.T) {
	tr := one(t,
		S(1, 0, "a", "root", 0, 100),
		S(2, 1, "b", "long", -50, 150),
		S(3, 1, "c", "late long", 10, 300), // starts inside: left alone
	)
	if s := byName(t, tr, "long"); s.Skew != 50 || s.Offset != 0 {
		t.Errorf("long: skew %d offset %d, want 50 0", s.Skew, s.Offset)
	}
	if s := byName(t, tr, "late long"); s.Skew != 0 || s.Offset != 10 {
		t.Errorf("late long: skew %d offset %d, want 0 10", s.Skew, s.Offset)
	}
	if tr.Duration != 300 {
		t.Errorf("duration %d, want 300", tr.Duration)
	}
}

func TestSameServiceChildNeverShifted(t *testing.T) {
	tr := one(t,
		S(1, 0, "a", "root", 100, 200),
		S(2, 1, "a", "async", 150, 400), // ends after parent
		S(3, 1, "a", "early", 0, 50),    // before parent
	)
	for _, s := range tr.Spans {
		if s.Skew != 0 {
			t.Errorf("%s shifted by %d", s.Name, s.Skew)
		}
	}
	if tr.Start != t0 || tr.Duration != 400 {
		t.Errorf("start %d duration %d", tr.Start-t0, tr.Duration)
	}
	if s := byName(t, tr, "root"); s.Offset != 100 || s.Self != 50 {
		t.Errorf("root offset %d self %d, want 100 50", s.Offset, s.Self)
	}
}

func TestSkewEndsAfterParent(t *testing.T) {
	// b's clock is ahead: child recorded at [80,120] inside a parent [0,100].
	tr := one(t,
		S(1, 0, "a", "root", 0, 100),
		S(2, 1, "b", "child", 80, 120),
		S(3, 2, "c", "grandchild", 90, 110), // fits b before the shift, moves with it
	)
	if s := byName(t, tr, "child"); s.Skew != -50 || s.Offset != 30 {
		t.Errorf("child skew %d offset %d, want -50 30", s.Skew, s.Offset)
	}
	if s := byName(t, tr, "grandchild"); s.Skew != -50 || s.Offset != 40 {
		t.Errorf("grandchild skew %d offset %d, want -50 40", s.Skew, s.Offset)
	}
}

func TestCriticalPathSequentialAndParallel(t *testing.T) {
	// root [0,100]: a [0,30], b [10,60], c [40,90] parallel; c ends last,
	// then the last child ending before c's start (40) is a (30).
	tr := one(t,
		S(1, 0, "s", "root", 0, 100),
		S(2, 1, "s", "a", 0, 30),
		S(3, 1, "s", "b", 10, 60),
		S(4, 1, "s", "c", 40, 90),
		S(5, 4, "s", "c1", 45, 50),
		S(6, 4, "s", "c2", 60, 80),
	)
	got := criticalNames(tr)
	if got != "root,a,c,c1,c2" {
		t.Errorf("critical: %s, want root,a,c,c1,c2", got)
	}
}

func TestCriticalPathFollowsWorkThatOutlivesItsParent(t *testing.T) {
	// A same-service child ending after its parent is not clipped (Jaeger
	// would clip it at 100): it ended the trace. One entirely after the
	// parent ran in parallel with it and is not on the path.
	tr := one(t,
		S(1, 0, "s", "root", 0, 100),
		S(2, 1, "s", "over", 50, 150),
		S(3, 1, "s", "outside", 120, 130),
		S(4, 1, "s", "early", 10, 40),
	)
	if got := criticalSelves(tr); got != "root:20,early:30,over:100" {
		t.Errorf("critical: %s", got)
	}
	if got := asyncNames(tr); got != "over,outside" {
		t.Errorf("async: %s", got)
	}
}

// criticalSelves lists the critical spans in Walk order with their
// CriticalSelf.
func criticalSelves(tr *Tree) string {
	var out []string
	tr.Walk(func(i int) {
		if s := &tr.Spans[i]; s.Critical {
			out = append(out, fmt.Sprintf("%s:%d", s.Name, s.CriticalSelf))
		} else if s.CriticalSelf != 0 {
			out = append(out, fmt.Sprintf("%s:%d(not critical)", s.Name, s.CriticalSelf))
		}
	})
	return join(out)
}

func asyncNames(tr *Tree) string {
	var names []string
	tr.Walk(func(i int) {
		if tr.Spans[i].Async {
			names = append(names, tr.Spans[i].Name)
		}
	})
	return join(names)
}

// A messaging trace shaped like real ones: the request publishes a message
// and returns at 426; a consumer in another service picks it up at 426 and
// works until 649, the last third of the trace. Jaeger's path ends with the request (root, then insert,
// then publish); here it follows the message.
func messagingTrace(consumerParent uint64) []sp {
	const (
		server   = ptrace.SpanKindServer
		client   = ptrace.SpanKindClient
		producer = ptrace.SpanKindProducer
		consumer = ptrace.SpanKindConsumer
	)
	return []sp{
		S(1, 0, "api", "POST /order", 0, 426).Of(server),
		S(2, 1, "api", "orders publish", 100, 130).Of(producer),
		S(3, 1, "api", "INSERT orders", 140, 400).Of(client).Attr("peer.service", "mysql"),
		S(4, consumerParent, "worker", "orders process", 426, 649).Of(consumer),
		S(5, 4, "worker", "render invoice", 450, 620),
	}
}

func TestCriticalPathFollowsConsumerAfterProducerEnd(t *testing.T) {
	tr := one(t, messagingTrace(2)...)
	// POST 0-100; publish 100-130; the broker 130-426 is nobody's;
	// process 426-450 and 620-649; render 450-620. The insert ran while the
	// message waited.
	if got := criticalSelves(tr); got != "POST /order:100,orders publish:30,orders process:53,render invoice:170" {
		t.Errorf("critical: %s", got)
	}
	if got := asyncNames(tr); got != "orders process" {
		t.Errorf("async: %s", got)
	}
	// A consumer in another service is not moved into its producer as
	// clock skew.
	if s := byName(t, tr, "orders process"); s.Skew != 0 || s.Offset != 426 {
		t.Errorf("consumer skew %d offset %d, want 0 426", s.Skew, s.Offset)
	}
}

func TestCriticalPathFollowsLinkedConsumer(t *testing.T) {
	// The consumer starts its own root and links to the message's producer.
	specs := messagingTrace(0)
	specs[3].Attrs = map[string]string{}
	td := traces(traceA, specs...)
	linkTo(td, "orders process", 2)
	tr := FromTraces(td)[0]
	checkInvariants(t, tr)
	if got := criticalSelves(tr); got != "POST /order:100,orders publish:30,orders process:53,render invoice:170" {
		t.Errorf("critical: %s", got)
	}
	c := byName(t, tr, "orders process")
	if !c.Async || c.Parent != -1 || c.Depth != 0 || len(tr.Roots) != 2 {
		t.Errorf("linked consumer: async %v parent %d depth %d roots %d", c.Async, c.Parent, c.Depth, len(tr.Roots))
	}
}

// linkTo adds links from the span named name to the spans with the given
// crafted IDs, in the same trace.
func linkTo(td ptrace.Traces, name string, ids ...uint64) {
	ForEachSpan(td, func(s ptrace.Span, _ pcommon.Resource) {
		if s.Name() != name {
			return
		}
		for _, id := range ids {
			l := s.Links().AppendEmpty()
			l.SetTraceID(s.TraceID())
			l.SetSpanID(tracetest.SpanID(id))
		}
	})
}

func TestCriticalPathFanOutConsumers(t *testing.T) {
	const producer, consumer = ptrace.SpanKindProducer, ptrace.SpanKindConsumer
	tr := one(t,
		S(1, 0, "api", "POST", 0, 20),
		S(2, 1, "api", "publish", 5, 10).Of(producer),
		S(3, 2, "a", "consume a", 30, 100).Of(consumer),
		S(4, 2, "b", "consume b", 40, 300).Of(consumer),
		S(5, 2, "c", "consume c", 120, 220).Of(consumer),
	)
	// b ends the trace; a and c ran beside it.
	if got := criticalSelves(tr); got != "POST:5,publish:5,consume b:260" {
		t.Errorf("critical: %s", got)
	}
	if got := asyncNames(tr); got != "consume a,consume b,consume c" {
		t.Errorf("async: %s", got)
	}
	// Consumers one after the other (a queue worker): all on the path.
	tr = one(t,
		S(1, 0, "api", "POST", 0, 20),
		S(2, 1, "api", "publish", 5, 10).Of(producer),
		S(3, 2, "w", "first", 30, 100).Of(consumer),
		S(4, 2, "w", "second", 110, 300).Of(consumer),
	)
	if got := criticalSelves(tr); got != "POST:5,publish:5,first:70,second:190" {
		t.Errorf("sequential consumers: %s", got)
	}
}

func TestCriticalPathLinks(t *testing.T) {
	// A batch consumer linked to two producers hangs under the one that
	// ended last; two roots linking each other cannot make a cycle: only
	// the later one hangs under the earlier.
	td := traces(traceA,
		S(1, 0, "api", "request 1", 0, 100),
		S(2, 1, "api", "publish 1", 10, 30),
		S(3, 0, "api", "request 2", 20, 120),
		S(4, 3, "api", "publish 2", 40, 60),
		S(5, 0, "w", "batch", 200, 300),
		S(6, 0, "x", "ping", 400, 410),
		S(7, 0, "x", "pong", 420, 430),
	)
	linkTo(td, "batch", 2, 4)
	linkTo(td, "ping", 7)
	linkTo(td, "pong", 6)
	tr := FromTraces(td)[0]
	checkInvariants(t, tr)
	// pong (under ping) ends the trace; back at ping's start (400) the
	// tree finishing last is request 2's, whose end is batch's (300):
	// request 2 20-40, publish 2 40-60, the wait, batch 200-300.
	if got := criticalSelves(tr); got != "request 2:20,publish 2:20,batch:100,ping:10,pong:10" {
		t.Errorf("critical: %s", got)
	}
	if got := asyncNames(tr); got != "batch,pong" {
		t.Errorf("async: %s", got)
	}
}

func criticalNames(tr *Tree) string {
	var names []string
	tr.Walk(func(i int) {
		if tr.Spans[i].Critical {
			names = append(names, tr.Spans[i].Name)
		}
	})
	return join(names)
}

func TestOrphansAndRoots(t *testing.T) {
	tr := one(t,
		S(1, 0, "a", "root2", 50, 60),
		S(2, 99, "b", "orphan late", 5, 20),
		S(3, 0, "a", "root1", 0, 100),
		S(4, 98, "c", "orphan early", 1, 2),
		S(5, 2, "b", "under orphan", 6, 8),
	)
	var names []string
	for _, r := range tr.Roots {
		names = append(names, tr.Spans[r].Name)
	}
	if got := join(names); got != "root1,root2,orphan early,orphan late" {
		t.Errorf("roots: %s", got)
	}
	for _, name := range []string{"orphan late", "orphan early"} {
		if s := byName(t, tr, name); !s.Orphan || s.Parent != -1 || s.Depth != 0 {
			t.Errorf("%s: orphan %v parent %d depth %d", name, s.Orphan, s.Parent, s.Depth)
		}
	}
	if s := byName(t, tr, "under orphan"); s.Orphan || s.Depth != 1 {
		t.Errorf("under orphan: orphan %v depth %d", s.Orphan, s.Depth)
	}
	if s := byName(t, tr, "root1"); s.Orphan {
		t.Error("root1 marked orphan")
	}
	// Only root1 bounds the trace's end at 100; nothing else ends before
	// root1's start (0).
	if got := criticalNames(tr); got != "root1" {
		t.Errorf("critical: %s", got)
	}
}

func TestCriticalPathAcrossSeveralRoots(t *testing.T) {
	tr := one(t,
		S(1, 0, "a", "first", 0, 40),
		S(2, 0, "a", "second", 50, 100),
	)
	if got := criticalNames(tr); got != "first,second" {
		t.Errorf("critical: %s", got)
	}
}

func TestParentCyclesAreCut(t *testing.T) {
	tr := one(t,
		S(1, 0, "a", "root", 0, 100),
		S(2, 3, "a", "x", 20, 30), // parents: x -> y -> z -> x
		S(3, 4, "a", "y", 10, 40),
		S(4, 2, "a", "z", 15, 35),
		S(5, 5, "a", "self", 50, 60), // its own parent
	)
	// The x-y-z cycle is cut at its earliest span, y.
	y := byName(t, tr, "y")
	if !y.Orphan || y.Parent != -1 || y.Depth != 0 {
		t.Errorf("y: orphan %v parent %d depth %d", y.Orphan, y.Parent, y.Depth)
	}
	// y is x's parent, x is z's parent.
	if z := byName(t, tr, "z"); z.Depth != 2 || z.Orphan {
		t.Errorf("z: depth %d orphan %v", z.Depth, z.Orphan)
	}
	if x := byName(t, tr, "x"); x.Depth != 1 || x.Orphan {
		t.Errorf("x: depth %d orphan %v", x.Depth, x.Orphan)
	}
	if s := byName(t, tr, "self"); !s.Orphan || s.Depth != 0 {
		t.Errorf("self: orphan %v depth %d", s.Orphan, s.Depth)
	}
}

func TestDuplicateIDs(t *testing.T) {
	tr := one(t,
		S(1, 0, "a", "root", 0, 100),
		S(2, 1, "a", "first", 10, 50),
		S(2, 1, "b", "dup", 12, 48),
		S(3, 2, "a", "child", 20, 30),
	)
	if d := byName(t, tr, "dup"); !d.Duplicate || d.Depth != 1 {
		t.Errorf("dup: duplicate %v depth %d", d.Duplicate, d.Depth)
	}
	if f := byName(t, tr, "first"); f.Duplicate || len(f.Children) != 1 {
		t.Errorf("first: duplicate %v children %v", f.Duplicate, f.Children)
	}
	if c := byName(t, tr, "child"); c.Depth != 2 {
		t.Errorf("child depth %d", c.Depth)
	}
}

func TestOneSpanAndOddTimes(t *testing.T) {
	tr := one(t, S(1, 0, "", "only", 10, 10))
	s := &tr.Spans[0]
	if s.Service != UnknownService || s.Offset != 0 || s.Self != 0 || !s.Critical || tr.Duration != 0 || tr.Start != t0+10 {
		t.Errorf("one span: %+v tree start %d duration %d", s, tr.Start, tr.Duration)
	}
	tr = one(t,
		S(1, 0, "a", "root", 0, 100),
		S(2, 1, "a", "inverted", 60, 40), // end before start
	)
	if s := byName(t, tr, "inverted"); s.End != s.Start || s.Duration() != 0 || s.Offset != 60 {
		t.Errorf("inverted: start %d end %d offset %d", s.Start, s.End, s.Offset)
	}
}

func TestEmptyAndGrouping(t *testing.T) {
	if tr := Build(traceA, nil); len(tr.Spans) != 0 || len(tr.Roots) != 0 {
		t.Errorf("empty build: %+v", tr)
	}
	td := traces(pcommon.TraceID{2}, S(1, 0, "a", "b-root", 0, 1))
	traces(pcommon.TraceID{1}, S(1, 0, "a", "a-root", 0, 1)).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	traces(pcommon.TraceID{2}, S(2, 1, "b", "b-child", 0, 1)).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	trees := FromTraces(td)
	if len(trees) != 2 || trees[0].TraceID != (pcommon.TraceID{2}) || len(trees[0].Spans) != 2 || trees[1].TraceID != (pcommon.TraceID{1}) {
		t.Fatalf("grouping: %d trees", len(trees))
	}
	if c := byName(t, trees[0], "b-child"); c.Parent < 0 || c.Depth != 1 {
		t.Errorf("b-child not linked across resources: %+v", c)
	}
}

// TestGrouperReuse: a Grouper gives GroupByTrace's groups batch after
// batch, and Reset lets go of the last batch's spans.
func TestGrouperReuse(t *testing.T) {
	var gr Grouper
	for _, td := range []ptrace.Traces{
		tracetest.Generate(tracetest.TraceID(1), 50, 5, 1),
		traces(pcommon.TraceID{2}, S(1, 0, "a", "root", 0, 1), S(2, 1, "b", "child", 0, 1)),
		ptrace.NewTraces(),
	} {
		if got, want := gr.Group(td), GroupByTrace(td); (len(got) > 0 || len(want) > 0) && !reflect.DeepEqual(got, want) {
			t.Fatalf("Grouper\n%+v\nGroupByTrace\n%+v", got, want)
		}
	}
	gr.Group(traces(pcommon.TraceID{3}, S(1, 0, "a", "root", 0, 1)))
	gr.Reset()
	for _, r := range gr.refs[:cap(gr.refs)] {
		if r != (Ref{}) {
			t.Fatalf("Reset kept %+v", r)
		}
	}
}

func TestDeepChainDoesNotRecurse(t *testing.T) {
	const n = 200_000
	specs := make([]sp, n)
	for i := range specs {
		specs[i] = S(uint64(i+1), uint64(i), "s", "x", int64(i), int64(2*n-i))
	}
	tr := one(t, specs...)
	last := &tr.Spans[n-1]
	if last.Depth != n-1 || !last.Critical {
		t.Errorf("last depth %d critical %v", last.Depth, last.Critical)
	}
}

// checkInvariants asserts what must hold for any input.
func checkInvariants(t *testing.T, tr *Tree) {
	t.Helper()
	n := len(tr.Spans)
	seen := make([]int, n)
	count := 0
	tr.Walk(func(i int) { seen[i]++; count++ })
	if count != n {
		t.Fatalf("walk visited %d of %d spans", count, n)
	}
	critical, pathTime := 0, int64(0)
	for i := range tr.Spans {
		s := &tr.Spans[i]
		if seen[i] != 1 {
			t.Fatalf("span %d visited %d times", i, seen[i])
		}
		if s.End < s.Start || s.Start < 0 || s.End > MaxTime {
			t.Fatalf("span %d: bad times %d..%d", i, s.Start, s.End)
		}
		if s.Offset < 0 || s.Offset+s.Duration() > tr.Duration {
			t.Fatalf("span %d: offset %d duration %d outside trace %d", i, s.Offset, s.Duration(), tr.Duration)
		}
		if s.Self < 0 || s.Self > s.Duration() {
			t.Fatalf("span %d: self %d of %d", i, s.Self, s.Duration())
		}
		if s.Parent >= 0 {
			p := &tr.Spans[s.Parent]
			if s.Depth != p.Depth+1 {
				t.Fatalf("span %d: depth %d parent depth %d", i, s.Depth, p.Depth)
			}
			if s.Service == p.Service && s.Skew != p.Skew && s.CorrectedStart() > 0 && s.CorrectedEnd() < MaxTime {
				t.Fatalf("span %d: same-service skew %d, parent %d", i, s.Skew, p.Skew)
			}
		} else if s.Depth != 0 {
			t.Fatalf("top-level span %d at depth %d", i, s.Depth)
		}
		for k := 1; k < len(s.Children); k++ {
			if tr.Spans[s.Children[k-1]].CorrectedStart() > tr.Spans[s.Children[k]].CorrectedStart() {
				t.Fatalf("children of %d out of order", i)
			}
		}
		if s.Critical {
			critical++
			if s.Parent >= 0 && !tr.Spans[s.Parent].Critical {
				t.Fatalf("critical span %d under a parent off the path", i)
			}
		}
		if s.CriticalSelf < 0 || (s.CriticalSelf > 0 && !s.Critical) || s.CriticalSelf > s.Duration() {
			t.Fatalf("span %d: critical self %d of %d, critical %v", i, s.CriticalSelf, s.Duration(), s.Critical)
		}
		pathTime += s.CriticalSelf
		if s.Parent >= 0 && s.Async != (s.CorrectedEnd() > tr.Spans[s.Parent].CorrectedEnd()) {
			t.Fatalf("span %d: async %v", i, s.Async)
		}
	}
	if n > 0 && critical == 0 {
		t.Fatal("no critical span")
	}
	if pathTime > tr.Duration {
		t.Fatalf("critical path covers %d of a %d trace", pathTime, tr.Duration)
	}
}

func TestWriteAttributes(t *testing.T) {
	td := traces(traceA, tracetest.FiveServices()...)
	// Stale values from an earlier tracemap collector must go.
	root := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes()
	root.PutInt(AttrDepth, 9)
	root.PutInt(AttrSkew, 9)
	charge := td.ResourceSpans().At(2).ScopeSpans().At(0).Spans().At(0).Attributes()
	charge.PutInt(AttrDepth, 9)
	charge.PutBool(AttrCritical, true)
	charge.PutBool(AttrOrphan, true)
	tr := FromTraces(td)[0]
	tr.WriteAttributes()
	got := map[string]string{}
	for _, s := range tr.Spans {
		got[s.Name] = fmt.Sprint(s.Source.Attributes().AsRaw())
	}
	want := map[string]string{
		"GET /checkout": "map[tracemap.critical:true tracemap.depth:0 tracemap.offset_ns:0 tracemap.self_ns:150]",
		"charge":        "map[tracemap.depth:3 tracemap.offset_ns:275 tracemap.self_ns:100 tracemap.skew_ns:575]",
		"db query":      "map[tracemap.depth:4 tracemap.offset_ns:325 tracemap.self_ns:300 tracemap.skew_ns:575]",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s:\n got %s\nwant %s", name, got[name], w)
		}
	}
	if r := tr.Root(); r < 0 || tr.Spans[r].Name != "GET /checkout" {
		t.Errorf("root %d", r)
	}
	if r := one(t, S(2, 1, "a", "orphan", 0, 1)).Root(); r != -1 {
		t.Errorf("orphan-only trace has root %d", r)
	}
}

func TestLinks(t *testing.T) {
	td := traces(traceA,
		S(1, 0, "a", "root", 0, 100),
		S(2, 1, "a", "producer", 10, 20),
		S(3, 0, "b", "consumer", 30, 60), // a second root, linked to producer
	)
	consumer := td.ResourceSpans().At(1).ScopeSpans().At(0).Spans().At(0)
	for _, l := range []struct {
		trace pcommon.TraceID
		span  uint64
	}{{traceA, 2}, {traceA, 99}, {tracetest.TraceID(7), 1}} {
		link := consumer.Links().AppendEmpty()
		link.SetTraceID(l.trace)
		link.SetSpanID(tracetest.SpanID(l.span))
	}
	tr := FromTraces(td)[0]
	checkInvariants(t, tr)
	c := byName(t, tr, "consumer")
	if len(c.Links) != 1 || tr.Spans[c.Links[0]].Name != "producer" || c.Parent != -1 || c.Orphan {
		t.Errorf("consumer: links %v parent %d orphan %v", c.Links, c.Parent, c.Orphan)
	}
}

func TestRebase(t *testing.T) {
	tr := one(t, S(1, 0, "a", "root", 100, 150), S(2, 1, "a", "child", 110, 120))
	tr.Rebase(t0 + 200) // later: no change
	tr.Rebase(t0 + 40)
	if tr.Start != t0+40 || tr.Duration != 110 || tr.Spans[0].Offset != 60 || tr.Spans[1].Offset != 70 {
		t.Errorf("rebased: start %d duration %d offsets %d %d", tr.Start-t0, tr.Duration, tr.Spans[0].Offset, tr.Spans[1].Offset)
	}
}
