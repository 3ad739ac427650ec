package svgexporter

// Trace pictures: which traces are drawn, drawing one, and writing it with
// partial retry (a failed write returns just its trace to the exporter
// helper).

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/index"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/objkey"
	"github.com/tracemap/tracemap/internal/bucket"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/svgrender"
)

// pushTraces draws the selected traces of td and writes them. Traces whose
// write fails are returned in a consumererror.Traces, so the exporter
// helper retries (or queues) just those.
func (e *svgExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	if e.cfg.Mode == ModeExemplars {
		return e.pushExemplars(ctx, td)
	}
	groups := spantree.GroupByTrace(td)
	trees := make([]*spantree.Tree, len(groups))
	dags := make([]*servicedag.DAG, len(groups))
	for i, g := range groups {
		trees[i] = spantree.Build(g.TraceID, g.Refs)
		dags[i] = graph(trees[i])
	}
	e.account(td, groups, dags, resourceHeat(td), nil, nil)

	failed := make(map[pcommon.TraceID]bool)
	var first error
	for i, t := range trees {
		if err := ctx.Err(); err != nil {
			failed[t.TraceID] = true // out of time: the rest goes back
			first = cmp.Or(first, err)
			continue
		}
		ok, th := e.selected(t.Duration, groups[i].Refs)
		if !ok {
			e.tel.ExporterSvgTracesSkipped.Add(ctx, 1, reasonFilter)
			continue
		}
		if th == nil {
			th = treeHeat(groups[i].Refs)
		}
		if err := e.drawTrace(ctx, t, dags[i], e.heatFunc(th)); err != nil {
			if errors.Is(err, errRender) {
				e.tel.ExporterSvgTracesSkipped.Add(ctx, 1, reasonRender)
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
	if v, ok := t.Spans[t.Roots[0]].Source.Attributes().Get(servicedag.AttrDAG); ok && v.Type() == pcommon.ValueTypeStr {
		if d, err := servicedag.Decode(v.Str()); err == nil {
			return d
		}
	}
	return servicedag.FromTree(t, servicedag.Options{})
}

// renderTrace draws one trace into buf; errors wrap errRender.
func (e *svgExporter) renderTrace(ctx context.Context, buf *bytes.Buffer, t *spantree.Tree, d *servicedag.DAG, hf svgrender.HeatFunc) error {
	if d.Width == 0 && len(d.Nodes) > 0 {
		servicedag.Layout(d)
	}
	start := time.Now()
	err := svgrender.RenderTrace(buf, t, d, hf, e.renderOptions())
	e.tel.ExporterSvgRenderDuration.Record(ctx, time.Since(start).Seconds(), kindTrace)
	if err != nil {
		return fmt.Errorf("%w: %w", errRender, err)
	}
	return nil
}

// drawTrace renders one trace and writes it (mode all).
func (e *svgExporter) drawTrace(ctx context.Context, t *spantree.Tree, d *servicedag.DAG, hf svgrender.HeatFunc) error {
	buf := e.bufs.Get().(*bytes.Buffer)
	defer e.putBuf(buf)
	if err := e.renderTrace(ctx, buf, t, d, hf); err != nil {
		return err
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
		e.tel.ExporterSvgTracesSkipped.Add(ctx, 1, reasonFragment)
		return nil
	}
	if err != nil {
		e.tel.ExporterSvgWriteErrors.Add(ctx, 1, kindTrace)
		return err
	}
	e.tel.ExporterSvgTracesRendered.Add(ctx, 1)
	e.tel.ExporterSvgBytesWritten.Add(ctx, int64(n), kindTrace)
	e.addIndex(key, index.Entry{
		Kind:       "trace",
		TraceID:    t.TraceID.String(),
		Service:    root.Service,
		Operation:  root.Name,
		Start:      time.Unix(0, t.Start).UTC(),
		DurationNs: t.Duration,
		Spans:      int64(len(t.Spans)),
		Errors:     errorSpans(t),
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

// unreserved keeps data from naming a picture like a listing.
func unreserved(key string) string {
	if base := path.Base(key); base == indexJSON || base == indexHTML {
		return key + "_"
	}
	return key
}

// selected applies the render filter to a trace (its duration as
// spantree.Tree.Duration, its spans): with no condition set every trace is
// drawn, else those matching any condition. The trace's heat is read only
// for the hot condition (every kept trace passes here) and returned when
// read, so a drawn trace does not compute it twice.
func (e *svgExporter) selected(duration int64, spans []spantree.Ref) (ok bool, heat map[string]serviceHeat) {
	r := e.cfg.Render
	if !r.Errors && r.SlowerThan == 0 && !r.Hot {
		return true, nil
	}
	if r.SlowerThan > 0 && duration >= int64(r.SlowerThan) {
		return true, nil
	}
	if r.Hot {
		heat = treeHeat(spans)
	}
	for _, s := range spans {
		if r.Errors && s.Span.Status().Code() == ptrace.StatusCodeError {
			return true, heat
		}
		if r.Hot && e.hot(s.Service, heat) {
			return true, heat
		}
	}
	return false, heat
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
