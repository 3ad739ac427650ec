package svgexporter

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/bucket"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/dedupe"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/index"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/metadata"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/objkey"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/window"
	"github.com/tracemap/tracemap/internal/colorscale"
	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/svgrender"
)

const (
	contentTypeSVG  = "image/svg+xml"
	contentTypeJSON = "application/json"
	contentTypeHTML = "text/html; charset=utf-8"

	indexJSON = "index.json"
	indexHTML = "index.html"

	// attrDAG is the layout processor's encoded service graph on root spans.
	attrDAG = "tracemap.dag"

	// dedupeCapacity is how many trees the exporter remembers as counted.
	dedupeCapacity = 1 << 16
	// maxPendingMaps bounds the service maps kept for another write attempt.
	maxPendingMaps = 8
)

var (
	kindTrace      = metric.WithAttributeSet(attribute.NewSet(attribute.String("kind", "trace")))
	kindServiceMap = metric.WithAttributeSet(attribute.NewSet(attribute.String("kind", "service_map")))
	kindIndex      = metric.WithAttributeSet(attribute.NewSet(attribute.String("kind", "index")))
	reasonFilter   = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", "filter")))
	reasonRender   = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", "render_error")))
	reasonFragment = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", "fragment")))
)

type svgExporter struct {
	cfg    *Config
	logger *zap.Logger
	tel    *metadata.Telemetry
	key    *objkey.Template
	mapKey *objkey.Template
	scale  colorscale.Scale
	now    func() time.Time

	bucket  *blob.Bucket
	tracker *heat.Tracker
	bufs    sync.Pool

	mu      sync.Mutex // guards the fields below
	win     *window.Window
	winHeat map[string]serviceHeat // heatmap's figures seen in the window
	idx     *index.Set
	seen    *dedupe.Set
	pending []pendingMap

	stop chan struct{}
	wg   sync.WaitGroup
}

// pendingMap is a drawn service map whose write failed.
type pendingMap struct {
	obj   bucket.Object
	entry index.Entry
}

func newSVGExporter(cfg *Config, set exporter.Settings) (*svgExporter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tel, err := metadata.NewTelemetry(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	key, err := objkey.Parse(cfg.Key)
	if err != nil {
		return nil, err
	}
	mapKey := key
	if cfg.ServiceMap.Enabled {
		if mapKey, err = objkey.Parse(cfg.ServiceMap.Key); err != nil {
			return nil, err
		}
	}
	scale, err := colorscale.Lookup(cfg.ColorScale)
	if err != nil {
		return nil, err
	}
	return &svgExporter{
		cfg:    cfg,
		logger: set.Logger,
		tel:    tel,
		key:    key,
		mapKey: mapKey,
		scale:  scale,
		now:    time.Now,
		idx:    index.NewSet(cfg.Index.MaxEntries, cfg.Index.MaxPrefixes),
		seen:   dedupe.New(dedupeCapacity),
		bufs:   sync.Pool{New: func() any { return new(bytes.Buffer) }},
	}, nil
}

func (e *svgExporter) start(ctx context.Context, _ component.Host) error {
	b, err := bucket.Open(ctx, e.cfg.Bucket)
	if err != nil {
		return fmt.Errorf("svg exporter: open bucket: %w", err)
	}
	e.bucket = b
	now := e.now()
	e.tracker = heat.NewTracker(e.cfg.Heat, e.now)
	e.newWindow(now)
	e.stop = make(chan struct{})
	e.wg.Add(1)
	go e.loop(e.stop)
	return nil
}

// shutdown draws the current, partial service-map window, retries what is
// pending and writes the listings, then closes the bucket.
func (e *svgExporter) shutdown(ctx context.Context) error {
	if e.stop == nil {
		return nil // never started, or already shut down
	}
	close(e.stop)
	e.stop = nil // a second Shutdown is a no-op
	e.wg.Wait()
	err := e.rotate(ctx, e.now())
	err = errors.Join(err, e.flushIndex(ctx))
	e.tracker.Close()
	return errors.Join(err, e.bucket.Close())
}

// loop ends service-map windows on their boundaries and writes changed
// listings every index interval.
func (e *svgExporter) loop(stop <-chan struct{}) {
	defer e.wg.Done()
	var mapT *time.Timer
	var mapC, idxC <-chan time.Time
	if e.cfg.ServiceMap.Enabled {
		mapT = time.NewTimer(e.untilBoundary(e.now()))
		defer mapT.Stop()
		mapC = mapT.C
	}
	if e.indexing() {
		t := time.NewTicker(e.cfg.Index.Interval)
		defer t.Stop()
		idxC = t.C
	}
	for {
		select {
		case <-stop:
			return
		case <-mapC:
			e.background(func(ctx context.Context) error { return e.rotate(ctx, e.now()) })
			mapT.Reset(e.untilBoundary(e.now()))
		case <-idxC:
			e.background(e.flushIndex)
		}
	}
}

// background runs a write outside the exporter helper, bounded by the
// configured timeout; failures are logged and kept for the next attempt.
func (e *svgExporter) background(fn func(context.Context) error) {
	ctx := context.Background()
	if e.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.cfg.Timeout)
		defer cancel()
	}
	if err := fn(ctx); err != nil {
		e.logger.Warn("svg exporter: background write failed; will retry", zap.Error(err))
	}
}

