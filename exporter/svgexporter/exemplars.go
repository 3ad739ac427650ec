package svgexporter

// Exemplars (mode exemplars): per window, the candidates chosen online in
// bounded memory (internal/exemplar), and when the window settles their
// pictures and trace data, the service map, the window summary and the
// window's index page, written in parallel and retried as one group.

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.uber.org/zap"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/exemplar"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/index"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/objkey"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/window"
	"github.com/tracemap/tracemap/internal/bucket"
	"github.com/tracemap/tracemap/internal/culprit"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/summary"
)

// exemplarWindow holds one window's candidates and their data: each held
// trace's spans copied out of its batch, so a candidate pins nothing else.
type exemplarWindow struct {
	chooser *exemplar.Chooser
	held    map[pcommon.TraceID]ptrace.Traces
}

func (e *svgExporter) newExemplarWindow() *exemplarWindow {
	x := e.cfg.Exemplars
	return &exemplarWindow{
		chooser: exemplar.New(exemplar.Options{PerKey: x.PerKey, MaxKeys: x.MaxKeys, MaxPictures: x.MaxPicturesPerWindow}),
		held:    make(map[pcommon.TraceID]ptrace.Traces),
	}
}

// gatewayIdentity is this collector's name in summaries and keys: the
// configured gateway_id, else service.instance.id, else the host name.
func gatewayIdentity(cfg *Config, res pcommon.Resource) summary.Gateway {
	host, _ := os.Hostname()
	id := cfg.GatewayID
	if id == "" && res != (pcommon.Resource{}) { // zero when not run by a collector
		if v, ok := res.Attributes().Get(string(semconv.ServiceInstanceIDKey)); ok {
			id = v.AsString()
		}
	}
	if id == "" {
		id = host
	}
	return summary.Gateway{ID: objkey.Sanitize(id), Host: host}
}

// candidate is what the window and the chooser need of one trace of a
// batch.
type candidate struct {
	duration int64 // as spantree.Tree.Duration
	dag      *servicedag.DAG
	verdict  culprit.Verdict
}

// candidateOf describes a trace (a group of spantree.GroupByTrace). A
// trace the layout processor laid out is read from what it wrote: its
// culprits and tracemap.dag on the root, its skew corrections and own
// errors on the spans. Only other traces are built into a span tree, to
// compute the same with the same packages.
func candidateOf(g spantree.Group) candidate {
	if c, ok := laidOut(g.Refs); ok {
		return c
	}
	t := spantree.Build(g.TraceID, g.Refs)
	root := t.Spans[t.Roots[0]].Source.Attributes()
	v, ok := verdictFrom(root, g.Refs)
	if !ok {
		v = culprit.Analyze(t)
	}
	return candidate{duration: t.Duration, dag: graph(t), verdict: v}
}

// laidOut reads a candidate from the layout processor's attributes, if the
// trace has a root span carrying its culprits and a valid tracemap.dag.
func laidOut(refs []spantree.Ref) (candidate, bool) {
	for _, r := range refs {
		if !r.Span.ParentSpanID().IsEmpty() {
			continue
		}
		attrs := r.Span.Attributes()
		enc, ok := attrs.Get(servicedag.AttrDAG)
		if !ok || enc.Type() != pcommon.ValueTypeStr {
			continue
		}
		v, ok := verdictFrom(attrs, refs)
		if !ok {
			return candidate{}, false
		}
		d, err := servicedag.DecodeGraph(enc.Str())
		if err != nil {
			return candidate{}, false
		}
		return candidate{duration: skewedDuration(refs), dag: d, verdict: v}, true
	}
	return candidate{}, false
}

