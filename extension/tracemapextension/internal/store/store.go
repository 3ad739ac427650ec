// Package store is the extension's read-only view of a tracemap bucket: the
// recent window summaries of every gateway merged per window, the window
// being filled in this process (package live), and exemplar traces by ID.
package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/tracemap/tracemap/extension/tracemapextension/internal/metadata"
	"github.com/tracemap/tracemap/internal/live"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/summary"
	"github.com/tracemap/tracemap/internal/svgrender"
)

// maxSummaryBytes bounds one summary object read from the bucket.
const maxSummaryBytes = 32 << 20

// recheck is how many of the newest windows are listed again on every poll:
// a gateway may write its summary of a window late (after an outage, from
// its queue), older windows are final.
const recheck = 3

// Options bound the store.
type Options struct {
	Windows       int   // windows kept
	MaxTraceBytes int64 // compressed trace data read for one trace
	MaxTraceSpans int   // spans of one trace loaded for a redraw
	Logger        *zap.Logger
	Telemetry     *metadata.TelemetryBuilder
	Board         *live.Board // nil: live.Default
}

// Window is one window as the view shows it: the merged summary of every
// gateway that wrote one, and whether it is still being filled.
type Window struct {
	*summary.Summary
	Live bool
}

type part struct {
	modTime time.Time
	size    int64
	s       *summary.Summary
}

type window struct {
	start  time.Time
	parts  map[string]part // bucket key -> summary
	merged *summary.Summary
}

// Exemplar is a trace the bucket holds a picture (and maybe data) of.
type Exemplar struct {
	summary.Exemplar
	Window time.Time
}

// Store is safe for concurrent use.
type Store struct {
	b     *blob.Bucket
	opt   Options
	board *live.Board

	mu      sync.Mutex
	windows []*window // by start, oldest first, at most opt.Windows
	byTrace map[string]Exemplar
	view    []Window
	updated chan struct{}

	cache traceCache
}

// New returns a store over b; Run fills it.
func New(b *blob.Bucket, opt Options) *Store {
	board := opt.Board
	if board == nil {
		board = live.Default
	}
	return &Store{b: b, opt: opt, board: board, byTrace: map[string]Exemplar{}, updated: make(chan struct{}),
		cache: traceCache{maxSpans: 2 * opt.MaxTraceSpans}}
}

// Run polls the bucket every interval, and follows the live board, until
// ctx ends.
func (s *Store) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.Poll(ctx); err != nil && ctx.Err() == nil {
			s.opt.Logger.Warn("reading the bucket failed; showing what was read before", zap.Error(err))
		}
		_, boardChanged := s.board.Current()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-boardChanged:
			s.refreshLive()
		}
	}
}

// Watch asks the collector's svg exporters to hand over their filling
// windows (they compute nothing for it while nobody watches); the returned
// func ends that.
func (s *Store) Watch() (stop func()) { return s.board.Watch() }

// Windows returns the windows, oldest first, the live one last when there is
// one, and a channel closed at the next change.
func (s *Store) Windows() ([]Window, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.view, s.updated
}

// Exemplar looks a trace up among the kept windows.
func (s *Store) Exemplar(id pcommon.TraceID) (Exemplar, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byTrace[id.String()]
	return e, ok
}

// ObserveWindows reports the windows held (telemetry callback).
func (s *Store) ObserveWindows(_ context.Context, o metric.Int64Observer) error {
	s.mu.Lock()
	n := len(s.view)
	s.mu.Unlock()
	o.Observe(int64(n))
	return nil
}

func (s *Store) read(kind string) func(err error) {
	return func(err error) {
		outcome := "ok"
		if err != nil {
			outcome = "error"
		}
		s.opt.Telemetry.ExtensionTracemapBucketReads.Add(context.Background(), 1,
			metric.WithAttributes(attrKind(kind), attrOutcome(outcome)))
	}
}

