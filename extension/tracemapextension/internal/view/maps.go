package view

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tracemap/tracemap/extension/tracemapextension/internal/store"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/summary"
	"github.com/tracemap/tracemap/internal/svgrender"
)

// mapCache keeps the drawn map of each window summary: summaries are never
// changed once the store publishes them, so a map is drawn once however many
// browsers look at it.
type mapCache struct {
	mu   sync.Mutex
	svgs map[*summary.Summary][]byte
	// drawing serialises the drawing of maps, so that browsers asking for
	// the same new window at once wait for one drawing instead of each
	// making their own.
	drawing sync.Mutex
}

func (c *mapCache) get(s *summary.Summary) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.svgs[s]
}

// put keeps svg for s and forgets the maps of summaries no longer shown.
func (c *mapCache) put(s *summary.Summary, svg []byte, shown []store.Window) {
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := make(map[*summary.Summary][]byte, len(shown))
	for _, w := range shown {
		if b, ok := c.svgs[w.Summary]; ok {
			keep[w.Summary] = b
		}
	}
	keep[s] = svg
	c.svgs = keep
}

// drawMap returns the service map of w, drawn or from the cache.
func (h *Handler) drawMap(ctx context.Context, w store.Window, shown []store.Window) ([]byte, error) {
	if b := h.maps.get(w.Summary); b != nil {
		return b, nil
	}
	h.maps.drawing.Lock()
	defer h.maps.drawing.Unlock()
	if b := h.maps.get(w.Summary); b != nil {
		return b, nil // drawn while this request waited
	}
	var buf bytes.Buffer
	_, err := h.render(ctx, "map", func() error {
		d := w.DAG()
		servicedag.Layout(d)
		return svgrender.RenderServiceMap(&buf, d, w.Stats, w.Start, w.End, svgrender.Options{Hot: &h.opt.Hot})
	})
	if err != nil {
		return nil, err
	}
	h.maps.put(w.Summary, buf.Bytes(), shown)
	return buf.Bytes(), nil
}

// windowLabel says which window a map shows.
func windowLabel(w store.Window) string {
	const clock = "2006-01-02 15:04:05"
	l := w.Start.UTC().Format(clock) + " – " + w.End.UTC().Format("15:04:05") + " UTC"
	if w.Live {
		l += " (live, still filling)"
	}
	return l
}

// windowParam is how the view names a window in URLs: its start in unix
// seconds.
func windowParam(w store.Window) string { return strconv.FormatInt(w.Start.Unix(), 10) }

// findWindow looks a window up by its URL parameter; "" is the newest.
func findWindow(ws []store.Window, param string) (store.Window, bool) {
	if len(ws) == 0 {
		return store.Window{}, false
	}
	if param == "" {
		return ws[len(ws)-1], true
	}
	sec, err := strconv.ParseInt(param, 10, 64)
	if err != nil {
		return store.Window{}, false
	}
	for i := len(ws) - 1; i >= 0; i-- {
		if ws[i].Start.Equal(time.Unix(sec, 0)) {
			return ws[i], true
		}
	}
	return store.Window{}, false
}

func (h *Handler) mapSVG(w http.ResponseWriter, r *http.Request) {
	ws, _ := h.st.Windows()
	win, ok := findWindow(ws, r.URL.Query().Get("window"))
	if !ok {
		h.problem(w, http.StatusNotFound, "no such window")
		return
	}
	svg, err := h.drawMap(r.Context(), win, ws)
	if err != nil {
		h.problem(w, http.StatusServiceUnavailable, "the map could not be drawn in time")
		return
	}
	writeSVG(w, svg)
}
