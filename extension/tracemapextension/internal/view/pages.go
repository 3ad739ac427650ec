package view

import (
	"bytes"
	"cmp"
	"errors"
	"html/template"
	"net/http"
	"slices"

	"go.uber.org/zap"

	"github.com/tracemap/tracemap/extension/tracemapextension/internal/store"
	"github.com/tracemap/tracemap/internal/summary"
)

// Pages are html/template: every value from data is escaped for where it
// lands; pictures are our renderer's SVG, inlined as they are.
var pages = template.Must(template.New("layout").Funcs(template.FuncMap{
	"pct": pctLabel,
	"ms":  msLabel,
	"dur": func(ns int64) string { return fmtNs(ns) },
}).Parse(`{{define "top"}}<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · tracemap</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/static/icon.svg" type="image/svg+xml"><link rel="stylesheet" href="/static/app.css"><script src="/static/app.js"></script></head>
<body><nav class="tm-top"><a href="/">tracemap</a><span>{{.Title}}</span>
<form action="/search" method="get"><input name="trace" placeholder="trace ID (32 hex digits)" aria-label="trace ID"></form></nav>
<main class="tm-main">{{end}}
{{define "bottom"}}</main></body></html>
{{end}}
{{define "map"}}{{template "top" .}}
{{if .Window}}<div class="tm-slider"><label for="window">Window</label>
<input id="window" type="range" min="0" max="{{.Last}}" value="{{.Index}}"{{if .Pinned}} data-pinned=""{{end}}>
<span id="window-label">{{.Label}}</span></div>
<div id="status" class="tm-status">connecting…</div>
<div id="map" class="tm-pic">{{.SVG}}</div>
<h2>Services in this window</h2>
<table class="tm-t"><thead><tr><th>service</th><th>spans</th><th>errors</th><th>own errors</th><th>own-error rate</th><th>p99</th></tr></thead><tbody id="services">
{{range .Services}}<tr><td><a href="{{.Link}}">{{.Name}}</a>{{if .Hot}} <span class="tm-hot">hot</span>{{end}}</td>
<td class="tm-n">{{.Spans}}</td><td class="tm-n">{{.Errors}}</td><td class="tm-n">{{.OwnErrors}}</td><td class="tm-n">{{pct .OwnRate}}</td><td class="tm-n">{{ms .P99}}</td></tr>
{{end}}</tbody></table>
{{else}}<p>No window in the bucket yet. The svg exporter writes one when its first service-map window ends.</p>
<div id="status" class="tm-status"></div><input id="window" type="range" min="0" max="0" value="0" hidden><span id="window-label"></span><div id="map" class="tm-pic"></div>
{{end}}{{template "bottom" .}}{{end}}
{{define "service"}}{{template "top" .}}
<h1>{{.Name}}</h1>
<div class="tm-plots">{{range .Plots}}{{.}}{{end}}</div>
{{range .Windows}}<h2>{{.Label}}</h2>
{{range .Groups}}<h3>{{.Reason}}</h3><table class="tm-t"><thead><tr><th>trace</th><th>root</th><th>duration</th><th>spans</th><th>errors</th><th>stands for</th></tr></thead><tbody>
{{range .Rows}}<tr><td><a href="{{.Link}}">{{.TraceID}}</a></td><td>{{.Root}}</td><td class="tm-n">{{dur .DurationNs}}</td><td class="tm-n">{{.Spans}}</td><td class="tm-n">{{.Errors}}</td><td>{{.For}}</td></tr>
{{end}}</tbody></table>{{end}}
{{else}}<p>No exemplar of this service in the recent windows.</p>{{end}}
{{template "bottom" .}}{{end}}
{{define "trace"}}{{template "top" .}}
<h1>Trace {{.TraceID}}</h1>
<p>{{.Root}} · {{dur .DurationNs}} · {{.Spans}} spans{{if .Errors}} · <span class="tm-hot">{{.Errors}} errors</span>{{end}} · window {{.Window}}</p>
<p>Chosen as: {{range $i, $r := .Roles}}{{if $i}}; {{end}}{{$r}}{{end}}</p>
<div class="tm-zoom"><button id="zoom-in" type="button">zoom in</button><button id="zoom-out" type="button">zoom out</button>
<button id="pan-left" type="button">◀ earlier</button><button id="pan-right" type="button">later ▶</button><button id="zoom-reset" type="button">whole trace</button>
<span id="zoom-status" class="tm-status"></span></div>
<div id="trace" class="tm-pic" data-trace="{{.TraceID}}"></div>
{{template "bottom" .}}{{end}}
{{define "message"}}{{template "top" .}}<p>{{.Message}}</p>{{template "bottom" .}}{{end}}
`))

