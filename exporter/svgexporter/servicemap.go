package svgexporter

// Service maps: the window of traces, drawing it when the window ends, and
// the bounded retry of maps whose write failed.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/index"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/objkey"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/window"
	"github.com/tracemap/tracemap/internal/bucket"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/svgrender"
)

// pendingWrite is an object of a settled window not yet written.
type pendingWrite struct {
	obj  bucket.Object
	kind string // a kind label of the telemetry (trace, trace_data, ...)
	// last objects are written after the others of their group succeeded
	// (the summary and page that point at the pictures).
	last bool
	// entry, when set, is listed in listIn (or the object's own prefix)
	// once written.
	entry  *index.Entry
	listIn string
}

var kinds = map[string]metric.MeasurementOption{
	"trace": kindTrace, "trace_data": kindData, "service_map": kindServiceMap, "summary": kindSummary, "index": kindIndex,
}

func (e *svgExporter) untilBoundary(now time.Time) time.Duration {
	iv := e.cfg.ServiceMap.Interval
	return now.Truncate(iv).Add(iv).Sub(now)
}

// newWindow starts the window holding now. Callers hold mu or own e
// exclusively.
func (e *svgExporter) newWindow(now time.Time) {
	iv := e.cfg.ServiceMap.Interval
	if !e.windowed() {
		iv = time.Minute // unused, but keeps the window well-formed
	}
	start := now.Truncate(iv)
	e.win = window.New(start, start.Add(iv), e.cfg.ServiceMap.MaxServices, e.cfg.ServiceMap.MaxEdges)
	e.winHeat = make(map[string]serviceHeat)
	if e.cfg.Mode == ModeExemplars {
		e.ex = e.newExemplarWindow()
	}
}

// rotate ends the current window at now, draws and writes it (and any
// window still pending from a failed write).
func (e *svgExporter) rotate(ctx context.Context, now time.Time) error {
	if !e.windowed() {
		return nil
	}
	e.mu.Lock()
	w, wh, ex := e.win, e.winHeat, e.ex
	e.newWindow(now)
	e.mu.Unlock()
	if w.Traces() > 0 {
		if now.Before(w.End) {
			w.End = now // shutdown: the window ends early
		}
		var err error
		if e.cfg.Mode == ModeExemplars {
			err = e.settle(ctx, w, wh, ex)
		} else {
			err = e.queueMap(ctx, w, wh)
		}
		if err != nil {
			e.logger.Error("svg exporter: window not drawn", zap.Time("window_start", w.Start), zap.Error(err))
		}
	}
	err := e.writePending(ctx)
	if serr := e.saveSpool(ctx); serr != nil || e.spool == nil || err == nil {
		return errors.Join(err, serr)
	}
	// Kept in the storage extension: written at the next window end, or by
	// the next run.
	e.logger.Warn("svg exporter: window not written yet; kept in storage for the next attempt", zap.Error(err))
	return nil
}

// queueMap draws a window's service map at service_map::key (mode all).
func (e *svgExporter) queueMap(ctx context.Context, w *window.Window, wh map[string]serviceHeat) error {
	key, err := e.mapKey.Key(objkey.Values{Time: w.Start})
	if err != nil {
		return err
	}
	obj, entry, err := e.drawMap(ctx, w, wh, unreserved(key), nil)
	if err != nil {
		return err
	}
	e.queue(ctx, []pendingWrite{{obj: obj, kind: "service_map", entry: &entry}})
	return nil
}

