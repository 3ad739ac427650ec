//go:build linux && amd64

package probes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// Swept counts the calls in flight a Sweep removed because they can
// never end.
type Swept struct {
	// Detached: calls and client streams of processes no longer probed
	// (they exited, or were detached).
	Detached uint64
	// Abandoned: calls whose goroutine ended inside them.
	Abandoned uint64
}

// Goroutine states of runtime.g.atomicstatus that mean the g runs no
// goroutine: _Gdead, and Go 1.26's _Gdeadextra; the _Gscan bit set
// while the garbage collector looks at the g is ignored.
const (
	gDead      = 6
	gDeadExtra = 11
	gScan      = 0x1000
)

// sweepAge is how long a call must have been open before a sweep looks
// at its goroutine: most calls end sooner, and each look reads the
// traced process's memory.
const sweepAge = time.Second

// Sweep removes the calls in flight whose process is no longer probed or
// whose goroutine is gone (it ended, or its g runs another goroutine
// now), and the open client streams of processes no longer probed; their
// spans will never come, and Swept counts them. It reads the goroutines
// of calls open for sweepAge or longer through /proc/<pid>/mem.
func (p *Probes) Sweep() (Swept, error) {
	var sw Swept
	var now unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &now); err != nil {
		return sw, err
	}
	old := uint64(now.Nano()) - uint64(sweepAge)
	procs := map[uint32]*process{}
	defer func() {
		for _, pr := range procs {
			pr.close()
		}
	}()
	lookup := func(pid uint32) *process {
		pr, ok := procs[pid]
		if !ok {
			pr = p.openProcess(pid)
			procs[pid] = pr
		}
		return pr
	}
	err := sweep(p.objs.Inflights, func(k bpfFrameKey, v *bpfInflight) *uint64 {
		pr := lookup(k.Pid)
		switch {
		case pr == nil:
			return &sw.Detached
		case v.Ev.StartNs <= old && !pr.runs(k.G, v.Goid):
			return &sw.Abandoned
		}
		return nil
	}, func(a, b *bpfInflight) bool { return a.Ev.SpanId == b.Ev.SpanId })
	errs := []error{err}
	errs = append(errs, sweep(p.objs.GrpcStreams, func(k bpfG_key, _ *bpfSpanEvent) *uint64 {
		if lookup(k.Pid) == nil {
			return &sw.Detached
		}
		return nil
	}, func(a, b *bpfSpanEvent) bool { return a.SpanId == b.SpanId }))
	return sw, errors.Join(errs...)
}

// sweepBatch is how many entries a sweep reads from a map at once.
const sweepBatch = 256

// sweep deletes the entries of m for which gone names a counter, and
// counts them there. An entry is deleted only when it is still the one
// read (same says so): the BPF programs may have replaced it meanwhile.
func sweep[K comparable, V any](m *ebpf.Map, gone func(K, *V) *uint64, same func(a, b *V) bool) error {
	keys, vals := make([]K, sweepBatch), make([]V, sweepBatch)
	type doomed struct {
		k   K
		v   V
		cnt *uint64
	}
	var del []doomed
	var cursor ebpf.MapBatchCursor
	for {
		n, err := m.BatchLookup(&cursor, keys, vals, nil)
		for i := range n {
			if cnt := gone(keys[i], &vals[i]); cnt != nil {
				del = append(del, doomed{keys[i], vals[i], cnt})
			}
		}
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			break
		}
		if err != nil {
			return fmt.Errorf("sweep %s: %w", m, err)
		}
	}
	var now V
	for _, d := range del {
		if m.Lookup(&d.k, &now) != nil || !same(&now, &d.v) {
			continue
		}
		if err := m.Delete(&d.k); err == nil {
			*d.cnt++
		}
	}
	return nil
}

// process is a probed process as a sweep sees it: its memory and where
// a g keeps its ID and state.
type process struct {
	mem          *os.File
	goid, status uint64
}

// openProcess returns nil for a process without offsets: not probed.
func (p *Probes) openProcess(pid uint32) *process {
	var o bpfGoOffsets
	if err := p.objs.Offsets.Lookup(pid, &o); err != nil {
		return nil
	}
	pr := &process{goid: o.G_goid, status: o.G_status}
	pr.mem, _ = os.Open(fmt.Sprintf("/proc/%d/mem", pid)) // nil: it runs every goroutine (see runs)
	return pr
}

// runs reports whether the g at address g still runs the goroutine goid.
// When its memory cannot be read the goroutine is taken to live on: a
// call is never reclaimed on a guess.
func (pr *process) runs(g, goid uint64) bool {
	if pr.mem == nil {
		return true
	}
	var id, st [8]byte
	if _, err := pr.mem.ReadAt(id[:], int64(g+pr.goid)); err != nil {
		return true
	}
	if _, err := pr.mem.ReadAt(st[:4], int64(g+pr.status)); err != nil {
		return true
	}
	state := binary.LittleEndian.Uint32(st[:4]) &^ gScan
	return binary.LittleEndian.Uint64(id[:]) == goid && state != gDead && state != gDeadExtra
}

func (pr *process) close() {
	if pr != nil && pr.mem != nil {
		pr.mem.Close()
	}
}
