package view

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
)

// liveWindow is one step of the page's window slider.
type liveWindow struct {
	Start string `json:"start"` // windowParam
	Label string `json:"label"`
	Live  bool   `json:"live,omitempty"`
}

// liveMessage is what /api/live pushes: the windows there are and the map
// of the newest.
type liveMessage struct {
	Windows  []liveWindow  `json:"windows"`
	Label    string        `json:"label"`
	SVG      string        `json:"svg"`
	Services []liveService `json:"services"`
}

// liveService is one row of the page's service table; the script sets each
// cell with textContent.
type liveService struct {
	Name      string `json:"name"`
	Link      string `json:"link"`
	Hot       bool   `json:"hot,omitempty"`
	Spans     int64  `json:"spans"`
	Errors    int64  `json:"errors"`
	OwnErrors int64  `json:"own_errors"`
	OwnRate   string `json:"own_rate"`
	P99       string `json:"p99"`
}

// live pushes the newest window's map whenever the store changes, at most
// once per poll interval per browser.
func (h *Handler) live(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	if h.clients >= h.opt.MaxLiveClients {
		h.mu.Unlock()
		h.problem(w, http.StatusServiceUnavailable, "too many live views open")
		return
	}
	h.clients++
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.clients--
		h.mu.Unlock()
	}()
	// Accept checks that the page comes from this server (Origin == Host).
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer func() { _ = c.CloseNow() }()
	defer h.st.Watch()()
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	// The browser sends nothing; CloseRead notices when it goes away.
	ctx = c.CloseRead(ctx)

	minGap := max(h.opt.PollInterval/2, 250*time.Millisecond)
	var last time.Time
	for {
		ws, changed := h.st.Windows()
		msg := liveMessage{Windows: make([]liveWindow, len(ws))}
		for i, win := range ws {
			msg.Windows[i] = liveWindow{Start: windowParam(win), Label: windowLabel(win), Live: win.Live}
		}
		if len(ws) > 0 {
			newest := ws[len(ws)-1]
			svg, err := h.drawMap(ctx, newest, ws)
			if err != nil && ctx.Err() != nil {
				return
			}
			msg.Label, msg.SVG = windowLabel(newest), string(inline(svg))
			for _, r := range h.serviceRows(newest) {
				msg.Services = append(msg.Services, liveService{Name: r.Name, Link: r.Link, Hot: r.Hot, Spans: r.Spans,
					Errors: r.Errors, OwnErrors: r.OwnErrors, OwnRate: pctLabel(r.OwnRate), P99: msLabel(r.P99)})
			}
		}
		data, err := json.Marshal(&msg)
		if err != nil {
			h.opt.Logger.Error("encoding a live update failed", zap.Error(err))
			return
		}
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		err = c.Write(wctx, websocket.MessageText, data)
		wcancel()
		if err != nil {
			return
		}
		last = time.Now()
		select {
		case <-ctx.Done():
			c.Close(websocket.StatusGoingAway, "server shutting down")
			return
		case <-changed:
		}
		if d := time.Until(last.Add(minGap)); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
	}
}
