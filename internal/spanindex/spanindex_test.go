package spanindex

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestAddFindFirstWins(t *testing.T) {
	var x Index
	x.Reset(3)
	if x.Cap() != 3 || x.Len() != 0 {
		t.Fatalf("cap %d len %d", x.Cap(), x.Len())
	}
	a, b := SpanKey(pcommon.SpanID{7: 1}), SpanKey(pcommon.SpanID{7: 2})
	if !x.Add(a, 0) || !x.Add(b, 1) || x.Add(a, 2) {
		t.Fatal("Add: want true, true, then false for a repeated key")
	}
	if x.Find(a) != 0 || x.Find(b) != 1 || x.Find(SpanKey(pcommon.SpanID{7: 3})) != -1 || x.Len() != 2 {
		t.Fatalf("Find = %d %d, len %d", x.Find(a), x.Find(b), x.Len())
	}
	x.Reset(1)
	if x.Find(a) != -1 || x.Len() != 0 {
		t.Fatal("Reset must empty the index")
	}
	// Shrunk, then grown back without an Add in between: nothing of the
	// first size's keys may come back.
	x.Reset(3)
	if x.Find(a) != -1 || x.Find(b) != -1 || !x.Add(b, 0) || x.Find(b) != 0 {
		t.Fatal("Reset to a larger size must not bring back earlier keys")
	}
}

// Set moves a key to a new position, or adds it.
func TestSetReplaces(t *testing.T) {
	var x Index
	x.Reset(4)
	a, b := SpanKey(pcommon.SpanID{7: 1}), SpanKey(pcommon.SpanID{7: 2})
	x.Add(a, 0)
	x.Set(a, 2)
	x.Set(b, 3)
	if x.Find(a) != 2 || x.Find(b) != 3 || x.Len() != 2 {
		t.Fatalf("Find = %d %d, len %d", x.Find(a), x.Find(b), x.Len())
	}
}

// Span IDs that differ only in their high byte, or only in their trace,
// still get distinct keys and all resolve.
func TestTraceSpanKeysDistinct(t *testing.T) {
	const n = 4096
	var x Index
	x.Reset(n)
	for i := 0; i < n; i++ {
		tm := TraceMix(pcommon.TraceID{0: byte(i % 16)})
		k := TraceSpanKey(tm, pcommon.SpanID{0: byte(i / 16), 1: byte(i >> 12)})
		if !x.Add(k, i) {
			t.Fatalf("key %d collides", i)
		}
	}
	for i := 0; i < n; i++ {
		tm := TraceMix(pcommon.TraceID{0: byte(i % 16)})
		if got := x.Find(TraceSpanKey(tm, pcommon.SpanID{0: byte(i / 16), 1: byte(i >> 12)})); got != i {
			t.Fatalf("Find(%d) = %d", i, got)
		}
	}
}
