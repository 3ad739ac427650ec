package spantree

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// clipTrace: root [0,100], a [10,20] under root, b [50,90] under root, c
// [60,70] under b (times in ns from 1000).
func clipTrace(t *testing.T) *Tree {
	t.Helper()
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty()
	ss.Resource().Attributes().PutStr("service.name", "svc")
	spans := ss.ScopeSpans().AppendEmpty().Spans()
	tid := [16]byte{1}
	add := func(id, parent byte, name string, start, end int64) {
		s := spans.AppendEmpty()
		s.SetTraceID(tid)
		s.SetSpanID([8]byte{id})
		if parent != 0 {
			s.SetParentSpanID([8]byte{parent})
		}
		s.SetName(name)
		s.SetStartTimestamp(pcommon.Timestamp(1000 + start))
		s.SetEndTimestamp(pcommon.Timestamp(1000 + end))
	}
	add(1, 0, "root", 0, 100)
	add(2, 1, "a", 10, 20)
	add(3, 1, "b", 50, 90)
	add(4, 3, "c", 60, 70)
	trees := FromTraces(td)
	if len(trees) != 1 {
		t.Fatalf("%d trees", len(trees))
	}
	return trees[0]
}

func TestClipKeepsOverlappingSpansCutToTheRange(t *testing.T) {
	tr := clipTrace(t)
	c, orig := tr.Clip(55, 65)
	for j, i := range orig {
		if c.Spans[j].Name != tr.Spans[i].Name {
			t.Fatalf("orig[%d] = %d names %s, the clip's span is %s", j, i, tr.Spans[i].Name, c.Spans[j].Name)
		}
	}
	if c.Start != tr.Start+55 || c.Duration != 10 {
		t.Fatalf("axis: start %d duration %d", c.Start-tr.Start, c.Duration)
	}
	got := map[string][3]int64{}
	for _, s := range c.Spans {
		got[s.Name] = [3]int64{s.Offset, s.End - s.Start, int64(s.Depth)}
	}
	want := map[string][3]int64{"root": {0, 10, 0}, "b": {0, 10, 1}, "c": {5, 5, 2}}
	if len(got) != len(want) {
		t.Fatalf("spans %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: offset, length, depth %v, want %v", k, got[k], v)
		}
	}
	if len(c.Roots) != 1 || c.Spans[c.Roots[0]].Name != "root" {
		t.Fatalf("roots %v", c.Roots)
	}
	b := c.Spans[c.Spans[c.Roots[0]].Children[0]]
	if b.Name != "b" || len(b.Children) != 1 || c.Spans[b.Children[0]].Name != "c" {
		t.Fatalf("structure lost: %+v", b)
	}
	if len(tr.Spans) != 4 || tr.Duration != 100 {
		t.Fatal("Clip changed the tree it was given")
	}
}

func TestClipParentOutsideTheRangeMakesARoot(t *testing.T) {
	tr := clipTrace(t)
	// Cut the root away by building a tree whose root ends before c starts:
	// clip [60,70] of a tree without the root span.
	for i := range tr.Spans {
		if tr.Spans[i].Name == "b" {
			tr.Spans[i].Start, tr.Spans[i].End = tr.Start+80, tr.Start+90
		}
	}
	c, _ := tr.Clip(60, 70)
	names := []string{}
	for _, r := range c.Roots {
		names = append(names, c.Spans[r].Name)
	}
	if len(names) != 2 || names[0] != "root" || names[1] != "c" {
		t.Fatalf("roots %v, want [root c]", names)
	}
}

func TestClipClampsTheRange(t *testing.T) {
	tr := clipTrace(t)
	c, _ := tr.Clip(-50, 1<<40)
	if c.Start != tr.Start || c.Duration != tr.Duration || len(c.Spans) != 4 {
		t.Fatalf("clamped clip: start %d duration %d spans %d", c.Start, c.Duration, len(c.Spans))
	}
	if e, _ := tr.Clip(70, 10); e.Duration != 0 {
		t.Fatalf("to before from: duration %d", e.Duration)
	}
}
