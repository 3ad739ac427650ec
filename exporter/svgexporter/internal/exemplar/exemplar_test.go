package exemplar

import (
	"fmt"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func id(n int) pcommon.TraceID {
	var t pcommon.TraceID
	t[15] = byte(n)
	t[14] = byte(n >> 8)
	return t
}

var (
	shop = Key{Service: "shop"}
	db   = Key{Service: "db"}
	call = Key{From: "shop", To: "db"}
)

func describe(cs []Chosen) []string {
	var out []string
	for _, c := range cs {
		s := fmt.Sprint(int(c.ID[14])<<8 | int(c.ID[15]))
		for _, r := range c.Roles {
			s += " " + r.Reason + ":" + r.Key.Service + r.Key.From + ">" + r.Key.To
		}
		out = append(out, s)
	}
	return out
}

// TestSlowestAreKeptInBoundedMemory: of 1000 traces of one key only K
// slowest and one typical are ever held, and the others are released.
func TestSlowestAreKeptInBoundedMemory(t *testing.T) {
	c := New(Options{PerKey: 2, MaxKeys: 10, MaxPictures: 10})
	held := map[pcommon.TraceID]bool{}
	for i := 1; i <= 1000; i++ {
		// durations 1..1000 ms in a scrambled order, median 500 ms
		d := int64((i*389)%1000+1) * 1e6
		kept, rel := c.Offer(Offer{ID: id(i), DurationNs: d, Keys: []Key{shop}, Slow: []Key{shop}})
		if kept {
			held[id(i)] = true
		}
		for _, r := range rel {
			if !held[r] {
				t.Fatalf("released %v, not held", r)
			}
			delete(held, r)
		}
		if c.Held() > 3 || len(held) != c.Held() {
			t.Fatalf("after %d offers: chooser holds %d, caller %d", i, c.Held(), len(held))
		}
	}
	got := describe(c.Choose())
	// (i*389)%1000+1 == 1000 at i=491, == 999 at i=982; Choose lists the
	// slowest first, then the typical trace.
	if len(got) != 3 || got[0] != "491 slow:shop>" || got[2] != "982 slow:shop>" {
		t.Fatalf("chosen %q", got)
	}
	var typ int
	fmt.Sscan(got[1], &typ)
	d := (typ*389)%1000 + 1
	// 4 buckets per power of two: the median bucket of 1..1000 ms holds
	// 476..536 ms (2^28.83 .. 2^29 ns).
	if typ != 225 || d != 526 || got[1] != "225 typical:shop>" {
		t.Fatalf("typical %q has %d ms", got[1], d)
	}
}

// TestErrorsFirstKAndOneTraceOnce: the first K error traces of a key are
// kept, and a trace that is exemplar of several keys is chosen once with
// all its roles.
func TestErrorsFirstKAndOneTraceOnce(t *testing.T) {
	c := New(Options{PerKey: 2, MaxKeys: 10, MaxPictures: 10})
	for i := 1; i <= 4; i++ {
		c.Offer(Offer{ID: id(i), DurationNs: int64(i) * 1e6, Keys: []Key{shop, db, call}, Error: []Key{db, call}, Slow: []Key{db}})
	}
	got := describe(c.Choose())
	// Round 0: every key's first error (trace 1 for the edge and db), the
	// slowest of db (4), every key's typical trace (durations 1..4 ms: the
	// median bucket is 2 ms's, and 3 ms lies closer to it than 1 ms);
	// round 1: the second errors (2) and the second slowest (3, already in).
	// Keys sort by Service then From, To: the edge ("" service) first.
	want := []string{
		"1 error:shop>db error:db>",
		"4 slow:db>",
		"3 typical:shop>db typical:db> typical:shop> slow:db>",
		"2 error:shop>db error:db>",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("chosen\n%q\nwant\n%q", got, want)
	}
}

// TestCapRoundRobin: the cap takes every key's first pick before any
// key's second.
func TestCapRoundRobin(t *testing.T) {
	c := New(Options{PerKey: 3, MaxKeys: 10, MaxPictures: 3})
	n := 0
	for _, k := range []Key{{Service: "a"}, {Service: "b"}, {Service: "c"}} {
		for j := 0; j < 3; j++ {
			n++
			c.Offer(Offer{ID: id(n), DurationNs: 1e6, Error: []Key{k}})
		}
	}
	got := describe(c.Choose())
	if want := []string{"1 error:a>", "4 error:b>", "7 error:c>"}; !slices.Equal(got, want) {
		t.Fatalf("chosen %q, want %q", got, want)
	}
}

// TestMaxKeys: keys beyond the bound are not tracked, and counted.
func TestMaxKeys(t *testing.T) {
	c := New(Options{PerKey: 1, MaxKeys: 1, MaxPictures: 10})
	c.Offer(Offer{ID: id(1), DurationNs: 1, Keys: []Key{shop}})
	kept, _ := c.Offer(Offer{ID: id(2), DurationNs: 1, Keys: []Key{db}})
	if kept || c.Untracked != 1 || c.Held() != 1 {
		t.Fatalf("kept %v, untracked %d, held %d", kept, c.Untracked, c.Held())
	}
}

func TestBucket(t *testing.T) {
	for ns, want := range map[int64]int{0: 0, 1: 0, 2: 4, 3: 6, 4: 8, 5: 9, 6: 10, 7: 11, 8: 12, 1 << 50: histBuckets - 1} {
		if got := bucket(ns); got != want {
			t.Errorf("bucket(%d) = %d, want %d", ns, got, want)
		}
	}
}
