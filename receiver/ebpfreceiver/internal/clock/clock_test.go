//go:build linux

package clock

import (
	"testing"
	"time"
)

func TestWallMatchesNow(t *testing.T) {
	c := New()
	before := time.Now().UnixNano()
	got := int64(c.Wall(uint64(bootNanos())))
	after := time.Now().UnixNano()
	// The conversion may be off by the width of the measurement, a few µs.
	if got < before-50_000 || got > after+50_000 {
		t.Fatalf("Wall(now) = %d, want within [%d, %d]", got, before, after)
	}
}

func TestRefreshFollowsOffset(t *testing.T) {
	c := New()
	c.offset.Store(0) // as if the wall clock had been stepped
	if c.Wall(1000) != 1000 {
		t.Fatal("offset not applied")
	}
	c.Start(time.Millisecond)
	defer c.Stop()
	deadline := time.Now().Add(2 * time.Second)
	for c.offset.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("periodic refresh did not restore the offset")
		}
		time.Sleep(time.Millisecond)
	}
}