// drawMap renders a window's service map as the object key, nodes linked
// by link (nil: none).
func (e *svgExporter) drawMap(ctx context.Context, w *window.Window, wh map[string]serviceHeat, key string, link func(int) (string, string)) (bucket.Object, index.Entry, error) {
	d := w.DAG()
	servicedag.Layout(d)
	buf := e.bufs.Get().(*bytes.Buffer)
	defer e.putBuf(buf)
	start := time.Now()
	opt := e.renderOptions()
	opt.NodeLink = link
	err := svgrender.RenderServiceMap(buf, d, e.heatFunc(wh), w.Start, w.End, opt)
	e.tel.ExporterSvgRenderDuration.Record(ctx, time.Since(start).Seconds(), kindServiceMap)
	if err != nil {
		return bucket.Object{}, index.Entry{}, err
	}
	var spans, errs int64
	for _, n := range d.Nodes {
		spans += n.Spans
		errs += n.Errors
	}
	obj := bucket.Object{Key: key, ContentType: contentTypeSVG, Data: bytes.Clone(buf.Bytes()), Gzip: e.cfg.Gzip}
	entry := index.Entry{Kind: "service_map", Service: "service map", Operation: fmt.Sprintf("%d services, %d traces", len(d.Nodes), w.Traces()), Start: w.Start.UTC(), DurationNs: int64(w.End.Sub(w.Start)), Spans: spans, Errors: errs}
	return obj, entry, nil
}

// queue adds a window's writes to the pending ones, dropping the oldest
// window when storage has been failing for maxPendingWindows windows.
func (e *svgExporter) queue(ctx context.Context, group []pendingWrite) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.pending) >= maxPendingWindows {
		e.logger.Error("svg exporter: storage failing; oldest pending window dropped", zap.String("key", e.pending[0][0].obj.Key), zap.Int("objects", len(e.pending[0])))
		e.tel.ExporterSvgWindowDropped.Add(ctx, 1)
		e.pending = e.pending[1:]
	}
	e.pending = append(e.pending, group)
}

// writePending writes the pending windows, each group's objects in
// parallel (exemplars::writers), its last objects after the others; what
// fails stays pending.
func (e *svgExporter) writePending(ctx context.Context) error {
	e.mu.Lock()
	todo := e.pending
	e.pending = nil
	e.mu.Unlock()
	var keep [][]pendingWrite
	var errs []error
	for _, g := range todo {
		var first, last []pendingWrite
		for _, p := range g {
			if p.last {
				last = append(last, p)
			} else {
				first = append(first, p)
			}
		}
		failed, err := e.writeAll(ctx, first)
		if len(failed) == 0 {
			failed, err = e.writeAll(ctx, last)
		} else {
			failed = append(failed, last...)
		}
		if len(failed) > 0 {
			keep = append(keep, failed)
			errs = append(errs, err)
		}
	}
	if len(keep) > 0 {
		e.mu.Lock()
		e.pending = append(keep, e.pending...)
		e.mu.Unlock()
		return fmt.Errorf("%d windows not completely written: %w", len(keep), errors.Join(errs...))
	}
	return nil
}

// writeAll writes objects in parallel and returns those that failed.
func (e *svgExporter) writeAll(ctx context.Context, ps []pendingWrite) ([]pendingWrite, error) {
	errs := make([]error, len(ps))
	e.parallel(len(ps), func(i int) { errs[i] = e.write(ctx, ps[i]) })
	var failed []pendingWrite
	for i, err := range errs {
		if err != nil {
			failed = append(failed, ps[i])
		}
	}
	return failed, errors.Join(errs...)
}

// parallel runs fn(0..n-1) on exemplars::writers goroutines.
func (e *svgExporter) parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	work := make(chan int)
	for range min(max(e.cfg.Exemplars.Writers, 1), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				fn(i)
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}

func (e *svgExporter) write(ctx context.Context, p pendingWrite) error {
	n, err := bucket.Put(ctx, e.bucket, p.obj)
	kind := kinds[p.kind]
	if err != nil {
		e.tel.ExporterSvgWriteErrors.Add(ctx, 1, kind)
		return err
	}
	e.tel.ExporterSvgBytesWritten.Add(ctx, int64(n), kind)
	switch p.kind {
	case "trace":
		e.tel.ExporterSvgTracesRendered.Add(ctx, 1)
	case "service_map":
		e.tel.ExporterSvgServiceMapsWritten.Add(ctx, 1)
	case "summary":
		e.tel.ExporterSvgSummariesWritten.Add(ctx, 1)
	}
	if p.entry != nil {
		if p.listIn != "" {
			e.addIndexAt(p.listIn, strings.TrimPrefix(p.obj.Key, p.listIn+"/"), *p.entry)
		} else {
			e.addIndex(p.obj.Key, *p.entry)
		}
	}
	return nil
}
