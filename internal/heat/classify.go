package heat

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/spantree"
)

// Attribute keys the error rules and peer edges read.
const (
	attrHTTPStatus    = "http.response.status_code"
	attrHTTPStatusOld = "http.status_code" // semconv before 1.20, still common
	attrGRPCStatus    = "rpc.grpc.status_code"
)

// grpcCodeNames are the gRPC status names, indexed by code.
var grpcCodeNames = [...]string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
	"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
}

// grpcCode maps a status name (any case, "CANCELED" accepted) to its code.
func grpcCode(name string) (int, bool) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if n == "CANCELED" {
		n = "CANCELLED"
	}
	for code, known := range grpcCodeNames {
		if n == known {
			return code, true
		}
	}
	return 0, false
}

// classifier decides whether a span counts as an error.
type classifier struct {
	httpServer, httpClient bool
	grpc                   uint32 // bit per gRPC code
}

func newClassifier(c ErrorConfig) classifier {
	cl := classifier{httpServer: c.HTTPServer5xx, httpClient: c.HTTPClient4xx}
	for _, name := range c.GRPCCodes {
		if code, ok := grpcCode(name); ok {
			cl.grpc |= 1 << code
		}
	}
	return cl
}

// isError is status ERROR, or one of the configured HTTP/gRPC rules. Attribute
// lookups happen only when a rule could apply, to keep the default cheap.
func (c classifier) isError(s ptrace.Span) bool {
	if s.Status().Code() == ptrace.StatusCodeError {
		return true
	}
	kind := s.Kind()
	httpMin := int64(0)
	switch {
	case c.httpServer && kind == ptrace.SpanKindServer:
		httpMin = 500
	case c.httpClient && kind == ptrace.SpanKindClient:
		httpMin = 400
	}
	if httpMin == 0 && c.grpc == 0 {
		return false
	}
	attrs := s.Attributes()
	if httpMin > 0 {
		v, ok := attrs.Get(attrHTTPStatus)
		if !ok {
			v, ok = attrs.Get(attrHTTPStatusOld)
		}
		if ok && intValue(v) >= httpMin {
			return true
		}
	}
	if c.grpc != 0 {
		if v, ok := attrs.Get(attrGRPCStatus); ok {
			code := intValue(v)
			if v.Type() == pcommon.ValueTypeStr {
				n, known := grpcCode(v.Str())
				code = int64(n)
				if !known {
					code = -1
				}
			}
			if code >= 0 && code < int64(len(grpcCodeNames)) && c.grpc&(1<<code) != 0 {
				return true
			}
		}
	}
	return false
}

// intValue reads an int attribute also when an SDK wrote it as a string or
// double; anything else is -1.
func intValue(v pcommon.Value) int64 {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return v.Int()
	case pcommon.ValueTypeDouble:
		return int64(v.Double())
	case pcommon.ValueTypeStr:
		var n int64
		s := v.Str()
		if s == "" || len(s) > 9 {
			return -1
		}
		for _, r := range s {
			if r < '0' || r > '9' {
				return -1
			}
			n = n*10 + int64(r-'0')
		}
		return n
	}
	return -1
}

// IsOwnError is tracemap's one rule for where a failure starts: a span is an
// own error when it is an error and none of its child spans in the trace is
// an error. An error span with an error child is propagated: the failure
// started below it. internal/culprit (per kept trace) and Tracker (per
// window, before sampling) both decide with this function.
func IsOwnError(spanErr, anyChildErr bool) bool { return spanErr && !anyChildErr }

// IsFailedCall is tracemap's one rule for a failed call caller -> callee (a
// parent span and its child span in different services, whatever their
// kinds): the callee's span is an error, or the caller's span is a CLIENT or
// PRODUCER span (it stands for exactly this call) that is an error. A
// caller's SERVER or INTERNAL span that is an error does not fail its other
// calls: it may have failed for another reason. For a call to an
// uninstrumented peer the CLIENT span is the caller's side and there is no
// callee span: the call failed when the CLIENT span is an error.
// heatmap's tracemap.edge.error_rate and internal/servicedag's edge errors
// both count with this function.
func IsFailedCall(callerKind ptrace.SpanKind, callerErr, calleeErr bool) bool {
	return calleeErr || (callerErr && spantree.Calls(callerKind))
}
