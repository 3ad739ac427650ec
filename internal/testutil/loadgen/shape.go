// Package loadgen builds realistic multi-service traces and sends pre-built
// OTLP batches to a collector as fast as it takes them.
package loadgen

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Shape describes the traces to generate. Every call from one service to the
// next is a CLIENT span in the caller with a SERVER span of the callee under it.
type Shape struct {
	Services   int     // distinct services, at least 2
	Depth      int     // service hops below the root, so span depth is 2*Depth
	Fanout     int     // calls each server span makes, until Depth is reached
	ErrorShare float64 // share of traces with a failing call
	Seed       uint64
}

// DefaultShape is the harness's reference load: 29 spans per trace over
// 8 services, 4 hops deep, 5% of traces failing.
var DefaultShape = Shape{Services: 8, Depth: 3, Fanout: 2, ErrorShare: 0.05, Seed: 1}

// Validate reports a shape that cannot be generated.
func (s Shape) Validate() error {
	switch {
	case s.Services < 2:
		return fmt.Errorf("services must be at least 2, got %d", s.Services)
	case s.Depth < 1:
		return fmt.Errorf("depth must be at least 1, got %d", s.Depth)
	case s.Fanout < 1:
		return fmt.Errorf("fanout must be at least 1, got %d", s.Fanout)
	case s.ErrorShare < 0 || s.ErrorShare > 1:
		return fmt.Errorf("error share must be within 0..1, got %g", s.ErrorShare)
	}
	return nil
}

// SpansPerTrace is how many spans every generated trace has.
func (s Shape) SpansPerTrace() int {
	calls, level := 0, 1
	for d := 0; d < s.Depth; d++ {
		level *= s.Fanout
		calls += level
	}
	return 1 + 2*calls
}

// Generator makes traces of one Shape from its seed, so runs are repeatable.
type Generator struct {
	shape Shape
	rng   *rand.Rand
	base  time.Time
}

// NewGenerator validates shape and returns a generator for it.
func NewGenerator(shape Shape) (*Generator, error) {
	if err := shape.Validate(); err != nil {
		return nil, err
	}
	return &Generator{
		shape: shape,
		rng:   rand.New(rand.NewPCG(shape.Seed, shape.Seed^0x9e3779b97f4a7c15)),
		base:  time.Unix(1_700_000_000, 0),
	}, nil
}

// Traces returns n new traces, batched the way an agent tier sends them:
// one ResourceSpans per service holding that service's spans of all n traces.
func (g *Generator) Traces(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	scopes := make([]ptrace.SpanSlice, g.shape.Services)
	for i := range scopes {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", serviceName(i))
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("tracemap/loadgen")
		scopes[i] = ss.Spans()
	}
	for range n {
		g.trace(scopes)
	}
	return td
}

func serviceName(i int) string {
	names := []string{"frontend", "checkout", "payment", "inventory", "shipping", "catalog", "users", "email"}
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("service-%d", i)
}

type genCtx struct {
	scopes  []ptrace.SpanSlice
	rng     *rand.Rand
	traceID pcommon.TraceID
	failAt  int // index of the call that fails, -1 for none
	call    int
}

func (g *Generator) trace(scopes []ptrace.SpanSlice) {
	c := &genCtx{scopes: scopes, rng: g.rng, failAt: -1}
	binary.BigEndian.PutUint64(c.traceID[:8], g.rng.Uint64())
	binary.BigEndian.PutUint64(c.traceID[8:], g.rng.Uint64())
	if g.rng.Float64() < g.shape.ErrorShare {
		c.failAt = g.rng.IntN(g.shape.SpansPerTrace() / 2)
	}
	start := g.base.Add(time.Duration(g.rng.Int64N(int64(time.Hour))))
	dur := time.Duration(10+g.rng.IntN(490)) * time.Millisecond
	g.server(c, 0, pcommon.SpanID{}, 0, start, dur, false)
}

func (c *genCtx) spanID() pcommon.SpanID {
	var id pcommon.SpanID
	binary.BigEndian.PutUint64(id[:], c.rng.Uint64()|1) // never the empty ID
	return id
}

// server appends a SERVER span of service svc and the calls it makes; it
// returns whether the span failed, by itself (fail) or through a callee.
func (g *Generator) server(c *genCtx, svc int, parent pcommon.SpanID, depth int, start time.Time, dur time.Duration, fail bool) bool {
	s := c.scopes[svc].AppendEmpty()
	id := c.spanID()
	fill(s, c.traceID, id, parent, ptrace.SpanKindServer, "GET /"+serviceName(svc), start, dur)
	failed := fail
	if depth < g.shape.Depth {
		slot := dur / time.Duration(g.shape.Fanout+1)
		for i := range g.shape.Fanout {
			callStart := start.Add(slot/2 + time.Duration(i)*slot)
			callee := 1 + g.rng.IntN(g.shape.Services-1)
			failed = g.client(c, svc, callee, id, depth, callStart, slot) || failed
		}
	}
	if failed {
		s.Status().SetCode(ptrace.StatusCodeError)
	}
	return failed
}

func (g *Generator) client(c *genCtx, caller, callee int, parent pcommon.SpanID, depth int, start time.Time, dur time.Duration) bool {
	s := c.scopes[caller].AppendEmpty()
	id := c.spanID()
	fill(s, c.traceID, id, parent, ptrace.SpanKindClient, "call "+serviceName(callee), start, dur)
	s.Attributes().PutStr("peer.service", serviceName(callee))
	fail := c.call == c.failAt
	c.call++
	net := dur / 10
	failed := g.server(c, callee, id, depth+1, start.Add(net/2), dur-net, fail)
	if failed {
		s.Status().SetCode(ptrace.StatusCodeError)
		s.Status().SetMessage("upstream failed")
	}
	return failed
}

func fill(s ptrace.Span, tid pcommon.TraceID, id, parent pcommon.SpanID, kind ptrace.SpanKind, name string, start time.Time, dur time.Duration) {
	s.SetTraceID(tid)
	s.SetSpanID(id)
	s.SetParentSpanID(parent)
	s.SetKind(kind)
	s.SetName(name)
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(dur)))
}
