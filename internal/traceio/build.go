package traceio

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// resources groups spans into one ResourceSpans per resource and one
// ScopeSpans per instrumentation scope in it.
type resources struct {
	td     ptrace.Traces
	byKey  map[string]ptrace.ResourceSpans
	scopes map[string]ptrace.SpanSlice
}

func newResources() *resources {
	return &resources{td: ptrace.NewTraces(), byKey: map[string]ptrace.ResourceSpans{}, scopes: map[string]ptrace.SpanSlice{}}
}

// slice returns the span slice for a resource key and scope, creating the
// resource with fill.
func (r *resources) slice(key string, sc scope, fill func(pcommon.Resource)) ptrace.SpanSlice {
	skey := key + "\x00" + sc.name + "\x00" + sc.version
	if s, ok := r.scopes[skey]; ok {
		return s
	}
	rs, ok := r.byKey[key]
	if !ok {
		rs = r.td.ResourceSpans().AppendEmpty()
		fill(rs.Resource())
		r.byKey[key] = rs
	}
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(sc.name)
	ss.Scope().SetVersion(sc.version)
	r.scopes[skey] = ss.Spans()
	return ss.Spans()
}

// scope is an instrumentation scope as Jaeger and Zipkin carry it, in tags
// (otel.scope.* since OpenTelemetry 1.x, otel.library.* before).
type scope struct{ name, version string }

// scopeTag takes a tag that names the scope, as the collector's Jaeger and
// Zipkin translators do.
func (sc *scope) scopeTag(key, value string) bool {
	switch key {
	case TagScopeName, TagLibraryName:
		sc.name = value
	case TagScopeVersion, TagLibraryVersion:
		sc.version = value
	default:
		return false
	}
	return true
}

// spanKind maps the kind names Jaeger tags and Zipkin use.
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

// statusTag maps the status tags both formats carry (otel.status_code as
// OK/ERROR, or as the proto names the collector's exporters once wrote).
func statusTag(st ptrace.Status, key, value string) bool {
	switch key {
	case TagStatusCode:
		switch strings.ToUpper(value) {
		case "ERROR", "STATUS_CODE_ERROR":
			st.SetCode(ptrace.StatusCodeError)
		case "OK", "STATUS_CODE_OK":
			st.SetCode(ptrace.StatusCodeOk)
		}
	case TagStatusDescription:
		st.SetMessage(value)
	default:
		return false
	}
	return true
}

// microsToTimestamp converts the microseconds both formats use.
func microsToTimestamp(us int64) pcommon.Timestamp {
	return pcommon.Timestamp(uint64(us) * 1000)
}