func (h *Handler) page(w http.ResponseWriter, code int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		h.opt.Logger.Error("drawing a page failed", zap.String("page", name), zap.Error(err))
		h.problem(w, http.StatusInternalServerError, "the page could not be drawn")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

func (h *Handler) message(w http.ResponseWriter, code int, title, msg string) {
	h.page(w, code, "message", struct{ Title, Message string }{title, msg})
}

type serviceRow struct {
	Name                     string
	Link                     string
	Hot                      bool
	Spans, Errors, OwnErrors int64
	OwnRate, P99             float64
}

func serviceLink(name string) string { return "/services/" + pathEscape(name) }

// serviceRows lists a window's services, those where most failures start
// first.
func (h *Handler) serviceRows(win store.Window) []serviceRow {
	rows := make([]serviceRow, 0, len(win.Services))
	for _, sv := range win.Services {
		st, _ := win.Stats(sv.Name)
		rows = append(rows, serviceRow{Name: sv.Name, Link: serviceLink(sv.Name), Hot: h.opt.Hot.Hot(st),
			Spans: sv.Spans, Errors: sv.Errors, OwnErrors: sv.OwnErrors, OwnRate: st.OwnErrorRate, P99: sv.Latency.P99Ms})
	}
	slices.SortStableFunc(rows, func(a, b serviceRow) int { return cmp.Compare(b.OwnRate, a.OwnRate) })
	return rows
}

func (h *Handler) mapPage(w http.ResponseWriter, r *http.Request) {
	ws, _ := h.st.Windows()
	data := struct {
		Title, Label string
		Window       bool
		Last, Index  int
		Pinned       bool // a window was asked for: the live push does not replace it
		SVG          template.HTML
		Services     []serviceRow
	}{Title: "Service map"}
	param := r.URL.Query().Get("window")
	if win, ok := findWindow(ws, param); ok {
		svg, err := h.drawMap(r.Context(), win, ws)
		if err != nil {
			h.message(w, http.StatusServiceUnavailable, "Service map", "The map could not be drawn in time; try again.")
			return
		}
		data.Window, data.Last, data.Label, data.Pinned = true, len(ws)-1, windowLabel(win), param != ""
		for i := range ws {
			if ws[i].Summary == win.Summary {
				data.Index = i
			}
		}
		data.SVG = template.HTML(inline(svg)) // our renderer's output: every data string in it is escaped
		data.Services = h.serviceRows(win)
	}
	h.page(w, http.StatusOK, "map", data)
}

type exemplarRow struct {
	TraceID, Link, Root, For  string
	DurationNs, Spans, Errors int64
}

type reasonGroup struct {
	Reason string
	Rows   []exemplarRow
}

type windowGroups struct {
	Label  string
	Groups []reasonGroup
}

var reasonTitles = map[string]string{
	summary.ReasonError:   "culprit of errors (the failure started here)",
	summary.ReasonSlow:    "slow (held the latency culprit's share)",
	summary.ReasonTypical: "typical (near the median)",
}

var reasonOrder = []string{summary.ReasonError, summary.ReasonSlow, summary.ReasonTypical}

func (h *Handler) servicePage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ws, _ := h.st.Windows()
	known := false
	var series []point
	var groups []windowGroups
	for i := len(ws) - 1; i >= 0; i-- {
		win := ws[i]
		st, ok := win.Stats(name)
		known = known || ok
		if ok {
			series = append(series, point{t: win.Start, s: st})
		}
		var g windowGroups
		for _, reason := range reasonOrder {
			var rows []exemplarRow
			for _, x := range win.Exemplars {
				if role, ok := roleFor(x, name, reason); ok {
					rows = append(rows, exemplarRow{TraceID: x.TraceID, Link: "/traces/" + x.TraceID,
						Root: x.RootService + " " + x.RootOperation, For: role,
						DurationNs: x.DurationNs, Spans: x.Spans, Errors: x.Errors})
				}
			}
			if len(rows) > 0 {
				g.Groups = append(g.Groups, reasonGroup{Reason: reasonTitles[reason], Rows: rows})
			}
		}
		if len(g.Groups) > 0 {
			g.Label = windowLabel(win)
			groups = append(groups, g)
		}
	}
	if !known {
		h.message(w, http.StatusNotFound, "Unknown service", "No service of that name in the recent windows.")
		return
	}
	slices.Reverse(series)
	h.page(w, http.StatusOK, "service", struct {
		Title, Name string
		Plots       []template.HTML
		Windows     []windowGroups
	}{Title: "Service", Name: name, Plots: plots(series), Windows: groups})
}

