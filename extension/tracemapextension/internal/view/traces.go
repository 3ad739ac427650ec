package view

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"

	"github.com/tracemap/tracemap/extension/tracemapextension/internal/store"
	"github.com/tracemap/tracemap/internal/culprit"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/svgrender"
)

// traceSVG draws a trace: the whole of it, or the range ?from=&to= (ns from
// the trace start) at full detail. Headers tell the page the trace's
// duration and the range drawn, so the zoom control needs no data in markup.
func (h *Handler) traceSVG(w http.ResponseWriter, r *http.Request) {
	raw, ok := trimSuffix(r.PathValue("file"), ".svg")
	if !ok {
		h.problem(w, http.StatusNotFound, "ask for /api/traces/<trace ID>.svg")
		return
	}
	id, err := store.ParseTraceID(raw)
	if err != nil {
		h.problem(w, http.StatusBadRequest, "a trace ID is 32 hexadecimal digits")
		return
	}
	q := r.URL.Query()
	from, to, zoom, err := rangeParams(q.Get("from"), q.Get("to"))
	if err != nil {
		h.problem(w, http.StatusBadRequest, err.Error())
		return
	}
	x, err := h.st.Find(r.Context(), id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			h.problem(w, http.StatusNotFound, "the bucket holds no picture of that trace")
			return
		}
		h.problem(w, http.StatusServiceUnavailable, "the bucket could not be read")
		return
	}
	var tree *spantree.Tree
	var svg bytes.Buffer
	busy, err := h.render(r.Context(), "trace", func() error {
		t, err := h.st.Trace(r.Context(), x)
		if err != nil {
			return err
		}
		tree = t
		// The verdict is the whole trace's: a zoomed view still marks where
		// the failure started and which errors only propagate.
		v := culprit.Analyze(t)
		if zoom {
			var orig []int
			t, orig = t.Clip(from, to)
			v = clipVerdict(v, orig)
		}
		d := servicedag.FromTree(t, servicedag.Options{})
		servicedag.Layout(d)
		return svgrender.RenderTraceVerdict(&svg, t, d, h.st.Stats(x.Window), v, svgrender.Options{Hot: &h.opt.Hot})
	})
	switch {
	case busy:
		h.problem(w, http.StatusServiceUnavailable, "busy drawing other traces; try again")
		return
	case errors.Is(err, store.ErrNoData) || errors.Is(err, store.ErrTooLarge):
		// The stored picture still shows the trace, only not zoomable.
		pic, perr := h.st.Picture(r.Context(), x)
		if perr != nil {
			h.problem(w, http.StatusServiceUnavailable, "the trace's picture could not be read")
			return
		}
		hd := w.Header()
		hd.Set("X-Tracemap-Duration-Ns", strconv.FormatInt(x.DurationNs, 10))
		hd.Set("X-Tracemap-From-Ns", "0")
		hd.Set("X-Tracemap-To-Ns", strconv.FormatInt(x.DurationNs, 10))
		hd.Set("X-Tracemap-Zoom", "unavailable: "+err.Error())
		writeSVG(w, pic)
		return
	case err != nil:
		h.problem(w, http.StatusServiceUnavailable, "the trace could not be drawn")
		return
	}
	if !zoom {
		from, to = 0, tree.Duration
	}
	from = min(max(from, 0), tree.Duration)
	to = min(max(to, from), tree.Duration)
	hd := w.Header()
	hd.Set("X-Tracemap-Duration-Ns", strconv.FormatInt(tree.Duration, 10))
	hd.Set("X-Tracemap-From-Ns", strconv.FormatInt(from, 10))
	hd.Set("X-Tracemap-To-Ns", strconv.FormatInt(to, 10))
	writeSVG(w, svg.Bytes())
}

// clipVerdict carries a verdict over to a clip of its trace; the blamed
// span is kept only when it lies in the clip.
func clipVerdict(v culprit.Verdict, orig []int) culprit.Verdict {
	c := culprit.Verdict{Error: v.Error, ErrorSpan: -1, Latency: v.Latency, LatencyShare: v.LatencyShare,
		Own: make([]bool, len(orig)), Propagated: make([]bool, len(orig))}
	for j, i := range orig {
		if i < len(v.Own) {
			c.Own[j] = v.Own[i]
		}
		if i < len(v.Propagated) {
			c.Propagated[j] = v.Propagated[i]
		}
		if i == v.ErrorSpan {
			c.ErrorSpan = j
		}
	}
	return c
}

// rangeParams reads ?from=&to=; both or neither.
func rangeParams(f, t string) (from, to int64, zoom bool, err error) {
	if f == "" && t == "" {
		return 0, 0, false, nil
	}
	from, err1 := strconv.ParseInt(f, 10, 64)
	to, err2 := strconv.ParseInt(t, 10, 64)
	if err1 != nil || err2 != nil || from < 0 || to <= from {
		return 0, 0, false, errors.New("from and to are nanoseconds from the trace start, 0 <= from < to")
	}
	return from, to, true, nil
}
