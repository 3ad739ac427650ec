package svgexporter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"gocloud.dev/blob"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/dedupe"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/index"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/metadata"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/objkey"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/window"
	"github.com/tracemap/tracemap/internal/bucket"
	"github.com/tracemap/tracemap/internal/colorscale"
	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/live"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/summary"
	"github.com/tracemap/tracemap/internal/svgrender"
)

const (
	contentTypeSVG  = "image/svg+xml"
	contentTypeJSON = "application/json"
	contentTypeHTML = "text/html; charset=utf-8"

	indexJSON = "index.json"
	indexHTML = "index.html"

	// dedupeCapacity is how many trees the exporter remembers as counted.
	dedupeCapacity = 1 << 16
	// maxPendingWindows bounds the windows (service maps, or a window's
	// exemplars, map, summary and page) kept for another write attempt.
	maxPendingWindows = 8
)

var (
	kindTrace      = metric.WithAttributeSet(attribute.NewSet(attribute.String("kind", "trace")))
	kindServiceMap = metric.WithAttributeSet(attribute.NewSet(attribute.String("kind", "service_map")))
	kindIndex      = metric.WithAttributeSet(attribute.NewSet(attribute.String("kind", "index")))
	kindData       = metric.WithAttributeSet(attribute.NewSet(attribute.String("kind", "trace_data")))
	kindSummary    = metric.WithAttributeSet(attribute.NewSet(attribute.String("kind", "summary")))
	reasonFilter   = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", "filter")))
	reasonRender   = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", "render_error")))
	reasonFragment = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", "fragment")))
)

type svgExporter struct {
	cfg    *Config
	logger *zap.Logger
	tel    *metadata.TelemetryBuilder
	key    *objkey.Template
	mapKey *objkey.Template
	scale  colorscale.Scale
	now    func() time.Time

	bucket  *blob.Bucket
	tracker *heat.Tracker
	bufs    sync.Pool

	gateway summary.Gateway // this collector in summaries and keys
	id      component.ID
	spool   storage.Client // nil without sending_queue::storage

	mu      sync.Mutex // guards the window state below
	win     *window.Window
	winHeat map[string]serviceHeat // heatmap's figures seen in the window
	ex      *exemplarWindow        // mode exemplars: the window's candidates
	seen    *dedupe.Set
	pending [][]pendingWrite // per window, the writes that failed

	listMu sync.Mutex // guards the listings
	idx    *index.Set

	stop chan struct{}
	wg   sync.WaitGroup
}

func newSVGExporter(cfg *Config, set exporter.Settings) (*svgExporter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
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
		cfg:     cfg,
		logger:  set.Logger,
		tel:     tel,
		key:     key,
		mapKey:  mapKey,
		scale:   scale,
		now:     time.Now,
		idx:     index.NewSet(cfg.Index.MaxEntries, cfg.Index.MaxPrefixes),
		seen:    dedupe.New(dedupeCapacity),
		bufs:    sync.Pool{New: func() any { return new(bytes.Buffer) }},
		gateway: gatewayIdentity(cfg, set.Resource),
		id:      set.ID,
	}, nil
}

func (e *svgExporter) start(ctx context.Context, host component.Host) error {
	b, err := bucket.Open(ctx, e.cfg.Bucket)
	if err != nil {
		return fmt.Errorf("svg exporter: open bucket: %w", err)
	}
	e.bucket = b
	if err := e.openSpool(ctx, host); err != nil {
		return errors.Join(err, b.Close())
	}
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
	if e.spool != nil {
		err = errors.Join(err, e.spool.Close(ctx))
	}
	return errors.Join(err, e.bucket.Close())
}

// loop ends service-map windows on their boundaries and writes changed
// listings every index interval.
func (e *svgExporter) loop(stop <-chan struct{}) {
	defer e.wg.Done()
	var mapT *time.Timer
	var mapC, idxC <-chan time.Time
	if e.windowed() {
		mapT = time.NewTimer(e.untilBoundary(e.now()))
		defer mapT.Stop()
		mapC = mapT.C
	}
	if e.indexing() {
		t := time.NewTicker(e.cfg.Index.Interval)
		defer t.Stop()
		idxC = t.C
	}
	liveT := time.NewTicker(liveInterval)
	defer liveT.Stop()
	defer live.Default.Withdraw(e.gateway.ID)
	var published int64
	e.mu.Lock()
	spooled := len(e.pending) > 0
	e.mu.Unlock()
	if spooled { // taken back from the spool: write them now
		e.background(func(ctx context.Context) error {
			return errors.Join(e.writePending(ctx), e.saveSpool(ctx))
		})
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
		case <-liveT.C:
			e.publishLive(live.Default, &published)
		}
	}
}

// windowed reports whether the exporter keeps windows: for service maps,
// and in mode exemplars for the exemplars and summaries.
func (e *svgExporter) windowed() bool {
	return e.cfg.ServiceMap.Enabled || e.cfg.Mode == ModeExemplars
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

// account adds what td brings to the service-map window and the exporter's
// own statistics, once per piece of data (not again when a batch is
// retried): the traces of td (spantree.GroupByTrace) with their graphs.
// fresh, when set, is called under mu for each trace counted now, and done
// once after them (still under mu).
func (e *svgExporter) account(td ptrace.Traces, groups []spantree.Group, dags []*servicedag.DAG, attrs map[string]serviceHeat, fresh func(i int), done func()) {
	fps := make([]uint64, len(groups))
	for i, g := range groups {
		fps[i] = dedupe.Fingerprint(g.TraceID, g.Refs)
	}
	var counted map[pcommon.TraceID]bool
	all := true
	e.mu.Lock()
	for i, g := range groups {
		if !e.seen.Add(fps[i]) {
			all = false
			continue
		}
		if counted == nil {
			counted = make(map[pcommon.TraceID]bool)
		}
		counted[g.TraceID] = true
		if e.windowed() {
			if n := e.win.Add(dags[i]); n > 0 {
				e.tel.ExporterSvgWindowDropped.Add(context.Background(), int64(n))
			}
		}
		if fresh != nil {
			fresh(i)
		}
	}
	if done != nil {
		done()
	}
	if e.windowed() {
		for svc, h := range attrs {
			if _, ok := e.winHeat[svc]; ok || len(e.winHeat) < e.cfg.ServiceMap.MaxServices {
				e.winHeat[svc] = h
			}
		}
	}
	e.mu.Unlock()
	if len(counted) == 0 || !needsTracker(td, attrs) {
		return
	}
	if !all {
		td = tracesOf(td, counted)
	}
	e.tracker.Observe(td)
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

func (e *svgExporter) renderOptions() svgrender.Options {
	rule := e.cfg.Heat.HotRule() // the heatmap's one hot verdict, threshold as configured
	return svgrender.Options{Scale: e.scale, Hot: &rule}
}
