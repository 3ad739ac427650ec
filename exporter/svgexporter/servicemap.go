package svgexporter

// Service maps: the window of traces, drawing it when the window ends, and
// the bounded retry of maps whose write failed.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/bucket"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/index"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/objkey"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/window"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/svgrender"
)

// pendingMap is a drawn service map whose write failed.
type pendingMap struct {
	obj   bucket.Object
	entry index.Entry
}

func (e *svgExporter) untilBoundary(now time.Time) time.Duration {
	iv := e.cfg.ServiceMap.Interval
	return now.Truncate(iv).Add(iv).Sub(now)
}

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
	e.tel.ExporterSvgRenderDuration.Record(ctx, time.Since(start).Seconds(), kindServiceMap)
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
		e.tel.ExporterSvgWindowDropped.Add(ctx, 1)
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
			e.tel.ExporterSvgWriteErrors.Add(ctx, 1, kindServiceMap)
			errs = append(errs, err)
			keep = append(keep, p)
			continue
		}
		e.tel.ExporterSvgServiceMapsWritten.Add(ctx, 1)
		e.tel.ExporterSvgBytesWritten.Add(ctx, int64(n), kindServiceMap)
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
