package layout

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/tracemap/tracemap/internal/culprit"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/processor/layout/internal/hold"
	"github.com/tracemap/tracemap/processor/layout/internal/metadata"
)

// shapeCacheSize is how many service graph shapes keep their layout: a
// shape of a typical trace is one or two KB, the largest cached some 25 KB.
const shapeCacheSize = 512

type layoutProcessor struct {
	cfg    *Config
	next   consumer.Traces
	logger *zap.Logger
	tel    *metadata.TelemetryBuilder
	dag    servicedag.Options
	shapes *servicedag.Cache // layouts of recent service graph shapes

	// With wait > 0: held traces, and the goroutine that releases them.
	mu    sync.Mutex
	store *hold.Store
	stop  chan struct{}
	done  chan struct{}
}

func newProcessor(set processor.Settings, cfg *Config, next consumer.Traces) (*layoutProcessor, error) {
	p := &layoutProcessor{cfg: cfg, next: next, logger: set.Logger, dag: cfg.dagOptions(), shapes: servicedag.NewCache(shapeCacheSize)}
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	p.tel = tel
	if cfg.Wait > 0 {
		p.store = hold.New(hold.Limits{
			Wait:             cfg.Wait,
			MaxTraces:        cfg.MaxTraces,
			MaxSpansPerTrace: cfg.MaxSpansPerTrace,
			MaxSpans:         cfg.MaxSpans,
		})
		err = errors.Join(
			tel.RegisterProcessorLayoutHeldTracesCallback(func(_ context.Context, o metric.Int64Observer) error {
				traces, _ := p.held()
				o.Observe(int64(traces))
				return nil
			}),
			tel.RegisterProcessorLayoutHeldSpansCallback(func(_ context.Context, o metric.Int64Observer) error {
				_, spans := p.held()
				o.Observe(int64(spans))
				return nil
			}))
		if err != nil {
			tel.Shutdown()
			return nil, err
		}
	}
	return p, nil
}

// held is the traces and spans waiting in the store.
func (p *layoutProcessor) held() (traces, spans int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.store.Len()
}

func (p *layoutProcessor) start(context.Context, component.Host) error {
	if p.store == nil {
		return nil
	}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	// Check a few times per wait, so a trace waits at most ~20% longer.
	tick := min(max(p.cfg.Wait/5, 10*time.Millisecond), time.Second)
	go p.run(tick)
	return nil
}

func (p *layoutProcessor) run(tick time.Duration) {
	defer close(p.done)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.mu.Lock()
			released := p.store.Expired(now)
			p.mu.Unlock()
			p.forward(context.Background(), released)
		}
	}
}

// shutdown stops the release loop and passes on every trace still held.
func (p *layoutProcessor) shutdown(ctx context.Context) error {
	if p.stop != nil {
		close(p.stop)
		<-p.done
		p.stop = nil
	}
	if p.store != nil {
		p.mu.Lock()
		released := p.store.Drain()
		p.mu.Unlock()
		p.forward(ctx, released)
	}
	p.tel.Shutdown()
	return nil
}

