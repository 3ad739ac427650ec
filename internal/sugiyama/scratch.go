package sugiyama

import "sync"

// workspace hands out the slices one Layout call works in, from arrays
// reused across calls, so that laying out a small graph does not spend a
// third of its time allocating and clearing fresh memory. The slices come
// zeroed and are only used until the call returns: nothing in a Result
// points into them.
type workspace struct {
	ints   arena[int]
	floats arena[float64]
	bools  arena[bool]
	lists  arena[[]int]
	arcs   arena[arc]
	kept   arena[keptPair]
	cons   arena[con]
	order  orderScratch
}

// maxKeptDiff bounds the sifting matrix a workspace keeps (4 MB).
const maxKeptDiff = 1 << 20

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

// release returns ws to the pool for the next call.
func (ws *workspace) release() {
	clear(ws.lists.buf[:ws.lists.used]) // keep no other call's arrays alive
	if cap(ws.order.diff) > maxKeptDiff {
		ws.order.diff = nil // a huge layer's sifting matrix: not worth keeping
	}
	ws.ints.used, ws.floats.used, ws.bools.used, ws.lists.used, ws.arcs.used, ws.kept.used, ws.cons.used = 0, 0, 0, 0, 0, 0, 0
	workspaces.Put(ws)
}

// arena is a bump allocator over one array. When the array is full it
// starts a larger one; slices taken from the old one keep it alive until
// they are dropped, and the next call only uses the larger.
type arena[T any] struct {
	buf  []T
	used int
}

// take returns n zeroed elements (length and capacity n).
func (a *arena[T]) take(n int) []T {
	if a.used+n > len(a.buf) {
		a.buf = make([]T, max(2*len(a.buf), n, 256))
		a.used = 0
	}
	s := a.buf[a.used : a.used+n : a.used+n]
	a.used += n
	clear(s)
	return s
}
