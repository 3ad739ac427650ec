// Package live hands the window a collector is filling from the svg exporter
// to the tracemap extension of the same process, so the live service map
// moves within seconds instead of waiting for the window to end and reach
// the bucket. It holds one summary per gateway: the newest published.
package live

import (
	"sync"

	"github.com/tracemap/tracemap/internal/summary"
)

// Board is a set of current windows, one per gateway.
type Board struct {
	mu       sync.Mutex
	current  map[string]*summary.Summary
	updated  chan struct{}
	watchers int
}

// NewBoard returns an empty board.
func NewBoard() *Board {
	return &Board{current: map[string]*summary.Summary{}, updated: make(chan struct{})}
}

// Default is the board of this process: the exporter publishes to it and
// the extension reads it.
var Default = NewBoard()

// Publish replaces gateway's current window with s (which the caller must
// not change afterwards) and wakes the readers.
func (b *Board) Publish(gateway string, s *summary.Summary) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.current[gateway] = s
	close(b.updated)
	b.updated = make(chan struct{})
}

// Watch registers a reader; until one is registered, publishers need not
// compute what nobody reads (Watched). The returned func unregisters it.
func (b *Board) Watch() (stop func()) {
	b.mu.Lock()
	b.watchers++
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.watchers--
			b.mu.Unlock()
		})
	}
}

// Watched reports whether a reader is registered.
func (b *Board) Watched() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.watchers > 0
}

// Withdraw removes gateway's window (the exporter shut down).
func (b *Board) Withdraw(gateway string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.current[gateway]; !ok {
		return
	}
	delete(b.current, gateway)
	close(b.updated)
	b.updated = make(chan struct{})
}

// Current returns the published windows and a channel closed at the next
// change.
func (b *Board) Current() ([]*summary.Summary, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]*summary.Summary, 0, len(b.current))
	for _, s := range b.current {
		out = append(out, s)
	}
	return out, b.updated
}
