package heat

import (
	"time"

	"github.com/tracemap/tracemap/internal/testutil/heattest"
)

// clock is an injectable clock for window tests.
type clock struct{ t time.Time }

func newClock() *clock                   { return &clock{t: time.Unix(1_700_000_000, 0)} }
func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

type sp = heattest.Span

var (
	build = heattest.Build
	ms    = heattest.Ms
)
