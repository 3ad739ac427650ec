package svgexporter

// The heat fallback: heatmap's figures read from resource attributes, and
// the exporter's own statistics for services that arrive without them.

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/svgrender"
)

// serviceHeat is what heatmap said about a service.
type serviceHeat struct {
	heat.Stats
	hot, hasHot bool
}

// resourceHeat reads heatmap's figures from the resources of td, by
// service (the last resource of a service wins). Resources without
// tracemap.service.span_count are not in the map.
func resourceHeat(td ptrace.Traces) map[string]serviceHeat {
	var out map[string]serviceHeat
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		out = addResourceHeat(out, rss.At(i).Resource())
	}
	return out
}

// treeHeat is resourceHeat of one trace: the figures its own spans' resources
// carry, whatever else shared its batch. A trace is drawn with these, so the
// same trace gives the same picture however it was batched (in the
// collector, or read back from the file exporter's output by tracemap
// render).
func treeHeat(spans []spantree.Ref) map[string]serviceHeat {
	var out map[string]serviceHeat
	var last pcommon.Resource
	for i := range spans {
		if res := spans[i].Resource; i == 0 || res != last {
			out = addResourceHeat(out, res)
			last = res
		}
	}
	return out
}

// addResourceHeat adds what res carries to out (made when needed).
func addResourceHeat(out map[string]serviceHeat, res pcommon.Resource) map[string]serviceHeat {
	attrs := res.Attributes()
	var h serviceHeat
	if v, ok := attrs.Get(heat.AttrServiceOverflow); ok && v.Type() == pcommon.ValueTypeBool && v.Bool() {
		// Counted in heatmap's overflow bucket: no figures of its own,
		// drawn as not tracked, never hot.
		h = serviceHeat{Stats: heat.Stats{Overflow: true}, hasHot: true}
	} else {
		n, ok := attrs.Get(heat.AttrServiceSpanCount)
		if !ok || n.Type() != pcommon.ValueTypeInt {
			return out
		}
		h = serviceHeat{Stats: heat.Stats{
			Spans:        n.Int(),
			Errors:       intAttr(attrs, heat.AttrServiceErrorCount),
			ErrorRate:    min(max(floatAttr(attrs, heat.AttrServiceErrorRate), 0), 1),
			OwnErrors:    intAttr(attrs, heat.AttrServiceOwnErrorCount),
			OwnErrorRate: min(max(floatAttr(attrs, heat.AttrServiceOwnErrorRate), 0), 1),
			P50Ms:        floatAttr(attrs, heat.AttrServiceP50Ms),
			P90Ms:        floatAttr(attrs, heat.AttrServiceP90Ms),
			P99Ms:        floatAttr(attrs, heat.AttrServiceP99Ms),
		}}
		if v, ok := attrs.Get(heat.AttrServiceHot); ok && v.Type() == pcommon.ValueTypeBool {
			h.hot, h.hasHot = v.Bool(), true
		}
	}
	if out == nil {
		out = make(map[string]serviceHeat)
	}
	out[spantree.ServiceName(res)] = h
	return out
}

// needsTracker reports whether some resource of td came without heatmap's
// figures, so the exporter's own statistics must see the data.
func needsTracker(td ptrace.Traces, attrs map[string]serviceHeat) bool {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		if _, ok := attrs[spantree.ServiceName(rss.At(i).Resource())]; !ok {
			return true
		}
	}
	return false
}

func intAttr(m pcommon.Map, k string) int64 {
	if v, ok := m.Get(k); ok && v.Type() == pcommon.ValueTypeInt {
		return v.Int()
	}
	return 0
}

// floatAttr reads a double (or an int, for tolerant producers); NaN and
// infinities read as 0 so they cannot reach the drawing.
func floatAttr(m pcommon.Map, k string) float64 {
	v, ok := m.Get(k)
	if !ok {
		return 0
	}
	var f float64
	switch v.Type() {
	case pcommon.ValueTypeDouble:
		f = v.Double()
	case pcommon.ValueTypeInt:
		f = float64(v.Int())
	}
	if f != f || f > 1e300 || f < -1e300 {
		return 0
	}
	return f
}

// hot uses heatmap's verdict when the service carried one, else the
// exporter's own statistics.
func (e *svgExporter) hot(service string, attrs map[string]serviceHeat) bool {
	if h, ok := attrs[service]; ok && h.hasHot {
		return h.hot
	}
	if h, ok := attrs[service]; ok {
		return e.cfg.Heat.HotRule().Hot(h.Stats)
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