func (e *svgExporter) untilBoundary(now time.Time) time.Duration {
	iv := e.cfg.ServiceMap.Interval
	return now.Truncate(iv).Add(iv).Sub(now)
}

func (e *svgExporter) indexing() bool { return e.cfg.Index.HTML || e.cfg.Index.JSON }

// newWindow starts the service-map window holding now. Callers hold mu or
// own e exclusively.
func (e *svgExporter) newWindow(now time.Time) {
	iv := e.cfg.ServiceMap.Interval
	if !e.cfg.ServiceMap.Enabled {
		iv = time.Minute // unused, but keeps the window well-formed
	}
	start := now.Truncate(iv)
	e.win = window.New(start, start.Add(iv), e.cfg.ServiceMap.MaxServices, e.cfg.ServiceMap.MaxEdges)
	e.winHeat = make(map[string]serviceHeat)
}

// pushTraces draws the selected traces of td and writes them. Traces whose
// write fails are returned in a consumererror.Traces, so the exporter
// helper retries (or queues) just those.
func (e *svgExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	trees := spantree.FromTraces(td)
	attrs := resourceHeat(td)
	dags := e.account(td, trees, attrs)
	hf := e.heatFunc(attrs)

	failed := make(map[pcommon.TraceID]bool)
	var first error
	for i, t := range trees {
		if len(t.Roots) == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			failed[t.TraceID] = true // out of time: the rest goes back
			first = cmp.Or(first, err)
			continue
		}
		if !e.selected(t, attrs) {
			e.tel.TracesSkipped.Add(ctx, 1, reasonFilter)
			continue
		}
		if err := e.drawTrace(ctx, t, dags[i], hf); err != nil {
			if errors.Is(err, errRender) {
				e.tel.TracesSkipped.Add(ctx, 1, reasonRender)
				e.logger.Error("svg exporter: trace not drawn", zap.Stringer("trace_id", t.TraceID), zap.Error(err))
				continue
			}
			failed[t.TraceID] = true
			first = cmp.Or(first, err)
		}
	}
	if len(failed) > 0 {
		err := fmt.Errorf("svg exporter: %d of %d traces not written: %w", len(failed), len(trees), first)
		return consumererror.NewTraces(err, tracesOf(td, failed))
	}
	return nil
}

var errRender = errors.New("render")

// graph returns a trace's service graph: the layout processor's
// tracemap.dag when it is present and valid, else one built here.
func graph(t *spantree.Tree) *servicedag.DAG {
	if v, ok := t.Spans[t.Roots[0]].Source.Attributes().Get(attrDAG); ok && v.Type() == pcommon.ValueTypeStr {
		if d, err := servicedag.Decode(v.Str()); err == nil {
			return d
		}
	}
	return servicedag.FromTree(t, servicedag.Options{})
}

