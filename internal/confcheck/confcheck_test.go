package confcheck

import (
	"errors"
	"testing"
	"time"
)

func TestEveryProblemOneLineWithItsKey(t *testing.T) {
	var sub Problems
	Positive(&sub, "window", time.Duration(0))
	AtLeast(&sub, "max_edges", 0, 1)
	sub.Add("fine", nil)

	var p Problems
	AtLeast(&p, "windows", 1, 1) // no problem
	NotNegative(&p, "hot::min_spans", int64(-2))
	AtLeast(&p, "poll_interval", 10*time.Millisecond, 100*time.Millisecond)
	p.Addf("mode", "must be %q or %q, got %q", "a", "b", "c")
	p.Nested("heat", sub.Err())
	p.Nested("empty", nil)
	p.Nested("edge_store", errors.New("ttl: must be positive, got 0s"))
	p.Squashed(errors.Join(errors.New("window: must be positive, got 0s"), nil))

	want := `hot::min_spans: must not be negative, got -2
poll_interval: must be at least 100ms, got 10ms
mode: must be "a" or "b", got "c"
heat::window: must be positive, got 0s
heat::max_edges: must be at least 1, got 0
edge_store::ttl: must be positive, got 0s
window: must be positive, got 0s`
	if got := p.Err(); got == nil || got.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", got, want)
	}
}

func TestNoProblemIsNil(t *testing.T) {
	var p Problems
	AtLeast(&p, "n", 3, 1)
	Positive(&p, "d", time.Second)
	NotNegative(&p, "f", 0.0)
	p.Nested("x", nil)
	if err := p.Err(); err != nil {
		t.Errorf("got %v", err)
	}
}