// skewedDuration is spantree.Tree.Duration from the spans' tracemap.skew_ns:
// from the earliest corrected start to the latest corrected end.
func skewedDuration(refs []spantree.Ref) int64 {
	first, last := spantree.MaxTime, int64(0)
	for _, r := range refs {
		start, end := spantree.Times(r.Span)
		if v, ok := r.Span.Attributes().Get(spantree.AttrSkew); ok && v.Type() == pcommon.ValueTypeInt {
			// As Build clamps: the span stays inside 0..MaxTime.
			skew := max(-spantree.MaxTime, min(v.Int(), spantree.MaxTime))
			shifted := max(0, min(start+skew, spantree.MaxTime-(end-start)))
			start, end = shifted, shifted+end-start
		}
		first, last = min(first, start), max(last, end)
	}
	return last - first
}

// verdictFrom reads the culprits the layout processor wrote on a trace's
// root (root's attributes) and tracemap.error.own on its ERROR spans (only
// they can be own errors); false when layout did not write them.
func verdictFrom(root pcommon.Map, spans []spantree.Ref) (culprit.Verdict, bool) {
	lat, ok := root.Get(culprit.AttrLatency)
	if !ok || lat.Type() != pcommon.ValueTypeStr {
		return culprit.Verdict{}, false
	}
	v := culprit.Verdict{Latency: lat.Str(), ErrorSpan: -1, Own: make([]bool, len(spans))}
	if s, ok := root.Get(culprit.AttrLatencyShare); ok && s.Type() == pcommon.ValueTypeDouble {
		v.LatencyShare = s.Double()
	}
	if s, ok := root.Get(culprit.AttrError); ok && s.Type() == pcommon.ValueTypeStr {
		v.Error = s.Str()
	}
	for i, r := range spans {
		if r.Span.Status().Code() != ptrace.StatusCodeError {
			continue
		}
		if o, ok := r.Span.Attributes().Get(culprit.AttrOwnError); ok && o.Type() == pcommon.ValueTypeBool {
			v.Own[i] = o.Bool()
		}
	}
	return v, true
}

// offerOf describes a trace to the chooser: its services and edges, and
// those where its failure started and that held its latency share.
func offerOf(id pcommon.TraceID, c *candidate) exemplar.Offer {
	d, v := c.dag, c.verdict
	o := exemplar.Offer{ID: id, DurationNs: c.duration, Keys: make([]exemplar.Key, 0, len(d.Nodes)+len(d.Edges))}
	for _, n := range d.Nodes {
		k := exemplar.Key{Service: n.Name}
		o.Keys = append(o.Keys, k)
		if v.Error != "" && n.Service == v.Error {
			o.Error = append(o.Error, k)
		}
		if v.Latency != "" && n.Service == v.Latency {
			o.Slow = append(o.Slow, k)
		}
	}
	for _, ed := range d.Edges {
		if ed.From < 0 || ed.From >= len(d.Nodes) || ed.To < 0 || ed.To >= len(d.Nodes) {
			continue
		}
		to := &d.Nodes[ed.To]
		k := exemplar.Key{From: d.Nodes[ed.From].Name, To: to.Name}
		o.Keys = append(o.Keys, k)
		if v.Error != "" && to.Service == v.Error && ed.Errors > 0 {
			o.Error = append(o.Error, k)
		}
		if v.Latency != "" && to.Service == v.Latency {
			o.Slow = append(o.Slow, k)
		}
	}
	return o
}