// account adds what td brings to the service-map window and the exporter's
// own statistics, once per piece of data (not again when a batch is
// retried), and returns each tree's graph.
func (e *svgExporter) account(td ptrace.Traces, trees []*spantree.Tree, attrs map[string]serviceHeat) []*servicedag.DAG {
	dags := make([]*servicedag.DAG, len(trees))
	fps := make([]uint64, len(trees))
	for i, t := range trees {
		if len(t.Roots) > 0 {
			dags[i] = graph(t)
			fps[i] = dedupe.Fingerprint(t)
		}
	}
	var fresh map[pcommon.TraceID]bool
	all := true
	e.mu.Lock()
	for i, t := range trees {
		if len(t.Roots) == 0 {
			continue
		}
		if !e.seen.Add(fps[i]) {
			all = false
			continue
		}
		if fresh == nil {
			fresh = make(map[pcommon.TraceID]bool)
		}
		fresh[t.TraceID] = true
		if e.cfg.ServiceMap.Enabled {
			if n := e.win.Add(dags[i]); n > 0 {
				e.tel.WindowDropped.Add(context.Background(), int64(n))
			}
		}
	}
	if e.cfg.ServiceMap.Enabled {
		for svc, h := range attrs {
			if _, ok := e.winHeat[svc]; ok || len(e.winHeat) < e.cfg.ServiceMap.MaxServices {
				e.winHeat[svc] = h
			}
		}
	}
	e.mu.Unlock()
	if len(fresh) == 0 || !needsTracker(td, attrs) {
		return dags
	}
	if !all {
		td = tracesOf(td, fresh)
	}
	e.tracker.Observe(td)
	return dags
}

// drawTrace renders one trace and writes it.
func (e *svgExporter) drawTrace(ctx context.Context, t *spantree.Tree, d *servicedag.DAG, hf svgrender.HeatFunc) error {
	if d.Width == 0 && len(d.Nodes) > 0 {
		servicedag.Layout(d)
	}
	buf := e.bufs.Get().(*bytes.Buffer)
	defer e.putBuf(buf)
	start := time.Now()
	err := svgrender.RenderTrace(buf, t, d, hf, e.renderOptions())
	e.tel.RenderDuration.Record(ctx, float64(time.Since(start))/float64(time.Millisecond), kindTrace)
	if err != nil {
		return fmt.Errorf("%w: %w", errRender, err)
	}
	root := &t.Spans[t.Roots[0]]
	key, err := e.key.Key(objkey.Values{TraceID: t.TraceID.String(), Service: root.Service, Operation: root.Name, Time: time.Unix(0, t.Start)})
	if err != nil {
		return fmt.Errorf("%w: %w", errRender, err)
	}
	key = unreserved(key)
	frag := fragment(t)
	n, err := bucket.Put(ctx, e.bucket, bucket.Object{Key: key, ContentType: contentTypeSVG, Data: buf.Bytes(), Gzip: e.cfg.Gzip, IfNotExist: frag})
	if errors.Is(err, bucket.ErrExists) {
		e.tel.TracesSkipped.Add(ctx, 1, reasonFragment)
		return nil
	}
	if err != nil {
		e.tel.WriteErrors.Add(ctx, 1, kindTrace)
		return err
	}
	e.tel.TracesRendered.Add(ctx, 1)
	e.tel.BytesWritten.Add(ctx, int64(n), kindTrace)
	var errs int64
	for i := range t.Spans {
		if t.Spans[i].Error {
			errs++
		}
	}
	e.addIndex(key, index.Entry{
		Kind:       "trace",
		TraceID:    t.TraceID.String(),
		Service:    root.Service,
		Operation:  root.Name,
		Start:      time.Unix(0, t.Start).UTC(),
		DurationNs: t.Duration,
		Spans:      int64(len(t.Spans)),
		Errors:     errs,
	})
	return nil
}

// fragment reports whether t lacks its root: every top span names a parent
// that is not there, as with spans arriving after their trace was passed on
// (tail_sampling's late spans). A fragment must not replace the picture of
// the whole trace, so it is written only when there is none yet.
func fragment(t *spantree.Tree) bool {
	for _, r := range t.Roots {
		if !t.Spans[r].Orphan {
			return false
		}
	}
	return true
}

// putBuf returns a render buffer to the pool unless a huge trace grew it,
// so one big picture does not pin its memory.
func (e *svgExporter) putBuf(b *bytes.Buffer) {
	if b.Cap() > 4<<20 {
		return
	}
	b.Reset()
	e.bufs.Put(b)
}

// unreserved keeps data from naming a picture like a listing.
func unreserved(key string) string {
	if base := path.Base(key); base == indexJSON || base == indexHTML {
		return key + "_"
	}
	return key
}

func (e *svgExporter) addIndex(key string, entry index.Entry) {
	if !e.indexing() {
		return
	}
	entry.Name = path.Base(key)
	e.mu.Lock()
	e.idx.Add(objkey.Dir(key), entry)
	e.mu.Unlock()
}

