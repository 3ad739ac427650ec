package spantree

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Attribute keys (OpenTelemetry semantic conventions) that name the peer a
// client or producer span called.
const (
	AttrPeerService   = "peer.service"
	AttrServerAddress = "server.address"
)

// Calls reports whether a span of this kind calls another service: CLIENT
// or PRODUCER. Such a span with no child span in the trace called a peer
// that is not instrumented (or whose span is missing).
func Calls(kind ptrace.SpanKind) bool {
	return kind == ptrace.SpanKindClient || kind == ptrace.SpanKindProducer
}

// PeerName is the peer a calling span (Calls) names: its peer.service,
// else its server.address; "" for other kinds or when neither is a
// non-empty string. It is the one reading of a span's peer (servicedag's
// virtual nodes, culprit's blame, heat's virtual edges).
func PeerName(sp ptrace.Span) string {
	if !Calls(sp.Kind()) {
		return ""
	}
	attrs := sp.Attributes()
	for _, key := range [...]string{AttrPeerService, AttrServerAddress} {
		if v, ok := attrs.Get(key); ok && v.Type() == pcommon.ValueTypeStr && v.Str() != "" {
			return v.Str()
		}
	}
	return ""
}

// Peer names the uninstrumented peer span i called: the PeerName of a
// calling span with no child span in the trace, else "". The service DAG
// draws that peer as a virtual node under this name.
func (t *Tree) Peer(i int) string {
	s := &t.Spans[i]
	if !Calls(s.Kind) || len(s.Children) > 0 {
		return ""
	}
	return PeerName(s.Source)
}
