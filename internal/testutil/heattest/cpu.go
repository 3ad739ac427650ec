package heattest

import (
	"time"

	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// CPUMeter sums the process's CPU time (all threads, the garbage collector's
// included) over the timed parts of a benchmark: per-span CPU figures stay
// meaningful on a machine shared with other work, where wall time is not.
type CPUMeter struct {
	total, since time.Duration
}

// Start begins a timed part.
func (m *CPUMeter) Start() { m.since = tracetest.CPUTime() }

// Stop ends a timed part.
func (m *CPUMeter) Stop() { m.total += tracetest.CPUTime() - m.since }

// PerOp is the CPU time per unit over n units, in nanoseconds.
func (m *CPUMeter) PerOp(n int) float64 { return float64(m.total.Nanoseconds()) / float64(n) }