// Poll lists the bucket once and reads what changed.
func (s *Store) Poll(ctx context.Context) error {
	prefixes, err := s.recentWindows(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	known := map[string]*window{}
	for _, w := range s.windows {
		known[summary.WindowPrefix(w.start)] = w
	}
	s.mu.Unlock()

	var errs []error
	next := make([]*window, 0, len(prefixes))
	for i, p := range prefixes {
		w := known[p]
		if w != nil && i < len(prefixes)-recheck {
			next = append(next, w)
			continue
		}
		nw, err := s.readWindow(ctx, p, w)
		if err != nil {
			errs = append(errs, err)
		}
		if nw != nil {
			next = append(next, nw)
		}
	}
	s.mu.Lock()
	s.windows = next
	s.rebuildLocked()
	s.mu.Unlock()
	return errors.Join(errs...)
}

// recentWindows lists the newest opt.Windows window prefixes, oldest first.
func (s *Store) recentWindows(ctx context.Context) ([]string, error) {
	days, err := s.listDirs(ctx, "windows/")
	if err != nil {
		return nil, err
	}
	var out []string
	for i := len(days) - 1; i >= 0 && len(out) < s.opt.Windows; i-- {
		ws, err := s.listDirs(ctx, days[i])
		if err != nil {
			return nil, err
		}
		for j := len(ws) - 1; j >= 0 && len(out) < s.opt.Windows; j-- {
			out = append(out, strings.TrimSuffix(ws[j], "/"))
		}
	}
	slices.Reverse(out)
	return out, nil
}

// list lists the objects under prefix (with delim, the "directories" right
// under it as well), counting the listing in telemetry.
func (s *Store) list(ctx context.Context, prefix, delim string) ([]*blob.ListObject, error) {
	it := s.b.List(&blob.ListOptions{Prefix: prefix, Delimiter: delim})
	var out []*blob.ListObject
	for {
		o, err := it.Next(ctx)
		if err == io.EOF {
			s.read("listing")(nil)
			return out, nil
		}
		if err != nil {
			s.read("listing")(err)
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		out = append(out, o)
	}
}

// listDirs lists the "directories" right under prefix, sorted.
func (s *Store) listDirs(ctx context.Context, prefix string) ([]string, error) {
	objs, err := s.list(ctx, prefix, "/")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range objs {
		if o.IsDir {
			out = append(out, o.Key)
		}
	}
	slices.Sort(out)
	return out, nil
}

// readWindow (re)reads the summaries of the window under prefix that
// changed since old. A window whose summaries cannot be read at all is
// returned as old (nil when never read).
func (s *Store) readWindow(ctx context.Context, prefix string, old *window) (*window, error) {
	objs, err := s.list(ctx, prefix+"/"+summary.SummaryPrefix, "")
	if err != nil {
		return old, err
	}
	w := &window{parts: map[string]part{}}
	if old != nil {
		w.start = old.start
	}
	changed := old == nil
	var errs []error
	for _, o := range objs {
		if !strings.HasSuffix(o.Key, ".json") || o.IsDir {
			continue
		}
		if old != nil {
			if p, ok := old.parts[o.Key]; ok && p.modTime.Equal(o.ModTime) && p.size == o.Size {
				w.parts[o.Key] = p
				continue
			}
		}
		sm, err := s.readSummary(ctx, o.Key)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if w.start.IsZero() {
			w.start = sm.Start
		}
		if !sm.Start.Equal(w.start) || summary.WindowPrefix(sm.Start) != prefix {
			errs = append(errs, fmt.Errorf("%s: window start %s does not match its key", o.Key, sm.Start.Format(time.RFC3339)))
			continue
		}
		w.parts[o.Key] = part{modTime: o.ModTime, size: o.Size, s: sm}
		changed = true
	}
	if old != nil && len(old.parts) != len(w.parts) {
		changed = true
	}
	if len(w.parts) == 0 {
		return old, errors.Join(errs...)
	}
	if !changed {
		return old, errors.Join(errs...)
	}
	ins := make([]*summary.Summary, 0, len(w.parts))
	keys := make([]string, 0, len(w.parts))
	for k := range w.parts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ins = append(ins, w.parts[k].s)
	}
	m, err := summary.Merge(ins...)
	if err != nil {
		return old, errors.Join(append(errs, fmt.Errorf("%s: %w", prefix, err))...)
	}
	w.merged = m
	return w, errors.Join(errs...)
}

func (s *Store) readSummary(ctx context.Context, key string) (*summary.Summary, error) {
	data, err := s.readBounded(ctx, key, maxSummaryBytes)
	s.read("summary")(err)
	if err != nil {
		return nil, err
	}
	sm, err := summary.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return sm, nil
}

// readBounded reads an object of at most limit bytes.
func (s *Store) readBounded(ctx context.Context, key string, limit int64) ([]byte, error) {
	r, err := s.b.NewReader(ctx, key, nil)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	defer r.Close()
	if r.Size() > limit {
		return nil, fmt.Errorf("read %s: %d bytes, more than the %d allowed", key, r.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("read %s: more than the %d bytes allowed", key, limit)
	}
	return data, nil
}

// refreshLive takes the board's windows into the view.
func (s *Store) refreshLive() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rebuildLocked()
}

// rebuildLocked recomputes the view, the trace index and wakes readers.
func (s *Store) rebuildLocked() {
	byStart := map[int64][]*summary.Summary{}
	var newest time.Time
	if n := len(s.windows); n > 0 {
		newest = s.windows[n-1].start
	}
	cur, _ := s.board.Current()
	for _, l := range cur {
		// A window this process is filling is shown until the bucket holds a
		// newer one; once its summary is in the bucket, the bucket's wins.
		if l.Start.After(newest) {
			byStart[l.Start.UnixNano()] = append(byStart[l.Start.UnixNano()], l)
		}
	}
	view := make([]Window, 0, len(s.windows)+1)
	byTrace := make(map[string]Exemplar, len(s.byTrace))
	for _, w := range s.windows {
		view = append(view, Window{Summary: w.merged})
		for _, x := range w.merged.Exemplars {
			byTrace[x.TraceID] = Exemplar{Exemplar: x, Window: w.start}
		}
	}
	starts := make([]int64, 0, len(byStart))
	for k := range byStart {
		starts = append(starts, k)
	}
	slices.Sort(starts)
	for _, k := range starts {
		m, err := summary.Merge(byStart[k]...)
		if err != nil {
			s.opt.Logger.Warn("merging the live windows failed", zap.Error(err))
			continue
		}
		view = append(view, Window{Summary: m, Live: true})
	}
	if len(view) > s.opt.Windows {
		view = view[len(view)-s.opt.Windows:]
	}
	s.view, s.byTrace = view, byTrace
	close(s.updated)
	s.updated = make(chan struct{})
}

// ErrNoData is returned by Trace for an exemplar stored without trace data.
var ErrNoData = errors.New("the bucket holds this trace's picture but not its data")

// ErrTooLarge is returned by Trace for a trace above the configured bounds.
var ErrTooLarge = errors.New("the trace is larger than max_trace_spans or max_trace_bytes")

// Trace loads an exemplar's trace data as a span tree (cached).
func (s *Store) Trace(ctx context.Context, e Exemplar) (*spantree.Tree, error) {
	if t := s.cache.get(e.TraceID); t != nil {
		return t, nil
	}
	if e.Data == "" {
		return nil, ErrNoData
	}
	if err := checkKey(e.Data, e.Window); err != nil {
		return nil, err
	}
	raw, err := s.readBounded(ctx, e.Data, s.opt.MaxTraceBytes)
	s.read("trace")(err)
	if err != nil {
		if gcerrors.Code(errors.Unwrap(err)) == gcerrors.NotFound {
			return nil, ErrNoData
		}
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Data, err)
	}
	// Protobuf spans take at least ~30 bytes each: bound the inflated size
	// by the span limit so a small bomb cannot exhaust memory.
	limit := int64(s.opt.MaxTraceSpans) * 4096
	pb, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Data, err)
	}
	if int64(len(pb)) > limit {
		return nil, ErrTooLarge
	}
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(pb)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Data, err)
	}
	if td.SpanCount() > s.opt.MaxTraceSpans {
		return nil, ErrTooLarge
	}
	want, err := parseID(e.TraceID)
	if err != nil {
		return nil, err
	}
	for _, t := range spantree.FromTraces(td) {
		if t.TraceID == want {
			s.cache.put(e.TraceID, t)
			return t, nil
		}
	}
	return nil, fmt.Errorf("%s holds no spans of trace %s", e.Data, e.TraceID)
}

