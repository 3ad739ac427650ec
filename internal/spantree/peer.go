package spantree

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Attribute keys (OpenTelemetry semantic conventions) that name the peer a
// client span called.
const (
	AttrPeerService   = "peer.service"
	AttrServerAddress = "server.address"
)

// PeerName is the peer a CLIENT span called: its peer.service, else its
// server.address; "" for other kinds or when neither is a non-empty string.
// It is the one reading of a client span's peer (servicedag's virtual
// nodes, culprit's blame, heat's virtual edges).
func PeerName(sp ptrace.Span) string {
	if sp.Kind() != ptrace.SpanKindClient {
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
// CLIENT span with no child span in the trace, else "". The service DAG
// draws that peer as a virtual node under this name.
func (t *Tree) Peer(i int) string {
	s := &t.Spans[i]
	if s.Kind != ptrace.SpanKindClient || len(s.Children) > 0 {
		return ""
	}
	return PeerName(s.Source)
}
