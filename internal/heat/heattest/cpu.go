package heattest

import (
	"syscall"
	"time"
)

// CPUTime is the process's user+system CPU time (all threads, the garbage
// collector's included). Per-span CPU figures stay meaningful on a machine
// shared with other work, where wall-clock ns/op is not.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CPUMeter sums CPU time over the timed parts of a benchmark.
type CPUMeter struct {
	total, since time.Duration
}

// Start begins a timed part.
func (m *CPUMeter) Start() { m.since = CPUTime() }

// Stop ends a timed part.
func (m *CPUMeter) Stop() { m.total += CPUTime() - m.since }

// PerOp is the CPU time per unit over n units, in nanoseconds.
func (m *CPUMeter) PerOp(n int) float64 { return float64(m.total.Nanoseconds()) / float64(n) }
