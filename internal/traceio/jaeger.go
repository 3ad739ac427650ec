package traceio

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// JaegerTrace is one trace of Jaeger's JSON, as its query service
// (model/json) writes it, read here and written by internal/tracewrite (one
// definition of the wire shape; omitempty only shapes what is written, the
// reader takes every field).
type JaegerTrace struct {
	TraceID   string                   `json:"traceID"`
	Spans     []JaegerSpan             `json:"spans"`
	Processes map[string]JaegerProcess `json:"processes"`
	Warnings  []string                 `json:"warnings"`
}

// JaegerSpan is one span of a JaegerTrace.
type JaegerSpan struct {
	TraceID       string         `json:"traceID"`
	SpanID        string         `json:"spanID"`
	ParentSpanID  string         `json:"parentSpanID,omitempty"` // the embedded-process form
	OperationName string         `json:"operationName"`
	References    []JaegerRef    `json:"references"`
	Flags         uint32         `json:"flags,omitempty"`
	StartTime     int64          `json:"startTime"`
	Duration      int64          `json:"duration"`
	Tags          []JaegerKV     `json:"tags"`
	Logs          []JaegerLog    `json:"logs"`
	ProcessID     string         `json:"processID"`
	Process       *JaegerProcess `json:"process,omitempty"`
	Warnings      []string       `json:"warnings"`
}

// JaegerRef is a span reference: CHILD_OF or FOLLOWS_FROM.
type JaegerRef struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// JaegerKV is a typed tag or log field; Value is kept as JSON text so that
// a value that does not match its type is read rather than refused.
type JaegerKV struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// JaegerLog is a timestamped event of a JaegerSpan.
type JaegerLog struct {
	Timestamp int64      `json:"timestamp"`
	Fields    []JaegerKV `json:"fields"`
}

// JaegerProcess is the service and resource tags spans point at.
type JaegerProcess struct {
	ServiceName string     `json:"serviceName"`
	Tags        []JaegerKV `json:"tags"`
}

// JaegerWarningsAttribute holds a Jaeger span's warnings, a string slice:
// the name Jaeger v2 itself gives them in OTLP.
const JaegerWarningsAttribute = "@jaeger@warnings"

// RefTypeAttribute is set on a link made from a Jaeger reference that is
// not the parent, as the collector's Jaeger translator does: child_of or
// follows_from.
const RefTypeAttribute = "opentracing.ref_type"

// spanErr reports a problem with field (relative to the span) of span i.
type spanErr func(i int, field string, err error) error

// jaegerTrace reads one trace object (an element of "data" or of a trace
// array).
func (s *jsonStream) jaegerTrace(u unit) (ptrace.Traces, error) {
	var doc JaegerTrace
	if err := decodeRaw(u.raw, &doc); err != nil {
		return ptrace.Traces{}, s.decodeErr(u, err)
	}
	if doc.Processes == nil {
		doc.Processes = map[string]JaegerProcess{} // a trace object: IDs are looked up in it
	}
	return jaegerSpansToTraces(doc.Spans, doc.Processes, func(i int, field string, err error) error {
		return s.atPath(u, joinPath(fmt.Sprintf("spans[%d]", i), field), err)
	})
}

// bareJaeger collects the members of a top-level trace object.
type bareJaeger struct{ spans, processes *unit }

func (b *bareJaeger) set(key string, u unit) {
	switch key {
	case "spans":
		b.spans = &u
	case "processes":
		b.processes = &u
	}
}

func (s *jsonStream) bareJaegerTrace(b *bareJaeger) (ptrace.Traces, error) {
	if b.spans == nil {
		return ptrace.Traces{}, s.here(errors.New("a Jaeger trace without spans"))
	}
	var spans []JaegerSpan
	if err := decodeRaw(b.spans.raw, &spans); err != nil {
		return ptrace.Traces{}, s.decodeErr(*b.spans, err)
	}
	procs := map[string]JaegerProcess{}
	if b.processes != nil {
		if err := decodeRaw(b.processes.raw, &procs); err != nil {
			return ptrace.Traces{}, s.decodeErr(*b.processes, err)
		}
	}
	return jaegerSpansToTraces(spans, procs, func(i int, field string, err error) error {
		return s.atPath(*b.spans, joinPath(fmt.Sprintf("[%d]", i), field), err)
	})
}