// selected applies the render filter: with no condition set every trace is
// drawn, else those matching any condition.
func (e *svgExporter) selected(t *spantree.Tree, attrs map[string]serviceHeat) bool {
	r := e.cfg.Render
	if !r.Errors && r.SlowerThan == 0 && !r.Hot {
		return true
	}
	if r.SlowerThan > 0 && t.Duration >= int64(r.SlowerThan) {
		return true
	}
	for i := range t.Spans {
		s := &t.Spans[i]
		if r.Errors && s.Error {
			return true
		}
		if r.Hot && e.hot(s.Service, attrs) {
			return true
		}
	}
	return false
}

// hot uses heatmap's verdict when the service carried one, else the
// exporter's own statistics.
func (e *svgExporter) hot(service string, attrs map[string]serviceHeat) bool {
	if h, ok := attrs[service]; ok && h.hasHot {
		return h.hot
	}
	if h, ok := attrs[service]; ok {
		return h.Spans > 0 && h.Spans >= e.cfg.Heat.MinSpans && h.ErrorRate >= e.cfg.Heat.Threshold
	}
	return e.tracker.Hot(service)
}

func (e *svgExporter) heatOf(service string, attrs map[string]serviceHeat) (heat.Stats, bool) {
	if h, ok := attrs[service]; ok {
		return h.Stats, true
	}
	return e.tracker.Service(service)
}

func (e *svgExporter) heatFunc(attrs map[string]serviceHeat) svgrender.HeatFunc {
	return func(service string) (heat.Stats, bool) { return e.heatOf(service, attrs) }
}

func (e *svgExporter) renderOptions() svgrender.Options {
	rule := e.cfg.Heat.HotRule() // the heatmap's one hot verdict, threshold as configured
	return svgrender.Options{Scale: e.scale, Hot: &rule}
}

// rotate ends the current service-map window at now, draws and writes it
// (and any map still pending from a failed write).
func (e *svgExporter) rotate(ctx context.Context, now time.Time) error {
	if !e.cfg.ServiceMap.Enabled {
		return nil
	}
	e.mu.Lock()
	w, wh := e.win, e.winHeat
	e.newWindow(now)
	e.mu.Unlock()
	if w.Traces() > 0 {
		if now.Before(w.End) {
			w.End = now // shutdown: the window ends early
		}
		if err := e.drawMap(ctx, w, wh); err != nil {
			e.logger.Error("svg exporter: service map not drawn", zap.Time("window_start", w.Start), zap.Error(err))
		}
	}
	return e.writePending(ctx)
}

// drawMap renders a window's service map and queues it for writing.
func (e *svgExporter) drawMap(ctx context.Context, w *window.Window, wh map[string]serviceHeat) error {
	d := w.DAG()
	servicedag.Layout(d)
	buf := e.bufs.Get().(*bytes.Buffer)
	defer e.putBuf(buf)
	start := time.Now()
	err := svgrender.RenderServiceMap(buf, d, e.heatFunc(wh), w.Start, w.End, e.renderOptions())
	e.tel.RenderDuration.Record(ctx, float64(time.Since(start))/float64(time.Millisecond), kindServiceMap)
	if err != nil {
		return err
	}
	key, err := e.mapKey.Key(objkey.Values{Time: w.Start})
	if err != nil {
		return err
	}
	var spans, errs int64
	for _, n := range d.Nodes {
		spans += n.Spans
		errs += n.Errors
	}
	e.mu.Lock()
	if len(e.pending) >= maxPendingMaps {
		e.logger.Error("svg exporter: storage failing; oldest pending service map dropped", zap.String("key", e.pending[0].obj.Key))
		e.tel.WindowDropped.Add(ctx, 1)
		e.pending = e.pending[1:]
	}
	e.pending = append(e.pending, pendingMap{
		obj:   bucket.Object{Key: unreserved(key), ContentType: contentTypeSVG, Data: bytes.Clone(buf.Bytes()), Gzip: e.cfg.Gzip},
		entry: index.Entry{Kind: "service_map", Service: "service map", Operation: fmt.Sprintf("%d services, %d traces", len(d.Nodes), w.Traces()), Start: w.Start.UTC(), DurationNs: int64(w.End.Sub(w.Start)), Spans: spans, Errors: errs},
	})
	e.mu.Unlock()
	return nil
}

