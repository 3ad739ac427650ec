package traceio

import (
	"encoding/json"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

type zipkinSpan struct {
	TraceID        string            `json:"traceId"`
	ID             string            `json:"id"`
	ParentID       string            `json:"parentId"`
	Name           string            `json:"name"`
	Kind           string            `json:"kind"`
	Timestamp      int64             `json:"timestamp"`
	Duration       int64             `json:"duration"`
	LocalEndpoint  *zipkinEndpoint   `json:"localEndpoint"`
	RemoteEndpoint *zipkinEndpoint   `json:"remoteEndpoint"`
	Tags           map[string]string `json:"tags"`
	Annotations    []struct {
		Timestamp int64  `json:"timestamp"`
		Value     string `json:"value"`
	} `json:"annotations"`
}

type zipkinEndpoint struct {
	ServiceName string `json:"serviceName"`
	IPv4        string `json:"ipv4"`
	IPv6        string `json:"ipv6"`
	Port        int64  `json:"port"`
}

func (s *source) zipkin() (ptrace.Traces, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(s.data, &raws); err != nil {
		return ptrace.Traces{}, s.errAt(0, "", err)
	}
	if len(raws) == 0 {
		return ptrace.Traces{}, &Error{File: s.name, Err: errors.New("no spans")}
	}
	out := newResources()
	loc := &locator{data: s.data}
	for i, raw := range raws {
		off := loc.offset(raw)
		field := fmt.Sprintf("[%d]", i)
		if err := zipkinSpanTo(out, raw); err != nil {
			var fe *fieldError
			if errors.As(err, &fe) {
				return ptrace.Traces{}, &Error{File: s.name, Line: s.line(off), Field: field + "." + fe.field, Err: fe.err}
			}
			return ptrace.Traces{}, s.errAt(off, field, err)
		}
	}
	return out.td, nil
}

func zipkinSpanTo(out *resources, raw json.RawMessage) error {
	var zs zipkinSpan
	if err := json.Unmarshal(raw, &zs); err != nil {
		return err
	}
	tid, err := traceID(zs.TraceID)
	if err != nil {
		return &fieldError{"traceId", err}
	}
	sid, err := spanID(zs.ID)
	if err != nil {
		return &fieldError{"id", err}
	}
	var parent pcommon.SpanID
	if zs.ParentID != "" {
		if parent, err = spanID(zs.ParentID); err != nil {
			return &fieldError{"parentId", err}
		}
	}
	if zs.Timestamp < 0 || zs.Duration < 0 {
		return &fieldError{"duration", errors.New("negative timestamp or duration")}
	}
	service := ""
	if zs.LocalEndpoint != nil {
		service = zs.LocalEndpoint.ServiceName
	}
	spans := out.slice("zipkin\x00"+service, func(r pcommon.Resource) {
		if service != "" {
			r.Attributes().PutStr("service.name", service)
		}
	})
	sp := spans.AppendEmpty()
	sp.SetTraceID(tid)
	sp.SetSpanID(sid)
	sp.SetParentSpanID(parent)
	sp.SetName(zs.Name)
	sp.SetKind(spanKind(zs.Kind))
	sp.SetStartTimestamp(microsToTimestamp(zs.Timestamp))
	sp.SetEndTimestamp(microsToTimestamp(zs.Timestamp + zs.Duration))
	for k, v := range zs.Tags {
		switch k {
		case "error":
			sp.Status().SetCode(ptrace.StatusCodeError)
			sp.Status().SetMessage(v)
		case "otel.status_code":
			if v == "ERROR" {
				sp.Status().SetCode(ptrace.StatusCodeError)
			}
		case "otel.status_description":
			sp.Status().SetMessage(v)
		default:
			sp.Attributes().PutStr(k, v)
		}
	}
	if re := zs.RemoteEndpoint; re != nil {
		if re.ServiceName != "" {
			sp.Attributes().PutStr("peer.service", re.ServiceName)
		}
		if addr := re.IPv4 + re.IPv6; addr != "" {
			sp.Attributes().PutStr("network.peer.address", addr)
		}
		if re.Port > 0 {
			sp.Attributes().PutInt("network.peer.port", re.Port)
		}
	}
	for _, a := range zs.Annotations {
		ev := sp.Events().AppendEmpty()
		ev.SetTimestamp(microsToTimestamp(a.Timestamp))
		ev.SetName(a.Value)
	}
	return nil
}
