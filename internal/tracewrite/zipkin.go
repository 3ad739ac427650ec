package tracewrite

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/traceio"
)

// Attributes that Zipkin keeps in its endpoints, by the names the
// collector's translators (and traceio) use.
const (
	attrPeerService = "peer.service"
	attrPeerIP      = "net.peer.ip"
	attrPeerPort    = "net.peer.port"
	attrHostIP      = "net.host.ip"
	attrHostPort    = "net.host.port"
)

// zipkinJSON writes one JSON array of Zipkin v2 spans.
type zipkinJSON struct{ jsonArray }

func (*zipkinJSON) begin(w *bufio.Writer) { w.WriteByte('[') }
func (*zipkinJSON) end(w *bufio.Writer)   { w.WriteString("\n]\n") }

func (e *zipkinJSON) batch(w *bufio.Writer, td ptrace.Traces) error {
	return eachSpan(td, func(res pcommon.Resource, sc pcommon.InstrumentationScope, sp ptrace.Span) error {
		zs, err := zipkinSpan(sp, res, sc)
		if err != nil {
			return err
		}
		return e.add(w, zs)
	})
}

func zipkinSpan(sp ptrace.Span, res pcommon.Resource, scope pcommon.InstrumentationScope) (*traceio.ZipkinSpan, error) {
	if err := checkSpan(sp); err != nil {
		return nil, err
	}
	zs := &traceio.ZipkinSpan{
		TraceID:   traceIDHex(sp.TraceID()),
		ID:        sp.SpanID().String(),
		Name:      sp.Name(),
		Timestamp: micros(sp.StartTimestamp()),
		Duration:  durationMicros(sp),
		Tags:      map[string]string{},
	}
	if !sp.ParentSpanID().IsEmpty() {
		zs.ParentID = sp.ParentSpanID().String()
	}
	// Resource attributes become tags of every span, as the collector's
	// translator does; span attributes win over them.
	for k, v := range res.Attributes().All() {
		if k != "service.name" {
			zs.Tags[k] = v.AsString()
		}
	}
	if scope.Name() != "" {
		zs.Tags[traceio.TagScopeName] = scope.Name()
	}
	if scope.Version() != "" {
		zs.Tags[traceio.TagScopeVersion] = scope.Version()
	}
	for k, v := range sp.Attributes().All() {
		zs.Tags[k] = v.AsString()
	}
	zs.LocalEndpoint = endpoint(zs.Tags, serviceName(res), attrHostIP, attrHostPort)
	svc := zs.Tags[attrPeerService]
	delete(zs.Tags, attrPeerService)
	zs.RemoteEndpoint = endpoint(zs.Tags, svc, attrPeerIP, attrPeerPort)
	switch sp.Kind() {
	case ptrace.SpanKindClient, ptrace.SpanKindServer, ptrace.SpanKindProducer, ptrace.SpanKindConsumer:
		zs.Kind = strings.ToUpper(kindName(sp.Kind()))
	case ptrace.SpanKindInternal:
		zs.Tags[traceio.TagSpanKind] = kindName(sp.Kind())
	}
	st := sp.Status()
	if c := statusName(st.Code()); c != "" {
		zs.Tags[traceio.TagStatusCode] = c
	}
	if st.Code() == ptrace.StatusCodeError {
		zs.Tags[traceio.TagError] = "true"
	} else {
		delete(zs.Tags, traceio.TagError) // Zipkin marks any span with an error tag failed
	}
	if st.Message() != "" {
		zs.Tags[traceio.TagStatusDescription] = st.Message()
	}
	if ts := sp.TraceState().AsRaw(); ts != "" {
		zs.Tags[traceio.TagTraceState] = ts
	}
	for i := range sp.Events().Len() {
		ev := sp.Events().At(i)
		a := traceio.ZipkinAnnotation{Timestamp: micros(ev.Timestamp()), Value: ev.Name()}
		if a.Timestamp == 0 {
			return nil, fmt.Errorf("event %q of span %s %q has no time", ev.Name(), sp.SpanID(), sp.Name())
		}
		if ev.Attributes().Len() > 0 || ev.DroppedAttributesCount() > 0 {
			attrs, err := json.Marshal(ev.Attributes().AsRaw())
			if err != nil {
				return nil, err
			}
			a.Value = fmt.Sprintf("%s|%s|%d", ev.Name(), attrs, ev.DroppedAttributesCount())
		}
		zs.Annotations = append(zs.Annotations, a)
	}
	for i, l := range sp.Links().All() {
		v, err := linkTag(l)
		if err != nil {
			return nil, err
		}
		zs.Tags[traceio.TagLinkPrefix+strconv.Itoa(i)] = v
	}
	return zs, nil
}

// linkTag is a link as the value of an otlp.link.N tag.
func linkTag(l ptrace.SpanLink) (string, error) {
	attrs, err := json.Marshal(l.Attributes().AsRaw())
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s|%s|%s|%s|%d", l.TraceID(), l.SpanID(), l.TraceState().AsRaw(), attrs, l.DroppedAttributesCount()), nil
}

// endpoint is a Zipkin endpoint of service and the address and port tags
// under ipKey and portKey, which it takes out of the tags when they are a
// valid IP and port written the way they read back; nil when empty.
func endpoint(tags map[string]string, service, ipKey, portKey string) *traceio.ZipkinEndpoint {
	ep := traceio.ZipkinEndpoint{ServiceName: service}
	if a, err := netip.ParseAddr(tags[ipKey]); err == nil && a.Zone() == "" && a.String() == tags[ipKey] {
		if a.Is4() {
			ep.IPv4 = a.String()
		} else {
			ep.IPv6 = a.String()
		}
		delete(tags, ipKey)
	}
	if p, err := strconv.ParseInt(tags[portKey], 10, 64); err == nil && p > 0 && p <= 65535 &&
		strconv.FormatInt(p, 10) == tags[portKey] {
		ep.Port = p
		delete(tags, portKey)
	}
	if ep == (traceio.ZipkinEndpoint{}) {
		return nil
	}
	return &ep
}
