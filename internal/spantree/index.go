package spantree

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// idIndex maps span IDs to the index of the first span with that ID: an
// open-addressing table of int32 slots over a key array, a third of the
// memory of a map and one allocation each. The hash is keyed with a random
// per-process seed, so crafted span IDs cannot pile onto one slot.
type idIndex struct {
	slots []int32  // span index + 1; 0 is empty
	keys  []uint64 // key of each span index
	shift uint
}

var hashSeed = rand.Uint64()

// reset empties the index for n spans.
func (x *idIndex) reset(n int) {
	b := bits.Len(uint(2*max(n, 1) - 1)) // 2n <= 1<<b: at most half full
	resize(&x.slots, 1<<b)
	resize(&x.keys, n)
	x.shift = uint(64 - b)
}

func idKey(id pcommon.SpanID) uint64 { return binary.LittleEndian.Uint64(id[:]) }

// slot is where the probe for key starts (murmur3's 64-bit finaliser).
func (x *idIndex) slot(key uint64) int {
	k := key ^ hashSeed
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return int(k >> x.shift)
}

// add indexes span i under key unless the key is taken; it reports whether
// it was added.
func (x *idIndex) add(key uint64, i int) bool {
	mask := len(x.slots) - 1
	for s := x.slot(key); ; s = (s + 1) & mask {
		v := x.slots[s]
		if v == 0 {
			x.slots[s] = int32(i + 1)
			x.keys[i] = key
			return true
		}
		if x.keys[v-1] == key {
			return false
		}
	}
}

// find returns the span indexed under key, or -1.
func (x *idIndex) find(key uint64) int {
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
