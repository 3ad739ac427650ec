package svgexporter

// The window being filled, handed to the tracemap extension of the same
// collector (internal/live) so its live map moves within a second, not at
// the window's end. Nothing is computed while no extension watches.

import (
	"time"

	"github.com/tracemap/tracemap/internal/live"
	"github.com/tracemap/tracemap/internal/summary"
)

// liveInterval is how often the filling window is handed over.
const liveInterval = time.Second

// publishLive hands over the current window when it changed since the last
// call; published is the trace count it last handed over.
func (e *svgExporter) publishLive(board *live.Board, published *int64) {
	if !e.windowed() || !board.Watched() {
		return
	}
	e.mu.Lock()
	w := e.win
	n := w.Traces()
	if n == 0 || n == *published {
		e.mu.Unlock()
		return
	}
	s, err := w.Summary()
	e.mu.Unlock()
	if err != nil {
		return // a histogram that cannot be encoded: the window's end reports it
	}
	s.Gateways = []summary.Gateway{e.gateway}
	*published = n
	board.Publish(e.gateway.ID, s)
}
