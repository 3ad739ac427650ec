package heat

import (
	"encoding/binary"
	"math/bits"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// idIndex maps the span IDs of one batch to their position: an open
// addressing table rebuilt per batch, cheaper than a Go map for the one
// insert and one lookup per span the hot path makes. The empty span ID is
// never stored (it cannot be anyone's parent) and marks free slots.
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

// put records id at position p; a repeated ID keeps the last position.
func (x *idIndex) put(id pcommon.SpanID, p int32) {
	k := binary.LittleEndian.Uint64(id[:])
	if k == 0 {
		return
	}
	i := x.slot(k)
	x.keys[i], x.pos[i] = k, p
}

// get returns the position of id.
func (x *idIndex) get(id pcommon.SpanID) (int32, bool) {
	k := binary.LittleEndian.Uint64(id[:])
	if k == 0 {
		return 0, false
	}
	i := x.slot(k)
	return x.pos[i], x.keys[i] == k
}
