package traceio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Zipkin v2 JSON, read with Zipkin's semantics:
//
//   - A span may lack timestamp and duration (v2 allows it for incomplete
//     spans). Its times are then taken from its annotations, its children
//     and its parent, never the epoch, and the span is marked
//     ApproximateAttribute. A trace in which no span has a time is refused.
//   - Client and server may report one RPC as one span ID, the server's half
//     with "shared": true. Such a pair becomes a client span and a server
//     span under it with a span ID derived from the trace and span IDs
//     (SharedSpanID); children that ran in the server's service hang under
//     the server half, as Zipkin's own tree builder does.
//   - Halves of one span reported separately (same ID, same service, same
//     shared flag) are merged.
//   - localEndpoint.serviceName is the service; the endpoints' addresses and
//     remoteEndpoint.serviceName become attributes the way the collector's
//     zipkin receiver maps them (net.host.ip, net.host.port, peer.service,
//     net.peer.ip, net.peer.port); kind, annotations (events), tags and
//     debug are kept.

// ApproximateAttribute marks a span whose start or end the file did not
// give and the reader inferred (bool, written only when true).
const ApproximateAttribute = "tracemap.approximate"

// ZipkinDebugAttribute keeps Zipkin's debug flag (bool, only when true).
const ZipkinDebugAttribute = "zipkin.debug"

// ZipkinSpan is one span of Zipkin's v2 JSON, as read here and written by
// internal/tracewrite (one definition of the wire shape; omitempty only
// shapes what is written, the reader takes every field).
type ZipkinSpan struct {
	TraceID        string             `json:"traceId"`
	ParentID       string             `json:"parentId,omitempty"`
	ID             string             `json:"id"`
	Kind           string             `json:"kind,omitempty"`
	Name           string             `json:"name,omitempty"`
	Timestamp      int64              `json:"timestamp,omitempty"`
	Duration       int64              `json:"duration,omitempty"`
	Debug          bool               `json:"debug,omitempty"`
	Shared         bool               `json:"shared,omitempty"`
	LocalEndpoint  *ZipkinEndpoint    `json:"localEndpoint,omitempty"`
	RemoteEndpoint *ZipkinEndpoint    `json:"remoteEndpoint,omitempty"`
	Annotations    []ZipkinAnnotation `json:"annotations,omitempty"`
	Tags           map[string]string  `json:"tags,omitempty"`
}

// ZipkinAnnotation is a timestamped event of a ZipkinSpan.
type ZipkinAnnotation struct {
	Timestamp int64  `json:"timestamp"`
	Value     string `json:"value"`
}

// ZipkinEndpoint is a span's local or remote endpoint.
type ZipkinEndpoint struct {
	ServiceName string `json:"serviceName,omitempty"`
	IPv4        string `json:"ipv4,omitempty"`
	IPv6        string `json:"ipv6,omitempty"`
	Port        int64  `json:"port,omitempty"`
}

// zspan is a parsed span with its IDs and what the tree needs.
type zspan struct {
	z       ZipkinSpan
	tid     pcommon.TraceID
	id      pcommon.SpanID // after the split of shared spans
	parent  pcommon.SpanID
	service string
	start   int64 // ns; 0 = not known
	end     int64
	approx  bool
}

// zipkinSpans reads the spans of a top-level array, each its own unit,
// handing out one trace each.
func (s *jsonStream) zipkinSpans(units []unit) ([]ptrace.Traces, error) {
	spans := make([]*zspan, len(units))
	for i, u := range units {
		zs := &zspan{}
		if err := decodeRaw(u.raw, &zs.z); err != nil {
			return nil, s.decodeErr(u, err)
		}
		if field, err := zs.check(); err != nil {
			return nil, s.atPath(u, field, err)
		}
		spans[i] = zs
	}
	return s.zipkinTraces(spans)
}