// jaegerSpans reads an array of spans (each with its process embedded, or
// none), handing out one trace each.
func (s *jsonStream) jaegerSpans(units []unit) ([]ptrace.Traces, error) {
	spans := make([]JaegerSpan, len(units))
	for i, u := range units {
		if err := decodeRaw(u.raw, &spans[i]); err != nil {
			return nil, s.decodeErr(u, err)
		}
	}
	var order []string
	byTrace := map[string][]int{}
	for i, sp := range spans {
		key := strings.TrimLeft(strings.ToLower(sp.TraceID), "0")
		if _, ok := byTrace[key]; !ok {
			order = append(order, key)
		}
		byTrace[key] = append(byTrace[key], i)
	}
	out := make([]ptrace.Traces, 0, len(order))
	for _, key := range order {
		idx := byTrace[key]
		group := make([]JaegerSpan, len(idx))
		for j, i := range idx {
			group[j] = spans[i]
		}
		td, err := jaegerSpansToTraces(group, nil, func(j int, field string, err error) error {
			return s.atPath(units[idx[j]], field, err)
		})
		if err != nil {
			return nil, err
		}
		out = append(out, td)
	}
	return out, nil
}

func jaegerSpansToTraces(spans []JaegerSpan, procs map[string]JaegerProcess, errAt spanErr) (ptrace.Traces, error) {
	out := newResources()
	for i := range spans {
		if err := jaegerSpanTo(out, &spans[i], procs); err != nil {
			var fe *fieldError
			if errors.As(err, &fe) {
				return ptrace.Traces{}, errAt(i, fe.field, fe.err)
			}
			return ptrace.Traces{}, errAt(i, "", err)
		}
	}
	return out.td, nil
}

// fieldError is a problem with one field of a span.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }

func jaegerSpanTo(out *resources, js *JaegerSpan, procs map[string]JaegerProcess) error {
	tid, err := traceID(js.TraceID)
	if err != nil {
		return &fieldError{"traceID", err}
	}
	sid, err := spanID(js.SpanID)
	if err != nil {
		return &fieldError{"spanID", err}
	}
	if js.StartTime <= 0 {
		return &fieldError{"startTime", fmt.Errorf("%d: want the start in microseconds since 1970", js.StartTime)}
	}
	if js.Duration < 0 {
		return &fieldError{"duration", fmt.Errorf("%d: negative", js.Duration)}
	}
	proc := js.Process
	if proc == nil && js.ProcessID != "" {
		p, ok := procs[js.ProcessID]
		if !ok && procs == nil {
			return &fieldError{"processID", fmt.Errorf("%s, but there are no processes to find it in: spans outside a trace object need their process embedded", quote(js.ProcessID))}
		}
		if !ok {
			return &fieldError{"processID", fmt.Errorf("%s is not in the trace's processes", quote(js.ProcessID))}
		}
		proc = &p
	}
	var sc scope
	for _, kv := range js.Tags {
		sc.scopeTag(kv.Key, tagString(kv.Value))
	}
	key, fill := "", func(pcommon.Resource) {}
	if proc != nil {
		key = processKey(proc)
		fill = func(r pcommon.Resource) {
			r.Attributes().PutStr("service.name", proc.ServiceName)
			for _, kv := range proc.Tags {
				putTag(r.Attributes(), kv)
			}
		}
	}
	sp := out.slice(key, sc, fill).AppendEmpty()
	sp.SetTraceID(tid)
	sp.SetSpanID(sid)
	sp.SetName(js.OperationName)
	sp.SetStartTimestamp(microsToTimestamp(js.StartTime))
	sp.SetEndTimestamp(microsToTimestamp(js.StartTime + js.Duration))
	if err := jaegerRefs(sp, js); err != nil {
		return err
	}
	for i, kv := range js.Tags {
		if kv.Key == "" {
			return &fieldError{fmt.Sprintf("tags[%d].key", i), errors.New("empty: a tag needs a key")}
		}
		jaegerTag(sp, kv)
	}
	for _, lg := range js.Logs {
		ev := sp.Events().AppendEmpty()
		ev.SetTimestamp(microsToTimestamp(lg.Timestamp))
		ev.SetName("log")
		for _, f := range lg.Fields {
			if f.Key == TagEvent {
				ev.SetName(tagString(f.Value))
				continue
			}
			putTag(ev.Attributes(), f)
		}
	}
	if len(js.Warnings) > 0 {
		w := sp.Attributes().PutEmptySlice(JaegerWarningsAttribute)
		for _, s := range js.Warnings {
			w.AppendEmpty().SetStr(s)
		}
	}
	return nil
}

