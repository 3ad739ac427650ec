package tracewrite

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/traceio"
)

// jaegerJSON writes the document Jaeger UI downloads ({"data":[trace...]}):
// each batch adds one entry per trace it holds, with that trace's
// processes. A trace whose spans arrive in several batches gets several
// entries with the same traceID; readers join them by ID.
type jaegerJSON struct{ jsonArray }

func (*jaegerJSON) begin(w *bufio.Writer) { w.WriteString(`{"data":[`) }
func (*jaegerJSON) end(w *bufio.Writer)   { w.WriteString("\n]}\n") }

func (e *jaegerJSON) batch(w *bufio.Writer, td ptrace.Traces) error {
	traces := map[pcommon.TraceID]*traceio.JaegerTrace{}
	var order []*traceio.JaegerTrace
	// A resource is identified by its attributes' map, shared by its spans.
	type procKey struct {
		tr  *traceio.JaegerTrace
		res pcommon.Map
	}
	procs := map[procKey]string{}
	err := eachSpan(td, func(res pcommon.Resource, sc pcommon.InstrumentationScope, sp ptrace.Span) error {
		if err := checkSpan(sp); err != nil {
			return err
		}
		tr := traces[sp.TraceID()]
		if tr == nil {
			tr = &traceio.JaegerTrace{TraceID: traceIDHex(sp.TraceID()), Processes: map[string]traceio.JaegerProcess{}}
			traces[sp.TraceID()] = tr
			order = append(order, tr)
		}
		pid, ok := procs[procKey{tr, res.Attributes()}]
		if !ok {
			pid = "p" + strconv.Itoa(len(tr.Processes)+1)
			procs[procKey{tr, res.Attributes()}] = pid
			tr.Processes[pid] = jaegerProcess(res)
		}
		js, err := jaegerSpan(sp, sc, pid)
		tr.Spans = append(tr.Spans, js)
		return err
	})
	if err != nil {
		return err
	}
	for _, tr := range order {
		if err := e.add(w, tr); err != nil {
			return err
		}
	}
	return nil
}

func jaegerProcess(r pcommon.Resource) traceio.JaegerProcess {
	p := traceio.JaegerProcess{ServiceName: serviceName(r), Tags: []traceio.JaegerKV{}}
	if p.ServiceName == "" {
		p.ServiceName = spantree.UnknownService
	}
	for k, v := range r.Attributes().All() {
		if k != "service.name" {
			p.Tags = append(p.Tags, jaegerTag(k, v))
		}
	}
	return p
}

func jaegerSpan(sp ptrace.Span, scope pcommon.InstrumentationScope, pid string) (traceio.JaegerSpan, error) {
	tid := traceIDHex(sp.TraceID())
	js := traceio.JaegerSpan{
		TraceID:       tid,
		SpanID:        sp.SpanID().String(),
		OperationName: sp.Name(),
		References:    []traceio.JaegerRef{},
		StartTime:     micros(sp.StartTimestamp()),
		Duration:      durationMicros(sp),
		Tags:          []traceio.JaegerKV{},
		Logs:          []traceio.JaegerLog{},
		ProcessID:     pid,
	}
	if !sp.ParentSpanID().IsEmpty() {
		js.References = append(js.References, traceio.JaegerRef{RefType: "CHILD_OF", TraceID: tid, SpanID: sp.ParentSpanID().String()})
	}
	// Jaeger takes the first FOLLOWS_FROM reference into the span's own
	// trace for its parent when it has no CHILD_OF, so a root's links into
	// its own trace are written as otlp.link.N tags instead (as for Zipkin).
	var linkTags []traceio.JaegerKV
	for i, l := range sp.Links().All() {
		if sp.ParentSpanID().IsEmpty() && l.TraceID() == sp.TraceID() {
			v, err := linkTag(l)
			if err != nil {
				return js, err
			}
			linkTags = append(linkTags, kv(traceio.TagLinkPrefix+strconv.Itoa(i), "string", v))
			continue
		}
		js.References = append(js.References, traceio.JaegerRef{RefType: "FOLLOWS_FROM", TraceID: traceIDHex(l.TraceID()), SpanID: l.SpanID().String()})
	}
	str := func(k, v string) traceio.JaegerKV { return kv(k, "string", v) }
	if scope.Name() != "" {
		js.Tags = append(js.Tags, str(traceio.TagScopeName, scope.Name()))
	}
	if scope.Version() != "" {
		js.Tags = append(js.Tags, str(traceio.TagScopeVersion, scope.Version()))
	}
	for k, v := range sp.Attributes().All() {
		js.Tags = append(js.Tags, jaegerTag(k, v))
	}
	if k := kindName(sp.Kind()); k != "" {
		js.Tags = append(js.Tags, str(traceio.TagSpanKind, k))
	}
	if c := statusName(sp.Status().Code()); c != "" {
		js.Tags = append(js.Tags, str(traceio.TagStatusCode, c))
	}
	if sp.Status().Code() == ptrace.StatusCodeError {
		js.Tags = append(js.Tags, kv(traceio.TagError, "bool", true))
	}
	if m := sp.Status().Message(); m != "" {
		js.Tags = append(js.Tags, str(traceio.TagStatusDescription, m))
	}
	if ts := sp.TraceState().AsRaw(); ts != "" {
		js.Tags = append(js.Tags, str(traceio.TagTraceState, ts))
	}
	js.Tags = append(js.Tags, linkTags...)
	for i := range sp.Events().Len() {
		ev := sp.Events().At(i)
		lg := traceio.JaegerLog{Timestamp: micros(ev.Timestamp()), Fields: []traceio.JaegerKV{}}
		if ev.Name() != "" {
			lg.Fields = append(lg.Fields, str(traceio.TagEvent, ev.Name()))
		}
		for k, v := range ev.Attributes().All() {
			lg.Fields = append(lg.Fields, jaegerTag(k, v))
		}
		js.Logs = append(js.Logs, lg)
	}
	return js, nil
}

// jaegerTag is a typed tag; maps and lists become their JSON text, as the
// collector's translator writes them.
func jaegerTag(k string, v pcommon.Value) traceio.JaegerKV {
	switch v.Type() {
	case pcommon.ValueTypeBool:
		return kv(k, "bool", v.Bool())
	case pcommon.ValueTypeInt:
		return kv(k, "int64", v.Int())
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) { // JSON has no number for these
			return kv(k, "float64", strconv.FormatFloat(f, 'g', -1, 64))
		}
		return kv(k, "float64", f)
	case pcommon.ValueTypeBytes:
		return kv(k, "binary", base64.StdEncoding.EncodeToString(v.Bytes().AsRaw()))
	}
	return kv(k, "string", v.AsString())
}

// kv is a typed tag with its value as JSON text; the values given here
// (strings, booleans, integers and finite floats) always encode.
func kv(key, typ string, v any) traceio.JaegerKV {
	b, _ := json.Marshal(v)
	return traceio.JaegerKV{Key: key, Type: typ, Value: b}
}