// pushExemplars counts td into the window and offers its fresh traces to
// the chooser; nothing is written here, so a batch never fails.
func (e *svgExporter) pushExemplars(_ context.Context, td ptrace.Traces) error {
	// Nothing keeps the groups: held traces are copied out of td.
	gr := groupers.Get().(*spantree.Grouper)
	defer func() { gr.Reset(); groupers.Put(gr) }()
	groups := gr.Group(td)
	cands := make([]candidate, len(groups))
	dags := make([]*servicedag.DAG, len(groups))
	for i, g := range groups {
		cands[i] = candidateOf(g)
		dags[i] = cands[i].dag
	}
	var keep map[pcommon.TraceID]bool
	e.account(td, groups, dags, resourceHeat(td), func(i int) {
		g, c := groups[i], &cands[i]
		e.win.Observe(g.Refs, c.verdict.Own, c.dag, c.verdict.Error)
		if ok, _ := e.selected(c.duration, g.Refs); !ok {
			e.tel.ExporterSvgTracesSkipped.Add(context.Background(), 1, reasonFilter)
			return
		}
		kept, released := e.ex.chooser.Offer(offerOf(g.TraceID, c))
		for _, id := range released {
			delete(e.ex.held, id)
			delete(keep, id)
		}
		if _, ok := e.ex.held[g.TraceID]; kept && !ok {
			if keep == nil {
				keep = make(map[pcommon.TraceID]bool)
			}
			keep[g.TraceID] = true
		}
	}, func() {
		if len(keep) == 0 {
			return
		}
		for id, data := range splitTraces(td, keep) {
			e.ex.held[id] = data
		}
	})
	return nil
}

var groupers = sync.Pool{New: func() any { return new(spantree.Grouper) }}

// splitTraces copies the spans of the given traces out of td, one Traces
// per trace, in one pass.
func splitTraces(td ptrace.Traces, ids map[pcommon.TraceID]bool) map[pcommon.TraceID]ptrace.Traces {
	out := make(map[pcommon.TraceID]ptrace.Traces, len(ids))
	type dst struct {
		rs ptrace.ResourceSpans
		ss ptrace.ScopeSpans
	}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			cur := map[pcommon.TraceID]dst{}
			for k := 0; k < ss.Spans().Len(); k++ {
				sp := ss.Spans().At(k)
				id := sp.TraceID()
				if !ids[id] {
					continue
				}
				d, ok := cur[id]
				if !ok {
					t, ok := out[id]
					if !ok {
						t = ptrace.NewTraces()
						out[id] = t
					}
					d.rs = t.ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(d.rs.Resource())
					d.rs.SetSchemaUrl(rs.SchemaUrl())
					d.ss = d.rs.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(d.ss.Scope())
					d.ss.SetSchemaUrl(ss.SchemaUrl())
					cur[id] = d
				}
				sp.CopyTo(d.ss.Spans().AppendEmpty())
			}
		}
	}
	return out
}

// settle draws a finished window: its exemplars (picture and trace data),
// its service map with nodes linked to the window's page, its summary and
// the page itself, and queues them as one group of writes.
func (e *svgExporter) settle(ctx context.Context, w *window.Window, wh map[string]serviceHeat, ex *exemplarWindow) error {
	sum, err := w.Summary()
	if err != nil {
		return err
	}
	sum.Gateways = []summary.Gateway{e.gateway}
	chosen := ex.chooser.Choose()
	type drawn struct {
		x      summary.Exemplar
		writes []pendingWrite
	}
	results := make([]drawn, len(chosen))
	e.parallel(len(chosen), func(i int) {
		x, writes, err := e.drawExemplar(ctx, w.Start, chosen[i], ex.held[chosen[i].ID])
		if err != nil {
			e.tel.ExporterSvgTracesSkipped.Add(ctx, 1, reasonRender)
			e.logger.Error("svg exporter: exemplar not drawn", zap.Stringer("trace_id", chosen[i].ID), zap.Error(err))
			return
		}
		results[i] = drawn{x, writes}
	})

	var group []pendingWrite
	for _, r := range results {
		if r.x.TraceID == "" {
			continue
		}
		sum.Exemplars = append(sum.Exemplars, r.x)
		group = append(group, r.writes...)
	}
	page := newWindowPage(sum, e.gateway.ID)
	if e.cfg.ServiceMap.Enabled && w.Traces() > 0 {
		mapKey := summary.ServiceMapKey(w.Start, e.gateway.ID)
		obj, _, err := e.drawMap(ctx, w, wh, mapKey, page.nodeLink(w.DAG()))
		if err != nil {
			e.logger.Error("svg exporter: service map not drawn", zap.Time("window_start", w.Start), zap.Error(err))
		} else {
			sum.ServiceMap = mapKey
			group = append(group, pendingWrite{obj: obj, kind: "service_map", last: true})
		}
	}
	data, err := summary.Encode(sum)
	if err != nil {
		return err
	}
	group = append(group, pendingWrite{obj: bucket.Object{Key: summary.Key(w.Start, e.gateway.ID), ContentType: contentTypeJSON, Data: data}, kind: "summary", last: true})
	html, err := page.render()
	if err != nil {
		return err
	}
	var spans, errs int64
	for _, s := range sum.Services {
		spans += s.Spans
		errs += s.Errors
	}
	pageKey := summary.IndexKey(w.Start, e.gateway.ID)
	group = append(group, pendingWrite{
		obj:  bucket.Object{Key: pageKey, ContentType: contentTypeHTML, Data: html},
		kind: "index", last: true,
		// The day's listing lists the window pages.
		listIn: path.Dir(summary.WindowPrefix(w.Start)),
		entry: &index.Entry{Kind: "window", Service: "window", Operation: fmt.Sprintf("%d services, %d traces, %d exemplars", len(sum.Services), sum.Traces, len(sum.Exemplars)),
			Start: w.Start.UTC(), DurationNs: int64(w.End.Sub(w.Start)), Spans: spans, Errors: errs},
	})
	e.queue(ctx, group)
	return nil
}

