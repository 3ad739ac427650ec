package traceio

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// jaegerDoc is the query API's {"data": [trace...]} or a single trace.
type jaegerDoc struct {
	Data []jaegerTrace `json:"data"`
	jaegerTrace
}

type jaegerTrace struct {
	TraceID   string                     `json:"traceID"`
	Spans     []json.RawMessage          `json:"spans"`
	Processes map[string]json.RawMessage `json:"processes"`
}

type jaegerSpan struct {
	TraceID       string         `json:"traceID"`
	SpanID        string         `json:"spanID"`
	OperationName string         `json:"operationName"`
	References    []jaegerRef    `json:"references"`
	StartTime     int64          `json:"startTime"`
	Duration      int64          `json:"duration"`
	Tags          []jaegerKV     `json:"tags"`
	Logs          []jaegerLog    `json:"logs"`
	ProcessID     string         `json:"processID"`
	Process       *jaegerProcess `json:"process"`
}

type jaegerRef struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

type jaegerKV struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

type jaegerLog struct {
	Timestamp int64      `json:"timestamp"`
	Fields    []jaegerKV `json:"fields"`
}

type jaegerProcess struct {
	ServiceName string     `json:"serviceName"`
	Tags        []jaegerKV `json:"tags"`
}

func (s *source) jaeger() (ptrace.Traces, error) {
	var doc jaegerDoc
	if err := json.Unmarshal(s.data, &doc); err != nil {
		return ptrace.Traces{}, s.errAt(0, "", err)
	}
	traces := doc.Data
	if len(doc.Spans) > 0 {
		traces = append(traces, doc.jaegerTrace)
	}
	out := newResources()
	loc := &locator{data: s.data}
	n := 0
	for ti, tr := range traces {
		procs := map[string]jaegerProcess{}
		for id, raw := range tr.Processes {
			var p jaegerProcess
			if err := json.Unmarshal(raw, &p); err != nil {
				return ptrace.Traces{}, s.errAt(0, fmt.Sprintf("data[%d].processes.%s", ti, id), err)
			}
			procs[id] = p
		}
		for si, raw := range tr.Spans {
			off := loc.offset(raw)
			field := fmt.Sprintf("data[%d].spans[%d]", ti, si)
			if err := s.jaegerSpan(out, raw, procs); err != nil {
				var fe *fieldError
				if errors.As(err, &fe) {
					return ptrace.Traces{}, &Error{File: s.name, Line: s.line(off), Field: field + "." + fe.field, Err: fe.err}
				}
				return ptrace.Traces{}, s.errAt(off, field, err)
			}
			n++
		}
	}
	if n == 0 {
		return ptrace.Traces{}, &Error{File: s.name, Err: errors.New("no spans")}
	}
	return out.td, nil
}

// fieldError is a semantic problem with one field of an element.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }

func (s *source) jaegerSpan(out *resources, raw json.RawMessage, procs map[string]jaegerProcess) error {
	var js jaegerSpan
	if err := json.Unmarshal(raw, &js); err != nil {
		return err
	}
	tid, err := traceID(js.TraceID)
	if err != nil {
		return &fieldError{"traceID", err}
	}
	sid, err := spanID(js.SpanID)
	if err != nil {
		return &fieldError{"spanID", err}
	}
	if js.StartTime < 0 || js.Duration < 0 {
		return &fieldError{"duration", errors.New("negative start time or duration")}
	}
	proc := js.Process
	if proc == nil {
		p, ok := procs[js.ProcessID]
		if !ok {
			return &fieldError{"processID", fmt.Errorf("%q is not in the trace's processes", clip(js.ProcessID))}
		}
		proc = &p
	}
	spans := out.slice("jaeger\x00"+js.ProcessID+"\x00"+proc.ServiceName, func(r pcommon.Resource) {
		r.Attributes().PutStr("service.name", proc.ServiceName)
		for _, kv := range proc.Tags {
			putTag(r.Attributes(), kv)
		}
	})
	sp := spans.AppendEmpty()
	sp.SetTraceID(tid)
	sp.SetSpanID(sid)
	sp.SetName(js.OperationName)
	sp.SetStartTimestamp(microsToTimestamp(js.StartTime))
	sp.SetEndTimestamp(microsToTimestamp(js.StartTime + js.Duration))
	parentSet := false
	for i, ref := range js.References {
		rsid, err := spanID(ref.SpanID)
		if err != nil {
			return &fieldError{fmt.Sprintf("references[%d].spanID", i), err}
		}
		rtid := tid
		if ref.TraceID != "" {
			if rtid, err = traceID(ref.TraceID); err != nil {
				return &fieldError{fmt.Sprintf("references[%d].traceID", i), err}
			}
		}
		// The first reference in the same trace is the parent, as Jaeger's UI draws it.
		if !parentSet && rtid == tid {
			sp.SetParentSpanID(rsid)
			parentSet = true
			continue
		}
		l := sp.Links().AppendEmpty()
		l.SetTraceID(rtid)
		l.SetSpanID(rsid)
	}
	for i, kv := range js.Tags {
		if err := jaegerTag(sp, kv); err != nil {
			return &fieldError{fmt.Sprintf("tags[%d]", i), err}
		}
	}
	for _, lg := range js.Logs {
		ev := sp.Events().AppendEmpty()
		ev.SetTimestamp(microsToTimestamp(lg.Timestamp))
		ev.SetName("log")
		for _, f := range lg.Fields {
			if f.Key == "event" {
				ev.SetName(tagString(f.Value))
				continue
			}
			putTag(ev.Attributes(), f)
		}
	}
	return nil
}

// jaegerTag maps the tags Jaeger uses for what OTLP has fields for.
func jaegerTag(sp ptrace.Span, kv jaegerKV) error {
	switch kv.Key {
	case "span.kind":
		sp.SetKind(spanKind(tagString(kv.Value)))
		return nil
	case "error":
		if v := tagString(kv.Value); v == "true" {
			sp.Status().SetCode(ptrace.StatusCodeError)
		}
		return nil
	case "otel.status_code":
		switch strings.ToUpper(tagString(kv.Value)) {
		case "ERROR":
			sp.Status().SetCode(ptrace.StatusCodeError)
		case "OK":
			sp.Status().SetCode(ptrace.StatusCodeOk)
		}
		return nil
	case "otel.status_description":
		sp.Status().SetMessage(tagString(kv.Value))
		return nil
	}
	if kv.Key == "" {
		return errors.New("tag without a key")
	}
	putTag(sp.Attributes(), kv)
	return nil
}

// putTag stores a typed Jaeger tag; a value that does not match its type is
// kept as a string rather than lost.
func putTag(m pcommon.Map, kv jaegerKV) {
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
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
