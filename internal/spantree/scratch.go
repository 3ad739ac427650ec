package spantree

import (
	"sync"

	"github.com/tracemap/tracemap/internal/spanindex"
)

// scratch is the working memory of one Build, reused across builds so that
// a batch of small traces does not allocate it per trace. What the Tree
// keeps (Spans, child lists, Roots) is never taken from it.
type scratch struct {
	stamp, off, next []int32
	order, kids      []int
	pathOrder, path  []int
	rank, top        []int32
	starts, from, to []int64
	inside           []bool
	frames           []frame
	ids              spanindex.Index
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooledSpans keeps the scratch of huge traces out of the pool, so one
// million-span trace does not pin its working memory.
const maxPooledSpans = 1 << 16

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func (sc *scratch) put(spans int) {
	if spans <= maxPooledSpans {
		scratchPool.Put(sc)
	}
}

func (sc *scratch) index(n int) *spanindex.Index {
	sc.ids.Reset(n)
	return &sc.ids
}

// resize sets *s to n zeroed elements, reusing its array when large enough.
func resize[T any](s *[]T, n int) []T {
	if cap(*s) < n {
		*s = make([]T, n)
	} else {
		*s = (*s)[:n]
		clear(*s)
	}
	return *s
}
