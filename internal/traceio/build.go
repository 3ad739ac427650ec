package traceio

import (
	"bytes"
	"encoding/json"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// locator finds, in file order, where each raw JSON element sits in the file,
// so a problem inside an element can be reported at its line.
type locator struct {
	data   []byte
	cursor int
}

func (l *locator) offset(raw json.RawMessage) int64 {
	if i := bytes.Index(l.data[l.cursor:], raw); i >= 0 {
		l.cursor += i
		return int64(l.cursor)
	}
	return int64(l.cursor)
}

// resources groups spans into one ResourceSpans per resource key.
type resources struct {
	td    ptrace.Traces
	spans map[string]ptrace.SpanSlice
}

func newResources() *resources {
	return &resources{td: ptrace.NewTraces(), spans: map[string]ptrace.SpanSlice{}}
}

// slice returns the span slice for key, creating its resource with fill.
func (r *resources) slice(key string, fill func(pcommon.Resource)) ptrace.SpanSlice {
	if s, ok := r.spans[key]; ok {
		return s
	}
	rs := r.td.ResourceSpans().AppendEmpty()
	fill(rs.Resource())
	s := rs.ScopeSpans().AppendEmpty().Spans()
	r.spans[key] = s
	return s
}

// spanKind maps the lower-case kind names Jaeger tags and Zipkin use.
func spanKind(s string) ptrace.SpanKind {
	switch strings.ToLower(s) {
	case "server":
		return ptrace.SpanKindServer
	case "client":
		return ptrace.SpanKindClient
	case "producer":
		return ptrace.SpanKindProducer
	case "consumer":
		return ptrace.SpanKindConsumer
	case "internal":
		return ptrace.SpanKindInternal
	}
	return ptrace.SpanKindUnspecified
}

// microsToTimestamp converts the microseconds both formats use.
func microsToTimestamp(us int64) pcommon.Timestamp {
	return pcommon.Timestamp(uint64(us) * 1000)
}
