package tracewrite

import (
	"bufio"
	"encoding/base64"
	"math"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/spantree"
)

// jaegerJSON writes the document Jaeger UI downloads ({"data":[trace...]}):
// each batch adds one entry per trace it holds, with that trace's
// processes. A trace whose spans arrive in several batches gets several
// entries with the same traceID; readers join them by ID.
type jaegerJSON struct{ jsonArray }

type jTrace struct {
	TraceID   string              `json:"traceID"`
	Spans     []jSpan             `json:"spans"`
	Processes map[string]jProcess `json:"processes"`
	Warnings  []string            `json:"warnings"`
}

type jSpan struct {
	TraceID       string   `json:"traceID"`
	SpanID        string   `json:"spanID"`
	OperationName string   `json:"operationName"`
	References    []jRef   `json:"references"`
	StartTime     int64    `json:"startTime"`
	Duration      int64    `json:"duration"`
	Tags          []jTag   `json:"tags"`
	Logs          []jLog   `json:"logs"`
	ProcessID     string   `json:"processID"`
	Warnings      []string `json:"warnings"`
}

type jRef struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

type jTag struct {
	Key   string `json:"key"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

type jLog struct {
	Timestamp int64  `json:"timestamp"`
	Fields    []jTag `json:"fields"`
}

type jProcess struct {
	ServiceName string `json:"serviceName"`
	Tags        []jTag `json:"tags"`
}

func (*jaegerJSON) begin(w *bufio.Writer) { w.WriteString(`{"data":[`) }
func (*jaegerJSON) end(w *bufio.Writer)   { w.WriteString("\n]}\n") }

func (e *jaegerJSON) batch(w *bufio.Writer, td ptrace.Traces) error {
	traces := map[pcommon.TraceID]*jTrace{}
	var order []*jTrace
	// A resource is identified by its attributes' map, shared by its spans.
	type procKey struct {
		tr  *jTrace
		res pcommon.Map
	}
	procs := map[procKey]string{}
	err := eachSpan(td, func(res pcommon.Resource, sc pcommon.InstrumentationScope, sp ptrace.Span) error {
		if err := checkSpan(sp); err != nil {
			return err
		}
		tr := traces[sp.TraceID()]
		if tr == nil {
			tr = &jTrace{TraceID: traceIDHex(sp.TraceID()), Processes: map[string]jProcess{}}
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

func jaegerProcess(r pcommon.Resource) jProcess {
	p := jProcess{ServiceName: serviceName(r), Tags: []jTag{}}
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

func jaegerSpan(sp ptrace.Span, scope pcommon.InstrumentationScope, pid string) (jSpan, error) {
	tid := traceIDHex(sp.TraceID())
	js := jSpan{
		TraceID:       tid,
		SpanID:        sp.SpanID().String(),
		OperationName: sp.Name(),
		References:    []jRef{},
		StartTime:     micros(sp.StartTimestamp()),
		Duration:      durationMicros(sp),
		Tags:          []jTag{},
		Logs:          []jLog{},
		ProcessID:     pid,
	}
	if !sp.ParentSpanID().IsEmpty() {
		js.References = append(js.References, jRef{"CHILD_OF", tid, sp.ParentSpanID().String()})
	}
	// Jaeger takes the first FOLLOWS_FROM reference into the span's own
	// trace for its parent when it has no CHILD_OF, so a root's links into
	// its own trace are written as otlp.link.N tags instead (as for Zipkin).
	var linkTags []jTag
	for i, l := range sp.Links().All() {
		if sp.ParentSpanID().IsEmpty() && l.TraceID() == sp.TraceID() {
			v, err := linkTag(l)
			if err != nil {
				return js, err
			}
			linkTags = append(linkTags, jTag{TagLinkPrefix + strconv.Itoa(i), "string", v})
			continue
		}
		js.References = append(js.References, jRef{"FOLLOWS_FROM", traceIDHex(l.TraceID()), l.SpanID().String()})
	}
	str := func(k, v string) jTag { return jTag{k, "string", v} }
	if scope.Name() != "" {
		js.Tags = append(js.Tags, str(TagScopeName, scope.Name()))
	}
	if scope.Version() != "" {
		js.Tags = append(js.Tags, str(TagScopeVersion, scope.Version()))
	}
	for k, v := range sp.Attributes().All() {
		js.Tags = append(js.Tags, jaegerTag(k, v))
	}
	if k := kindName(sp.Kind()); k != "" {
		js.Tags = append(js.Tags, str(TagSpanKind, k))
	}
	if c := statusName(sp.Status().Code()); c != "" {
		js.Tags = append(js.Tags, str(TagStatusCode, c))
	}
	if sp.Status().Code() == ptrace.StatusCodeError {
		js.Tags = append(js.Tags, jTag{TagError, "bool", true})
	}
	if m := sp.Status().Message(); m != "" {
		js.Tags = append(js.Tags, str(TagStatusDescription, m))
	}
	if ts := sp.TraceState().AsRaw(); ts != "" {
		js.Tags = append(js.Tags, str(TagTraceState, ts))
	}
	js.Tags = append(js.Tags, linkTags...)
	for i := range sp.Events().Len() {
		ev := sp.Events().At(i)
		lg := jLog{Timestamp: micros(ev.Timestamp()), Fields: []jTag{}}
		if ev.Name() != "" {
			lg.Fields = append(lg.Fields, str(TagEvent, ev.Name()))
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
func jaegerTag(k string, v pcommon.Value) jTag {
	switch v.Type() {
	case pcommon.ValueTypeBool:
		return jTag{k, "bool", v.Bool()}
	case pcommon.ValueTypeInt:
		return jTag{k, "int64", v.Int()}
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) { // JSON has no number for these
			return jTag{k, "float64", strconv.FormatFloat(f, 'g', -1, 64)}
		}
		return jTag{k, "float64", f}
	case pcommon.ValueTypeBytes:
		return jTag{k, "binary", base64.StdEncoding.EncodeToString(v.Bytes().AsRaw())}
	}
	return jTag{k, "string", v.AsString()}
}