// roleFor says what x stands for about service for reason, if anything.
func roleFor(x summary.Exemplar, service, reason string) (string, bool) {
	for _, ro := range x.For {
		if ro.Reason != reason {
			continue
		}
		switch {
		case ro.Service == service:
			return "the service", true
		case ro.To == service:
			return "the call from " + ro.From, true
		case ro.From == service:
			return "its call to " + ro.To, true
		}
	}
	return "", false
}

func (h *Handler) search(w http.ResponseWriter, r *http.Request) {
	id, err := store.ParseTraceID(r.URL.Query().Get("trace"))
	if err != nil {
		h.message(w, http.StatusBadRequest, "Search", "A trace ID is 32 hexadecimal digits.")
		return
	}
	if _, err := h.st.Find(r.Context(), id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			h.message(w, http.StatusNotFound, "Search", "The bucket holds no picture of that trace (only exemplars are drawn).")
			return
		}
		h.message(w, http.StatusServiceUnavailable, "Search", "The bucket could not be searched; try again.")
		return
	}
	http.Redirect(w, r, "/traces/"+id.String(), http.StatusSeeOther)
}

func (h *Handler) tracePage(w http.ResponseWriter, r *http.Request) {
	id, err := store.ParseTraceID(r.PathValue("id"))
	if err != nil {
		h.message(w, http.StatusBadRequest, "Trace", "A trace ID is 32 hexadecimal digits.")
		return
	}
	x, err := h.st.Find(r.Context(), id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			h.message(w, http.StatusNotFound, "Trace", "The bucket holds no picture of that trace.")
			return
		}
		h.message(w, http.StatusServiceUnavailable, "Trace", "The bucket could not be read; try again.")
		return
	}
	var roles []string
	for _, ro := range x.For {
		what := ro.Service
		if what == "" {
			what = ro.From + " → " + ro.To
		}
		roles = append(roles, ro.Reason+" for "+what)
	}
	if len(roles) == 0 {
		roles = []string{"found in the bucket"}
	}
	h.page(w, http.StatusOK, "trace", struct {
		Title, TraceID, Root, Window string
		DurationNs, Spans, Errors    int64
		Roles                        []string
	}{Title: "Trace", TraceID: id.String(), Root: x.RootService + " " + x.RootOperation,
		Window: x.Window.UTC().Format("2006-01-02 15:04:05 UTC"), DurationNs: x.DurationNs,
		Spans: x.Spans, Errors: x.Errors, Roles: roles})
}