// zipkinList reads one unit that is an array of spans (an element of
// Zipkin's list of traces) in one pass; positions are looked for only when
// something is wrong.
func (s *jsonStream) zipkinList(u unit) (ptrace.Traces, error) {
	var list []ZipkinSpan
	if err := decodeRaw(u.raw, &list); err != nil {
		return ptrace.Traces{}, s.decodeErr(u, err)
	}
	spans := make([]*zspan, len(list))
	for i := range list {
		zs := &zspan{z: list[i]}
		if field, err := zs.check(); err != nil {
			return ptrace.Traces{}, s.atPath(u, fmt.Sprintf("[%d].%s", i, field), err)
		}
		spans[i] = zs
	}
	traces, err := s.zipkinTraces(spans)
	if err != nil {
		return ptrace.Traces{}, err
	}
	merged := ptrace.NewTraces()
	for _, td := range traces {
		td.ResourceSpans().MoveAndAppendTo(merged.ResourceSpans())
	}
	return merged, nil
}

// zipkinTraces groups spans by trace, in the order traces first appear.
func (s *jsonStream) zipkinTraces(spans []*zspan) ([]ptrace.Traces, error) {
	var order []pcommon.TraceID
	byTrace := map[pcommon.TraceID][]*zspan{}
	for _, zs := range spans {
		if _, ok := byTrace[zs.tid]; !ok {
			order = append(order, zs.tid)
		}
		byTrace[zs.tid] = append(byTrace[zs.tid], zs)
	}
	out := make([]ptrace.Traces, 0, len(order))
	for _, tid := range order {
		td, err := zipkinTrace(byTrace[tid])
		if err != nil {
			return nil, &Error{File: s.r.name, Err: fmt.Errorf("trace %s: %w", tid, err)}
		}
		out = append(out, td)
	}
	return out, nil
}

// check parses the IDs and times of a decoded span; a problem is returned
// with the field's path.
func (zs *zspan) check() (string, error) {
	var err error
	if zs.tid, err = traceID(zs.z.TraceID); err != nil {
		return "traceId", err
	}
	if zs.id, err = spanID(zs.z.ID); err != nil {
		return "id", err
	}
	if zs.z.ParentID != "" {
		if zs.parent, err = spanID(zs.z.ParentID); err != nil {
			return "parentId", err
		}
		if zs.parent == zs.id {
			zs.parent = pcommon.SpanID{}
		}
	}
	if zs.z.Timestamp < 0 {
		return "timestamp", fmt.Errorf("%d: negative", zs.z.Timestamp)
	}
	if zs.z.Duration < 0 {
		return "duration", fmt.Errorf("%d: negative", zs.z.Duration)
	}
	for i, a := range zs.z.Annotations {
		if a.Timestamp <= 0 {
			return fmt.Sprintf("annotations[%d].timestamp", i), fmt.Errorf("%d: want microseconds since 1970", a.Timestamp)
		}
	}
	if zs.z.LocalEndpoint != nil {
		zs.service = zs.z.LocalEndpoint.ServiceName
	}
	if zs.z.Timestamp > 0 {
		zs.start = zs.z.Timestamp * 1000
		if zs.z.Duration > 0 {
			zs.end = zs.start + zs.z.Duration*1000
		}
	}
	return "", nil
}

// zipkinTrace turns the spans of one trace into pdata.
func zipkinTrace(spans []*zspan) (ptrace.Traces, error) {
	spans = mergeParts(spans)
	splitShared(spans)
	if err := placeTimes(spans); err != nil {
		return ptrace.Traces{}, err
	}
	out := newResources()
	for _, zs := range spans {
		zipkinSpanTo(out, zs)
	}
	return out.td, nil
}

// mergeParts merges what was reported of one span in several pieces.
func mergeParts(spans []*zspan) []*zspan {
	type key struct {
		id      pcommon.SpanID
		shared  bool
		service string
	}
	seen := map[key]*zspan{}
	out := spans[:0]
	for _, zs := range spans {
		k := key{zs.id, zs.z.Shared, zs.service}
		first, ok := seen[k]
		if !ok {
			seen[k] = zs
			out = append(out, zs)
			continue
		}
		mergeInto(first, zs)
	}
	return out
}

