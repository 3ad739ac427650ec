package loadgen

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestTracesFollowTheShape(t *testing.T) {
	shape := Shape{Services: 5, Depth: 3, Fanout: 2, ErrorShare: 0.5, Seed: 11}
	if got := shape.SpansPerTrace(); got != 29 {
		t.Fatalf("SpansPerTrace = %d, want 1 + 2*(2+4+8) = 29", got)
	}
	g, err := NewGenerator(shape)
	if err != nil {
		t.Fatal(err)
	}
	td := g.Traces(200)
	if td.ResourceSpans().Len() != 5 {
		t.Fatalf("%d resource spans, want one per service", td.ResourceSpans().Len())
	}
	spans := map[pcommon.TraceID]int{}
	failed := map[pcommon.TraceID]bool{}
	byID := map[pcommon.SpanID]ptrace.Span{}
	for _, rs := range td.ResourceSpans().All() {
		for _, s := range rs.ScopeSpans().At(0).Spans().All() {
			spans[s.TraceID()]++
			if s.Status().Code() == ptrace.StatusCodeError {
				failed[s.TraceID()] = true
			}
			byID[s.SpanID()] = s
		}
	}
	if len(spans) != 200 {
		t.Fatalf("%d traces, want 200", len(spans))
	}
	for id, n := range spans {
		if n != 29 {
			t.Fatalf("trace %s has %d spans, want 29", id, n)
		}
	}
	if len(failed) < 70 || len(failed) > 130 {
		t.Fatalf("%d of 200 traces failed, want about half", len(failed))
	}
	// Children start and end inside their parents and the depth is 2*Depth.
	maxDepth := 0
	for _, s := range td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().All() {
		if !s.ParentSpanID().IsEmpty() {
			continue
		}
		var walk func(id pcommon.SpanID, depth int)
		walk = func(id pcommon.SpanID, depth int) {
			maxDepth = max(maxDepth, depth)
			for _, c := range byID {
				if c.ParentSpanID() == id && c.TraceID() == s.TraceID() {
					p := byID[id]
					if c.StartTimestamp() < p.StartTimestamp() || c.EndTimestamp() > p.EndTimestamp() {
						t.Fatalf("child %s outside its parent", c.Name())
					}
					walk(c.SpanID(), depth+1)
				}
			}
		}
		walk(s.SpanID(), 0)
		break
	}
	if maxDepth != 6 {
		t.Fatalf("depth %d, want 6", maxDepth)
	}
}

func TestShapeValidate(t *testing.T) {
	for _, s := range []Shape{{Services: 1, Depth: 1, Fanout: 1}, {Services: 2, Fanout: 1}, {Services: 2, Depth: 1}, {Services: 2, Depth: 1, Fanout: 1, ErrorShare: 2}} {
		if _, err := NewGenerator(s); err == nil {
			t.Errorf("shape %+v accepted", s)
		}
	}
}
