//go:build unix

package tracetest

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time (user + system) this process has used so far.
// Benchmarks report CPU per span with it: the machines are shared, so wall
// time per operation says more about the neighbours than about the code.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