// writePending writes the drawn service maps; those that fail stay pending.
func (e *svgExporter) writePending(ctx context.Context) error {
	e.mu.Lock()
	todo := e.pending
	e.pending = nil
	e.mu.Unlock()
	var keep []pendingMap
	var errs []error
	for _, p := range todo {
		n, err := bucket.Put(ctx, e.bucket, p.obj)
		if err != nil {
			e.tel.WriteErrors.Add(ctx, 1, kindServiceMap)
			errs = append(errs, err)
			keep = append(keep, p)
			continue
		}
		e.tel.ServiceMapsWritten.Add(ctx, 1)
		e.tel.BytesWritten.Add(ctx, int64(n), kindServiceMap)
		e.addIndex(p.obj.Key, p.entry)
	}
	if len(keep) > 0 {
		e.mu.Lock()
		e.pending = append(keep, e.pending...)
		e.mu.Unlock()
		return fmt.Errorf("%d service maps not written: %w", len(keep), errors.Join(errs...))
	}
	return nil
}

// flushIndex writes every listing that changed. A prefix's old index.json
// is read and merged the first time, so a restart continues the listing.
func (e *svgExporter) flushIndex(ctx context.Context) error {
	if !e.indexing() {
		return nil
	}
	e.mu.Lock()
	snaps := e.idx.Dirty()
	e.mu.Unlock()
	var errs []error
	for _, s := range snaps {
		err := e.writeListing(ctx, s)
		if err != nil {
			e.tel.WriteErrors.Add(ctx, 1, kindIndex)
			errs = append(errs, err)
			e.mu.Lock()
			e.idx.Failed(s)
			e.mu.Unlock()
		}
	}
	e.mu.Lock()
	if e.idx.Dropped > 0 {
		e.logger.Warn("svg exporter: listings dropped (too many prefixes changing while storage fails)", zap.Int("count", e.idx.Dropped))
		e.idx.Dropped = 0
	}
	e.mu.Unlock()
	return errors.Join(errs...)
}

func (e *svgExporter) writeListing(ctx context.Context, s index.Snapshot) error {
	entries := s.Entries
	if !s.Loaded && e.cfg.Index.JSON {
		old, err := e.readListing(ctx, s.Prefix)
		if err != nil {
			return err
		}
		e.mu.Lock()
		e.idx.Loaded(s.Prefix, old)
		e.mu.Unlock()
		entries = index.Merge(entries, old, e.cfg.Index.MaxEntries)
	}
	if e.cfg.Index.JSON {
		data, err := index.Encode(s.Prefix, entries)
		if err != nil {
			return err
		}
		if err := e.putListing(ctx, path.Join(s.Prefix, indexJSON), contentTypeJSON, data); err != nil {
			return err
		}
	}
	if e.cfg.Index.HTML {
		var buf bytes.Buffer
		if err := svgrender.RenderIndex(&buf, indexEntries(entries)); err != nil {
			return err
		}
		if err := e.putListing(ctx, path.Join(s.Prefix, indexHTML), contentTypeHTML, buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

func (e *svgExporter) putListing(ctx context.Context, key, contentType string, data []byte) error {
	n, err := bucket.Put(ctx, e.bucket, bucket.Object{Key: key, ContentType: contentType, Data: data})
	if err == nil {
		e.tel.BytesWritten.Add(ctx, int64(n), kindIndex)
	}
	return err
}

// readListing returns the entries of the index.json already under prefix;
// none when there is none or it cannot be parsed (it is then rewritten).
func (e *svgExporter) readListing(ctx context.Context, prefix string) ([]index.Entry, error) {
	data, err := e.bucket.ReadAll(ctx, path.Join(prefix, indexJSON))
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m, err := index.Decode(data)
	if err != nil {
		e.logger.Warn("svg exporter: replacing unreadable listing", zap.String("prefix", prefix), zap.Error(err))
		return nil, nil
	}
	return m.Entries, nil
}

func indexEntries(es []index.Entry) []svgrender.IndexEntry {
	out := make([]svgrender.IndexEntry, len(es))
	for i, e := range es {
		out[i] = svgrender.IndexEntry{
			Key:           e.Name,
			TraceID:       e.TraceID,
			RootService:   e.Service,
			RootOperation: e.Operation,
			Start:         e.Start,
			Duration:      time.Duration(e.DurationNs),
			Spans:         int(e.Spans),
			Errors:        int(e.Errors),
		}
	}
	return out
}

// tracesOf copies the spans of td that belong to the given traces.
func tracesOf(td ptrace.Traces, ids map[pcommon.TraceID]bool) ptrace.Traces {
	out := ptrace.NewTraces()
	td.CopyTo(out)
	out.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
		rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
			ss.Spans().RemoveIf(func(s ptrace.Span) bool { return !ids[s.TraceID()] })
			return ss.Spans().Len() == 0
		})
		return rs.ScopeSpans().Len() == 0
	})
	return out
}