// Picture reads an exemplar's stored SVG.
func (s *Store) Picture(ctx context.Context, e Exemplar) ([]byte, error) {
	if err := checkKey(e.SVG, e.Window); err != nil {
		return nil, err
	}
	data, err := s.readBounded(ctx, e.SVG, s.opt.MaxTraceBytes)
	s.read("picture")(err)
	return data, err
}

// checkKey refuses a key from a summary that does not lie in its window's
// prefix: a summary is data, and the view never reads outside the layout.
func checkKey(key string, start time.Time) error {
	p := summary.WindowPrefix(start) + "/exemplars/"
	if !strings.HasPrefix(key, p) || path.Clean(key) != key || strings.Contains(key[len(p):], "/") {
		return fmt.Errorf("summary names key %q outside its window", key)
	}
	return nil
}

func parseID(s string) (pcommon.TraceID, error) {
	var id pcommon.TraceID
	if len(s) != 2*len(id) {
		return id, fmt.Errorf("trace ID %q: want 32 hex digits", s)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("trace ID %q: want 32 hex digits", s)
	}
	return id, nil
}

// ParseTraceID reads a trace ID as the view's URLs carry it: 32 hex digits,
// either case; the all-zero ID is invalid.
func ParseTraceID(s string) (pcommon.TraceID, error) {
	id, err := parseID(strings.ToLower(s))
	if err == nil && id.IsEmpty() {
		err = errors.New("trace ID is all zeros")
	}
	return id, err
}