// drawExemplar renders a chosen trace and encodes its data.
func (e *svgExporter) drawExemplar(ctx context.Context, start time.Time, c exemplar.Chosen, data ptrace.Traces) (summary.Exemplar, []pendingWrite, error) {
	var t *spantree.Tree
	var spans []spantree.Ref
	for _, g := range spantree.GroupByTrace(data) {
		if g.TraceID == c.ID {
			t, spans = spantree.Build(g.TraceID, g.Refs), g.Refs
		}
	}
	if t == nil {
		return summary.Exemplar{}, nil, fmt.Errorf("no data held for trace %s", c.ID)
	}
	buf := e.bufs.Get().(*bytes.Buffer)
	defer e.putBuf(buf)
	if err := e.renderTrace(ctx, buf, t, graph(t), e.heatFunc(treeHeat(spans))); err != nil {
		return summary.Exemplar{}, nil, err
	}
	root := &t.Spans[t.Roots[0]]
	x := summary.Exemplar{
		TraceID: c.ID.String(), Start: time.Unix(0, t.Start).UTC(), DurationNs: t.Duration,
		Spans: int64(len(t.Spans)), Errors: errorSpans(t), RootService: root.Service, RootOperation: root.Name,
		SVG: summary.ExemplarSVGKey(start, c.ID),
	}
	for _, r := range c.Roles {
		x.For = append(x.For, summary.Role{Reason: r.Reason, Service: r.Key.Service, From: r.Key.From, To: r.Key.To})
	}
	writes := []pendingWrite{{obj: bucket.Object{Key: x.SVG, ContentType: contentTypeSVG, Data: bytes.Clone(buf.Bytes()), Gzip: e.cfg.Gzip}, kind: "trace"}}
	if e.cfg.Exemplars.Data {
		pb, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(data)
		if err != nil {
			return summary.Exemplar{}, nil, err
		}
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		_, _ = zw.Write(pb) // a bytes.Buffer does not fail
		_ = zw.Close()
		x.Data = summary.ExemplarDataKey(start, c.ID)
		writes = append(writes, pendingWrite{obj: bucket.Object{Key: x.Data, ContentType: summary.ContentTypeData, Data: z.Bytes()}, kind: "trace_data"})
	}
	return x, writes, nil
}

func errorSpans(t *spantree.Tree) int64 {
	var n int64
	for i := range t.Spans {
		if t.Spans[i].Error {
			n++
		}
	}
	return n
}