// processTraces lays out the traces of a batch. With wait > 0 the batch's
// spans go into the store instead, and what comes back is the late spans of
// traces already released plus the traces released early to make room.
func (p *layoutProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	if p.store == nil {
		p.layoutBatch(ctx, td)
		return td, nil
	}
	p.mu.Lock()
	early, late := p.store.Add(td, time.Now())
	p.mu.Unlock()
	if late > 0 {
		p.tel.ProcessorLayoutLateSpans.Add(ctx, int64(late))
	}
	// Released traces first, so that their late spans in td take their
	// time axis.
	for _, r := range early {
		p.layoutBatch(ctx, r.Traces)
	}
	p.layoutBatch(ctx, td)
	for _, r := range early {
		r.Traces.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	if len(early) > 0 {
		p.tel.ProcessorLayoutIncompleteReleases.Add(ctx, int64(len(early)))
	}
	if td.ResourceSpans().Len() == 0 {
		return td, processorhelper.ErrSkipProcessingData
	}
	return td, nil
}

// forwardBatch is how many spans of released traces go to the next
// consumer at once (whole traces, so a batch may be larger).
const forwardBatch = 8192

// forward lays out released traces and passes them on in batches of whole
// traces.
func (p *layoutProcessor) forward(ctx context.Context, released []hold.Released) {
	out, spans, incomplete := ptrace.NewTraces(), 0, 0
	for i, r := range released {
		if r.Early {
			incomplete++
		}
		p.layoutBatch(ctx, r.Traces)
		r.Traces.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
		spans += r.Spans
		if spans >= forwardBatch || i == len(released)-1 {
			p.send(ctx, out, spans)
			out, spans = ptrace.NewTraces(), 0
		}
	}
	if incomplete > 0 {
		p.tel.ProcessorLayoutIncompleteReleases.Add(ctx, int64(incomplete))
	}
}

func (p *layoutProcessor) send(ctx context.Context, td ptrace.Traces, spans int) {
	if err := p.next.ConsumeTraces(ctx, td); err != nil {
		p.tel.ProcessorLayoutReleaseErrors.Add(ctx, int64(spans))
		p.logger.Warn("next consumer refused released traces", zap.Int("spans", spans), zap.Error(err))
	}
}

// workspace is the memory a batch's layout reuses from trace to trace and,
// through the pool, from batch to batch: most of what laying out a trace
// allocated is done with once its attributes are written.
type workspace struct {
	groups spantree.Grouper
	tree   spantree.Tree
	dag    servicedag.Builder
}

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

// maxPooledSpans keeps the memory of huge traces out of the pool.
const maxPooledSpans = 1 << 16

// put lets go of the batch's data and returns w to the pool.
func (w *workspace) put() {
	w.groups.Reset()
	w.tree.Reset()
	if cap(w.tree.Spans) <= maxPooledSpans {
		workspaces.Put(w)
	}
}

// layoutBatch annotates every trace of td in place.
func (p *layoutProcessor) layoutBatch(ctx context.Context, td ptrace.Traces) {
	w := workspaces.Get().(*workspace)
	defer w.put()
	var traces, spans, oversized int64
	for _, g := range w.groups.Group(td) {
		if len(g.Refs) > p.cfg.MaxSpansPerTrace {
			oversized++
			continue
		}
		start := time.Now()
		tr := &w.tree
		tr.Rebuild(g.TraceID, g.Refs)
		late := false
		if p.store != nil && len(tr.Spans) > 0 {
			// Late spans share the time axis of the trace laid out before.
			p.mu.Lock()
			axis, isLate := p.store.Anchor(tr.TraceID, tr.Start)
			p.mu.Unlock()
			tr.Rebase(axis)
			late = isLate
		}
		p.layoutTrace(ctx, tr, &w.dag, late)
		p.tel.ProcessorLayoutTime.Record(ctx, time.Since(start).Seconds())
		traces++
		spans += int64(len(g.Refs))
	}
	if traces > 0 {
		p.tel.ProcessorLayoutTraces.Add(ctx, traces)
		p.tel.ProcessorLayoutSpans.Add(ctx, spans)
	}
	if oversized > 0 {
		p.tel.ProcessorLayoutOversizedTraces.Add(ctx, oversized)
	}
}

// layoutTrace writes the span attributes and own errors, the trace's
// culprits and, when the trace has a root span, its laid-out service DAG
// onto the root. Late spans of a trace laid out before get no culprits: the
// verdict went out with the trace, and a fragment's would contradict it.
func (p *layoutProcessor) layoutTrace(ctx context.Context, tr *spantree.Tree, dags *servicedag.Builder, late bool) {
	tr.WriteAttributes()
	v := culprit.Analyze(tr)
	v.WriteOwnErrors(tr)
	if !late {
		v.WriteCulprits(tr)
	}
	root := tr.Root()
	if root < 0 {
		return
	}
	d := dags.FromTree(tr, p.dag)
	if len(d.Nodes) > p.cfg.MaxDAGNodes {
		p.tel.ProcessorLayoutDagsSkipped.Add(ctx, 1)
		return
	}
	tr.Spans[root].Source.Attributes().PutStr(servicedag.AttrDAG, p.shapes.LayoutEncode(d))
}