// processKey tells processes apart when spans embed their own.
func processKey(p *JaegerProcess) string {
	parts := make([]string, 0, len(p.Tags)+1)
	for _, kv := range p.Tags {
		parts = append(parts, kv.Key+"="+string(kv.Value))
	}
	sort.Strings(parts)
	return p.ServiceName + "\x00" + strings.Join(parts, "\x00")
}

// jaegerRefs makes the parent the first CHILD_OF reference into the same
// trace, else the first FOLLOWS_FROM one (as Jaeger's model does); every
// other reference becomes a link.
func jaegerRefs(sp ptrace.Span, js *JaegerSpan) error {
	parent := -1
	type ref struct {
		tid   pcommon.TraceID
		sid   pcommon.SpanID
		child bool
	}
	refs := make([]ref, len(js.References))
	for i, r := range js.References {
		field := fmt.Sprintf("references[%d]", i)
		sid, err := spanID(r.SpanID)
		if err != nil {
			return &fieldError{field + ".spanID", err}
		}
		tid := sp.TraceID()
		if r.TraceID != "" {
			if tid, err = traceID(r.TraceID); err != nil {
				return &fieldError{field + ".traceID", err}
			}
		}
		switch strings.ToUpper(r.RefType) {
		case "CHILD_OF":
			refs[i] = ref{tid, sid, true}
		case "FOLLOWS_FROM":
			refs[i] = ref{tid, sid, false}
		default:
			return &fieldError{field + ".refType", fmt.Errorf("%s: want CHILD_OF or FOLLOWS_FROM", quote(r.RefType))}
		}
		if tid == sp.TraceID() && (parent < 0 || refs[i].child && !refs[parent].child) {
			parent = i
		}
	}
	if parent >= 0 {
		sp.SetParentSpanID(refs[parent].sid)
	} else if js.ParentSpanID != "" {
		pid, err := spanID(js.ParentSpanID)
		if err != nil {
			return &fieldError{"parentSpanID", err}
		}
		sp.SetParentSpanID(pid)
	}
	for i, r := range refs {
		if i == parent {
			continue
		}
		l := sp.Links().AppendEmpty()
		l.SetTraceID(r.tid)
		l.SetSpanID(r.sid)
		if r.child {
			l.Attributes().PutStr(RefTypeAttribute, "child_of")
		} else {
			l.Attributes().PutStr(RefTypeAttribute, "follows_from")
		}
	}
	return nil
}

// jaegerTag maps the tags Jaeger uses for what OTLP has fields for.
func jaegerTag(sp ptrace.Span, kv JaegerKV) {
	v := tagString(kv.Value)
	var sc scope
	switch {
	case kv.Key == TagSpanKind:
		sp.SetKind(spanKind(v))
	case kv.Key == TagError:
		if v == "true" {
			sp.Status().SetCode(ptrace.StatusCodeError)
		}
	case statusTag(sp.Status(), kv.Key, v), sc.scopeTag(kv.Key, v):
	default:
		putTag(sp.Attributes(), kv)
	}
}

// putTag stores a typed Jaeger tag; a value that does not match its type is
// kept as a string rather than lost.
func putTag(m pcommon.Map, kv JaegerKV) {
	s := tagString(kv.Value)
	switch strings.ToLower(kv.Type) {
	case "bool":
		if b, err := strconv.ParseBool(s); err == nil {
			m.PutBool(kv.Key, b)
			return
		}
	case "int64":
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			m.PutInt(kv.Key, i)
			return
		}
	case "float64":
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			m.PutDouble(kv.Key, f)
			return
		}
	case "binary":
		if b, err := base64.StdEncoding.DecodeString(s); err == nil {
			m.PutEmptyBytes(kv.Key).FromRaw(b)
			return
		}
	}
	m.PutStr(kv.Key, s)
}

// tagString is a JSON value as text: strings unquoted, the rest as written.
func tagString(raw json.RawMessage) string {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' && !bytes.ContainsAny(raw[1:n-1], "\\\"") && utf8.Valid(raw) {
		return string(raw[1 : n-1]) // the common case: no escapes, valid UTF-8
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
