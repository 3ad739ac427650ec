package heat

import (
	"encoding/binary"
	"math/bits"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// idIndex maps the (trace ID, span ID) pairs of one batch to their position:
// an open addressing table of 64-bit digests rebuilt per batch, cheaper than
// a Go map for the one insert and one lookup per span the hot path makes.
// Span IDs only need be unique within a trace, so the trace ID is part of the
// digest. Digests can collide, so callers confirm a hit on the span itself.
// Empty span IDs are never stored (they cannot be anyone's parent).
type idIndex struct {
	keys  []uint64
	pos   []int32
	shift uint8
}

// reset empties the index and sizes it for n spans (load factor <= 1/2).
func (x *idIndex) reset(n int) {
	size := 8
	for size < 2*n {
		size <<= 1
	}
	if cap(x.keys) < size {
		x.keys, x.pos = make([]uint64, size), make([]int32, size)
	} else {
		x.keys, x.pos = x.keys[:size], x.pos[:size]
		clear(x.keys)
	}
	x.shift = uint8(64 - bits.TrailingZeros(uint(size)))
}

// slot returns where k lives or would go. Fibonacci hashing spreads IDs
// whose entropy sits in any byte.
func (x *idIndex) slot(k uint64) int {
	mask := len(x.keys) - 1
	i := int((k * 0x9E3779B97F4A7C15) >> x.shift)
	for x.keys[i] != 0 && x.keys[i] != k {
		i = (i + 1) & mask
	}
	return i
}

// traceMix is the trace ID's part of a digest; spans of one trace usually
// arrive together, so callers compute it once per run of a trace.
func traceMix(trace pcommon.TraceID) uint64 {
	return mix64(binary.LittleEndian.Uint64(trace[:8]) ^ mix64(binary.LittleEndian.Uint64(trace[8:])))
}

// digest combines traceMix and a span ID into a non-zero key (0 marks free
// slots).
func digest(tmix uint64, span pcommon.SpanID) uint64 {
	k := binary.LittleEndian.Uint64(span[:]) ^ tmix
	if k == 0 {
		k = 1
	}
	return k
}

// mix64 is the splitmix64 finalizer: every input bit reaches every output bit.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// put records the span at position p; a repeated pair keeps the last.
func (x *idIndex) put(tmix uint64, span pcommon.SpanID, p int32) {
	if span.IsEmpty() {
		return
	}
	k := digest(tmix, span)
	i := x.slot(k)
	x.keys[i], x.pos[i] = k, p
}

// get returns the position recorded for the pair, if any.
func (x *idIndex) get(tmix uint64, span pcommon.SpanID) (int32, bool) {
	if span.IsEmpty() {
		return 0, false
	}
	k := digest(tmix, span)
	i := x.slot(k)
	return x.pos[i], x.keys[i] == k
}
