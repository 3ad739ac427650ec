// Package spanindex is tracemap's one span-ID hash index: an open-addressing
// table from 64-bit span keys to positions, keyed with a random per-process
// seed so that crafted span IDs cannot pile onto one slot or collide on
// purpose. internal/spantree indexes one trace by span ID; internal/heat
// indexes batches of many traces and its recent-span table by (trace ID,
// span ID).
package spanindex

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// seed keys every hash of the package; fixed for the life of the process.
var seed = rand.Uint64() | 1

// Index maps keys to positions 0..n-1: int32 slots over a key array, a
// third of the memory of a map and one allocation each. The zero value is
// unusable until Reset.
type Index struct {
	slots []int32  // position + 1; 0 is empty
	keys  []uint64 // key of each position
	shift uint
	n     int
}

// Reset empties the index for up to n positions (at most half full).
func (x *Index) Reset(n int) {
	b := bits.Len(uint(2*max(n, 1) - 1)) // 2n <= 1<<b
	if cap(x.slots) < 1<<b {
		x.slots = make([]int32, 1<<b)
	} else {
		// Only the slots of the last size can be set, and none when nothing
		// was added: an index never used keeps its pages untouched. Keys
		// need no clearing: only slots point at them.
		if x.n > 0 {
			clear(x.slots)
		}
		x.slots = x.slots[:1<<b]
	}
	if cap(x.keys) < max(n, 1) {
		x.keys = make([]uint64, max(n, 1))
	}
	x.keys = x.keys[:max(n, 1)]
	x.shift = uint(64 - b)
	x.n = 0
}

// Cap is the number of positions Reset sized the index for.
func (x *Index) Cap() int { return len(x.keys) }

// Len is the number of keys added since Reset.
func (x *Index) Len() int { return x.n }

// SpanKey is the key of a span ID within one trace.
func SpanKey(id pcommon.SpanID) uint64 { return binary.LittleEndian.Uint64(id[:]) }

// TraceMix is the trace's part of TraceSpanKey; spans of one trace usually
// come together, so callers compute it once per run of a trace.
func TraceMix(trace pcommon.TraceID) uint64 {
	return mix(binary.LittleEndian.Uint64(trace[:8])^seed) ^ mix(binary.LittleEndian.Uint64(trace[8:])+seed)
}

// TraceSpanKey is the key of (trace ID, span ID), for indexes that hold
// many traces: span IDs need only be unique within a trace. The mix is
// seeded, so equal keys for different pairs cannot be crafted; they remain
// possible by chance (about n²/2⁶⁴), which is why a batch index confirms a
// hit on the span itself.
func TraceSpanKey(traceMix uint64, span pcommon.SpanID) uint64 {
	return mix(SpanKey(span) ^ traceMix)
}

// mix is murmur3's 64-bit finaliser: every input bit reaches every output bit.
func mix(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	return k ^ k>>33
}

// slot is where the probe for key starts.
func (x *Index) slot(key uint64) int { return int(mix(key^seed) >> x.shift) }

// Add indexes position i (< Cap) under key unless the key is taken; it
// reports whether it was added. The first position added for a key keeps it.
func (x *Index) Add(key uint64, i int) bool {
	mask := len(x.slots) - 1
	for s := x.slot(key); ; s = (s + 1) & mask {
		v := x.slots[s]
		if v == 0 {
			x.slots[s] = int32(i + 1)
			x.keys[i] = key
			x.n++
			return true
		}
		if x.keys[v-1] == key {
			return false
		}
	}
}

// Set indexes position i (< Cap) under key, in place of the position the
// key had, if any.
func (x *Index) Set(key uint64, i int) {
	mask := len(x.slots) - 1
	for s := x.slot(key); ; s = (s + 1) & mask {
		v := x.slots[s]
		if v == 0 {
			x.n++
		} else if x.keys[v-1] != key {
			continue
		}
		x.slots[s] = int32(i + 1)
		x.keys[i] = key
		return
	}
}

// Find returns the position indexed under key, or -1.
func (x *Index) Find(key uint64) int {
	mask := len(x.slots) - 1
	for s := x.slot(key); ; s = (s + 1) & mask {
		v := x.slots[s]
		if v == 0 {
			return -1
		}
		if x.keys[v-1] == key {
			return int(v - 1)
		}
	}
}