func mergeInto(a, b *zspan) {
	if a.z.Name == "" || a.z.Name == "unknown" {
		a.z.Name = b.z.Name
	}
	if a.z.Kind == "" {
		a.z.Kind = b.z.Kind
	}
	if a.parent.IsEmpty() {
		a.parent = b.parent
	}
	if b.start > 0 && (a.start == 0 || b.start < a.start) {
		a.start = b.start
	}
	if b.end > a.end {
		a.end = b.end
	}
	if a.z.RemoteEndpoint == nil {
		a.z.RemoteEndpoint = b.z.RemoteEndpoint
	}
	if a.z.LocalEndpoint == nil {
		a.z.LocalEndpoint = b.z.LocalEndpoint
	}
	a.z.Debug = a.z.Debug || b.z.Debug
	a.z.Annotations = append(a.z.Annotations, b.z.Annotations...)
	for k, v := range b.z.Tags {
		if a.z.Tags == nil {
			a.z.Tags = map[string]string{}
		}
		if _, ok := a.z.Tags[k]; !ok {
			a.z.Tags[k] = v
		}
	}
}

// SharedSpanID is the span ID given to the server half of a Zipkin shared
// span (n counts server halves of one ID from 0): the first 8 bytes of the
// FNV-1a hash of trace ID, span ID, n and "server", so a file reads the
// same every time.
func SharedSpanID(tid pcommon.TraceID, sid pcommon.SpanID, n int) pcommon.SpanID {
	h := fnv.New64a()
	h.Write(tid[:])
	h.Write(sid[:])
	_ = binary.Write(h, binary.BigEndian, uint32(n))
	h.Write([]byte("server"))
	var id pcommon.SpanID
	binary.BigEndian.PutUint64(id[:], h.Sum64())
	return id
}

// splitShared gives every server half of a shared span ID its own ID under
// the client half, and moves the children that ran in a server half's
// service under it.
func splitShared(spans []*zspan) {
	byID := map[pcommon.SpanID][]*zspan{}
	used := map[pcommon.SpanID]bool{}
	for _, zs := range spans {
		byID[zs.id] = append(byID[zs.id], zs)
		used[zs.id] = true
	}
	// moved[id][service] is the server half that children of id in that
	// service belong to.
	moved := map[pcommon.SpanID]map[string]pcommon.SpanID{}
	for _, zs := range spans { // in file order, so IDs do not depend on map order
		halves := byID[zs.id]
		if len(halves) < 2 || halves[0] != zs {
			continue
		}
		client := halves[0]
		for _, h := range halves {
			if !h.z.Shared && !strings.EqualFold(h.z.Kind, "SERVER") {
				client = h
				break
			}
		}
		orig, n := client.id, 0
		for _, h := range halves {
			if h == client {
				continue
			}
			id := SharedSpanID(h.tid, orig, n)
			for used[id] || id.IsEmpty() {
				n++
				id = SharedSpanID(h.tid, orig, n)
			}
			n++
			used[id] = true
			h.id, h.parent = id, orig
			if moved[orig] == nil {
				moved[orig] = map[string]pcommon.SpanID{}
			}
			if _, ok := moved[orig][h.service]; !ok {
				moved[orig][h.service] = id
			}
		}
	}
	for _, zs := range spans {
		if to, ok := moved[zs.parent][zs.service]; ok && to != zs.id {
			zs.parent = to
		}
	}
}