// ErrNotFound is returned by Find for a trace the bucket holds no picture of.
var ErrNotFound = errors.New("trace not found")

// maxSearchWindows bounds how many older windows Find looks into.
const maxSearchWindows = 10_000

// Find looks a trace up: among the kept windows, then in the bucket's older
// windows, newest first, until ctx ends or maxSearchWindows were looked at.
func (s *Store) Find(ctx context.Context, id pcommon.TraceID) (Exemplar, error) {
	if e, ok := s.Exemplar(id); ok {
		return e, nil
	}
	days, err := s.listDirs(ctx, "windows/")
	if err != nil {
		return Exemplar{}, err
	}
	looked := 0
	for i := len(days) - 1; i >= 0; i-- {
		ws, err := s.listDirs(ctx, days[i])
		if err != nil {
			return Exemplar{}, err
		}
		for j := len(ws) - 1; j >= 0; j-- {
			if looked++; looked > maxSearchWindows {
				return Exemplar{}, ErrNotFound
			}
			start, ok := windowStart(strings.TrimSuffix(ws[j], "/"))
			if !ok {
				continue
			}
			key := summary.ExemplarSVGKey(start, id)
			ok, err := s.b.Exists(ctx, key)
			s.read("probe")(err)
			if err != nil {
				return Exemplar{}, err
			}
			if !ok {
				continue
			}
			e := Exemplar{Window: start, Exemplar: summary.Exemplar{TraceID: id.String(), SVG: key}}
			if ok, _ := s.b.Exists(ctx, summary.ExemplarDataKey(start, id)); ok {
				e.Data = summary.ExemplarDataKey(start, id)
			}
			return e, nil
		}
	}
	return Exemplar{}, ErrNotFound
}

// windowStart reads a window's start back from its prefix.
func windowStart(prefix string) (time.Time, bool) {
	t, err := time.Parse("windows/2006-01-02/150405", prefix)
	if err != nil || summary.WindowPrefix(t) != prefix {
		return time.Time{}, false
	}
	return t, true
}

// Stats returns the figures of the kept window starting at start (nil when
// it is not kept), for colouring a trace picture like its window's map.
func (s *Store) Stats(start time.Time) svgrender.HeatFunc {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.view {
		if w.Start.Equal(start) {
			return w.Stats
		}
	}
	return nil
}
