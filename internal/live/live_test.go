package live

import (
	"testing"
	"time"

	"github.com/tracemap/tracemap/internal/summary"
)

func TestPublishWakesReadersAndReplacesTheGatewaysWindow(t *testing.T) {
	b := NewBoard()
	cur, ch := b.Current()
	if len(cur) != 0 {
		t.Fatalf("new board holds %d windows", len(cur))
	}
	w1 := &summary.Summary{Start: time.Unix(60, 0), Traces: 1}
	b.Publish("gw-a", w1)
	select {
	case <-ch:
	default:
		t.Fatal("Publish did not wake the reader")
	}
	b.Publish("gw-a", &summary.Summary{Start: time.Unix(60, 0), Traces: 5})
	b.Publish("gw-b", &summary.Summary{Start: time.Unix(60, 0), Traces: 2})
	cur, ch = b.Current()
	var sum int64
	for _, s := range cur {
		sum += s.Traces
	}
	if len(cur) != 2 || sum != 7 {
		t.Fatalf("%d windows, %d traces; want 2 windows, 7 traces", len(cur), sum)
	}
	b.Withdraw("gw-b")
	b.Withdraw("gw-b") // twice: no second wake-up, no panic
	select {
	case <-ch:
	default:
		t.Fatal("Withdraw did not wake the reader")
	}
	if cur, _ = b.Current(); len(cur) != 1 || cur[0].Traces != 5 {
		t.Fatalf("after withdraw: %+v", cur)
	}
}

func TestWatchedOnlyWhileAReaderIsRegistered(t *testing.T) {
	b := NewBoard()
	if b.Watched() {
		t.Fatal("a new board is watched")
	}
	stop1, stop2 := b.Watch(), b.Watch()
	stop1()
	stop1() // twice: counted once
	if !b.Watched() {
		t.Fatal("one reader left, board not watched")
	}
	stop2()
	if b.Watched() {
		t.Fatal("no reader left, board still watched")
	}
}