// placeTimes fills the times a span lacks from its annotations, then its
// children, then its parent, marking such spans approximate.
func placeTimes(spans []*zspan) error {
	byID := make(map[pcommon.SpanID]*zspan, len(spans))
	for _, zs := range spans {
		byID[zs.id] = zs
	}
	children := map[pcommon.SpanID][]*zspan{}
	for _, zs := range spans {
		if _, ok := byID[zs.parent]; ok && !zs.parent.IsEmpty() {
			children[zs.parent] = append(children[zs.parent], zs)
		}
	}
	var earliest int64
	for _, zs := range spans {
		for _, a := range zs.z.Annotations {
			t := a.Timestamp * 1000
			if zs.z.Timestamp == 0 && (zs.start == 0 || t < zs.start) {
				zs.start, zs.approx = t, true
			}
			if zs.z.Duration == 0 && t > zs.end {
				zs.end, zs.approx = t, true
			}
		}
		if zs.start > 0 && (earliest == 0 || zs.start < earliest) {
			earliest = zs.start
		}
	}
	if earliest == 0 {
		return errors.New("no span has a timestamp (nor annotations): the trace cannot be placed in time")
	}
	// Bottom-up: a span without times covers its children.
	const (
		unseen = iota
		active
		finished
	)
	state := map[*zspan]int{}
	var up func(zs *zspan) (lo, hi int64)
	up = func(zs *zspan) (int64, int64) {
		if state[zs] != unseen {
			return zs.start, zs.end
		}
		state[zs] = active
		var lo, hi int64
		for _, c := range children[zs.id] {
			if state[c] == active { // a cycle: cut
				continue
			}
			clo, chi := up(c)
			if clo > 0 && (lo == 0 || clo < lo) {
				lo = clo
			}
			hi = max(hi, chi, clo)
		}
		if zs.start == 0 && lo > 0 {
			zs.start, zs.approx = lo, true
		}
		if zs.z.Duration == 0 && hi > zs.end {
			zs.end, zs.approx = hi, true
		}
		state[zs] = finished
		return zs.start, zs.end
	}
	for _, zs := range spans {
		up(zs)
	}
	// Top-down: what is still unknown starts with its parent.
	var down func(zs *zspan, depth int) int64
	down = func(zs *zspan, depth int) int64 {
		if zs.start > 0 || depth > len(spans) {
			return zs.start
		}
		start := earliest
		if p, ok := byID[zs.parent]; ok && p != zs {
			if ps := down(p, depth+1); ps > 0 {
				start = ps
			}
		}
		zs.start, zs.approx = start, true
		return start
	}
	for _, zs := range spans {
		down(zs, 0)
		if zs.end < zs.start {
			zs.end, zs.approx = zs.start, true
		}
	}
	return nil
}

func zipkinSpanTo(out *resources, zs *zspan) {
	var sc scope
	for k, v := range zs.z.Tags {
		sc.scopeTag(k, v)
	}
	service := zs.service
	sp := out.slice(service, sc, func(r pcommon.Resource) {
		if service != "" {
			r.Attributes().PutStr("service.name", service)
		}
	}).AppendEmpty()
	sp.SetTraceID(zs.tid)
	sp.SetSpanID(zs.id)
	sp.SetParentSpanID(zs.parent)
	sp.SetName(zs.z.Name)
	sp.SetKind(spanKind(zs.z.Kind))
	sp.SetStartTimestamp(pcommon.Timestamp(zs.start))
	sp.SetEndTimestamp(pcommon.Timestamp(zs.end))
	keys := make([]string, 0, len(zs.z.Tags))
	for k := range zs.z.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := sp.Attributes()
	for _, k := range keys {
		v := zs.z.Tags[k]
		switch {
		case k == TagError:
			// Zipkin: an error tag marks a failed span; its value is the message.
			sp.Status().SetCode(ptrace.StatusCodeError)
			if v != "" && v != "true" {
				sp.Status().SetMessage(v)
			}
		case k == TagSpanKind:
			if sp.Kind() == ptrace.SpanKindUnspecified {
				sp.SetKind(spanKind(v))
			}
		case statusTag(sp.Status(), k, v), sc.scopeTag(k, v):
		default:
			attrs.PutStr(k, v)
		}
	}
	if le := zs.z.LocalEndpoint; le != nil {
		if ip := le.IPv4 + le.IPv6; ip != "" {
			attrs.PutStr("net.host.ip", firstNonEmpty(le.IPv6, le.IPv4))
		}
		if le.Port > 0 {
			attrs.PutInt("net.host.port", le.Port)
		}
	}
	if re := zs.z.RemoteEndpoint; re != nil {
		if re.ServiceName != "" {
			attrs.PutStr("peer.service", re.ServiceName)
		}
		if ip := re.IPv4 + re.IPv6; ip != "" {
			attrs.PutStr("net.peer.ip", firstNonEmpty(re.IPv6, re.IPv4))
		}
		if re.Port > 0 {
			attrs.PutInt("net.peer.port", re.Port)
		}
	}
	if zs.z.Debug {
		attrs.PutBool(ZipkinDebugAttribute, true)
	}
	if zs.approx {
		attrs.PutBool(ApproximateAttribute, true)
	}
	for _, a := range zs.z.Annotations {
		ev := sp.Events().AppendEmpty()
		ev.SetTimestamp(microsToTimestamp(a.Timestamp))
		ev.SetName(a.Value)
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
