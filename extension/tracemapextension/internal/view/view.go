// Package view serves the tracemap extension's pages and API: HTML and SVG
// drawn on the server, one small script of our own (static/app.js), and a
// Content-Security-Policy that allows nothing inline but the pictures' own
// constant style.
package view

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/tracemap/tracemap/extension/tracemapextension/internal/metadata"
	"github.com/tracemap/tracemap/extension/tracemapextension/internal/store"
	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/svgrender"
)

//go:embed static/app.js static/app.css static/icon.svg
var static embed.FS

// Options bound the work the view does for its users.
type Options struct {
	RenderTimeout        time.Duration
	MaxConcurrentRenders int
	MaxLiveClients       int
	PollInterval         time.Duration
	Hot                  heat.HotRule // marks hot services in the tables
	Logger               *zap.Logger
	Telemetry            *metadata.TelemetryBuilder
}

// Handler is the view. Close ends the live connections.
type Handler struct {
	st   *store.Store
	opt  Options
	mux  *http.ServeMux
	csp  string
	sem  chan struct{}
	maps mapCache

	mu      sync.Mutex
	clients int
	ctx     context.Context
	cancel  context.CancelFunc
}

// New returns the view over st.
func New(st *store.Store, opt Options) *Handler {
	ctx, cancel := context.WithCancel(context.Background())
	h := &Handler{st: st, opt: opt, mux: http.NewServeMux(), sem: make(chan struct{}, opt.MaxConcurrentRenders),
		ctx: ctx, cancel: cancel}
	sum := sha256.Sum256([]byte(svgrender.CSS()))
	h.csp = "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self'; " +
		"style-src 'self' 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	h.route("GET /{$}", "map", h.mapPage)
	h.route("GET /services/{name}", "service", h.servicePage)
	h.route("GET /traces/{id}", "trace", h.tracePage)
	h.route("GET /search", "search", h.search)
	h.route("GET /api/map.svg", "api_map", h.mapSVG)
	h.route("GET /api/traces/{file}", "api_trace", h.traceSVG)
	h.route("GET /api/live", "api_live", h.live)
	h.route("GET /static/{file}", "static", h.staticFile)
	return h
}

// Close ends every live connection; the server's Shutdown does not.
func (h *Handler) Close() { h.cancel() }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// statusWriter remembers the status for telemetry.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets the WebSocket upgrade reach the connection.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (h *Handler) route(pattern, name string, fn http.HandlerFunc) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		fn(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		h.opt.Telemetry.ExtensionTracemapRequests.Add(r.Context(), 1, metric.WithAttributes(
			attribute.String("route", name), attribute.String("code", strconv.Itoa(sw.code/100)+"xx")))
	})
}

// ObserveClients reports the live connections (telemetry callback).
func (h *Handler) ObserveClients(_ context.Context, o metric.Int64Observer) error {
	h.mu.Lock()
	n := h.clients
	h.mu.Unlock()
	o.Observe(int64(n))
	return nil
}

// render runs fn with a render slot, within the render timeout; busy is
// true when no slot freed up in time.
func (h *Handler) render(ctx context.Context, kind string, fn func() error) (busy bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, h.opt.RenderTimeout)
	defer cancel()
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return true, ctx.Err()
	}
	defer func() { <-h.sem }()
	start := time.Now()
	err = fn()
	h.opt.Telemetry.ExtensionTracemapRenderDuration.Record(ctx, time.Since(start).Seconds(),
		metric.WithAttributes(attribute.String("kind", kind)))
	return false, err
}

func (h *Handler) staticFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	var ctype string
	switch name {
	case "app.js":
		ctype = "text/javascript; charset=utf-8"
	case "app.css":
		ctype = "text/css; charset=utf-8"
	case "icon.svg":
		ctype = "image/svg+xml"
	default:
		http.NotFound(w, r)
		return
	}
	data, err := static.ReadFile("static/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "max-age=300")
	_, _ = w.Write(data)
}

// writeSVG sends a picture.
func writeSVG(w http.ResponseWriter, data []byte) {
	w.Header().Set("Content-Type", "image/svg+xml")
	_, _ = w.Write(data)
}

// inline returns a picture for embedding in a page: without its XML
// declaration.
func inline(svg []byte) []byte {
	if bytes.HasPrefix(svg, []byte("<?xml")) {
		if i := bytes.IndexByte(svg, '\n'); i >= 0 {
			return svg[i+1:]
		}
	}
	return svg
}

// problem answers a request the view cannot serve, in plain text (never
// echoing the request's own text back as markup).
func (h *Handler) problem(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg + "\n"))
}

func trimSuffix(s, suffix string) (string, bool) {
	if !strings.HasSuffix(s, suffix) {
		return s, false
	}
	return s[:len(s)-len(suffix)], true
}
