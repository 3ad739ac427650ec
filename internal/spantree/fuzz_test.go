package spantree

import (
	"testing"

	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// FuzzBuild builds trees from random span sets (see tracetest.FromFuzz)
// and checks the invariants every tree must keep.
func FuzzBuild(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 0, 10, 0, 2, 1, 1, 1, 0, 5, 0})
	f.Add([]byte{1, 2, 0, 0, 0, 10, 0, 2, 1, 1, 0, 0, 5, 0, 3, 3, 2, 9, 0, 1, 1})
	f.Add([]byte{1, 0, 0, 0, 0, 10, 0x80, 2, 1, 1, 0xff, 0xff, 5, 0x40})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, tr := range FromTraces(tracetest.FromFuzz(data)) {
			checkInvariants(t, tr)
		}
	})
}
