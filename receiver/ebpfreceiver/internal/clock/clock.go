//go:build linux

// Package clock converts the kernel's boot clock (CLOCK_BOOTTIME, what
// bpf_ktime_get_boot_ns returns) to wall-clock time. The offset between the
// two changes when NTP steps the wall clock, so it is refreshed periodically.
package clock

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Clock holds the current wall-minus-boot offset.
type Clock struct {
	offset atomic.Int64 // wall ns - boot ns
	stop   chan struct{}
	wg     sync.WaitGroup
}

// New measures the offset once.
func New() *Clock {
	c := &Clock{}
	c.Refresh()
	return c
}

// Refresh re-measures the offset. The boot clock is read between two reads
// of the wall clock and the narrowest of a few tries is kept, so the error
// is about the cost of one clock read.
func (c *Clock) Refresh() {
	best, bestWidth := int64(0), int64(-1)
	for range 5 {
		before := time.Now().UnixNano()
		boot := bootNanos()
		after := time.Now().UnixNano()
		if w := after - before; bestWidth < 0 || w < bestWidth {
			bestWidth = w
			best = before + w/2 - boot
		}
	}
	c.offset.Store(best)
}

// Start refreshes the offset every interval until Stop.
func (c *Clock) Start(interval time.Duration) {
	c.stop = make(chan struct{})
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				c.Refresh()
			case <-c.stop:
				return
			}
		}
	}()
}

// Stop ends the refresh started by Start.
func (c *Clock) Stop() {
	if c.stop != nil {
		close(c.stop)
		c.wg.Wait()
		c.stop = nil
	}
}

// Wall converts a boot-clock reading in nanoseconds to Unix nanoseconds.
func (c *Clock) Wall(bootNs uint64) uint64 {
	return uint64(int64(bootNs) + c.offset.Load())
}

func bootNanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}
