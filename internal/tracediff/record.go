package tracediff

import (
	"encoding/binary"
	"errors"
	"path"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/traceio"
)

// key is a span's identity: trace ID then span ID.
type key [24]byte

func (k key) trace() pcommon.TraceID { return pcommon.TraceID(k[:16]) }
func (k key) span() pcommon.SpanID   { return pcommon.SpanID(k[16:]) }

// record is what diff compares of a span, in a form independent of the
// file format: attributes are the resource's (but service.name), the
// instrumentation scope's name and version and the trace state under the
// tag names Jaeger and Zipkin give them, and the span's own, each compared
// by its text (Zipkin tags are all strings). Events and links are not
// compared.
type record struct {
	key        key
	parent     pcommon.SpanID
	kind       ptrace.SpanKind
	code       ptrace.StatusCode
	start, end uint64
	name       string
	service    string
	message    string
	attrs      []kv // sorted by key, ignored keys left out
}

type kv struct{ k, v string }

// encoder appends records to a partition file.
type encoder struct {
	buf     []byte
	attrs   map[string]string
	ignore  []string
	ignored map[string]bool // memo of ignore matches by key
}

func newEncoder(ignore []string) *encoder {
	return &encoder{attrs: map[string]string{}, ignore: ignore, ignored: map[string]bool{}}
}

func (e *encoder) skip(k string) bool {
	if len(e.ignore) == 0 {
		return false
	}
	v, ok := e.ignored[k]
	if !ok {
		for _, g := range e.ignore {
			if m, _ := path.Match(g, k); m {
				v = true
				break
			}
		}
		if len(e.ignored) < 1<<16 {
			e.ignored[k] = v
		}
	}
	return v
}

// span encodes one span of resource res and scope sc into e.buf.
func (e *encoder) span(sp ptrace.Span, res pcommon.Resource, sc pcommon.InstrumentationScope) []byte {
	clear(e.attrs)
	put := func(k, v string) {
		// Links are not compared, nor the tags Jaeger and Zipkin keep them in.
		if !e.skip(k) && !strings.HasPrefix(k, traceio.TagLinkPrefix) {
			e.attrs[k] = v
		}
	}
	service := ""
	for k, v := range res.Attributes().All() {
		if k == "service.name" {
			service = v.AsString()
			continue
		}
		put(k, v.AsString())
	}
	if sc.Name() != "" {
		put(traceio.TagScopeName, sc.Name())
	}
	if sc.Version() != "" {
		put(traceio.TagScopeVersion, sc.Version())
	}
	if ts := sp.TraceState().AsRaw(); ts != "" {
		put(traceio.TagTraceState, ts)
	}
	for k, v := range sp.Attributes().All() {
		put(k, v.AsString())
	}
	b := e.buf[:0]
	tid, sid, pid := sp.TraceID(), sp.SpanID(), sp.ParentSpanID()
	b = append(b, tid[:]...)
	b = append(b, sid[:]...)
	b = append(b, pid[:]...)
	b = append(b, byte(sp.Kind()), byte(sp.Status().Code()))
	b = binary.LittleEndian.AppendUint64(b, uint64(sp.StartTimestamp()))
	b = binary.LittleEndian.AppendUint64(b, uint64(sp.EndTimestamp()))
	b = appendString(b, sp.Name())
	b = appendString(b, service)
	b = appendString(b, sp.Status().Message())
	keys := make([]string, 0, len(e.attrs))
	for k := range e.attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, e.attrs[k])
	}
	e.buf = b
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decode reads a record back; raw is one record as span encoded it.
func decode(raw []byte) (*record, error) {
	const fixed = 24 + 8 + 2 + 16
	if len(raw) < fixed {
		return nil, errCorrupt
	}
	rec := &record{}
	copy(rec.key[:], raw[:24])
	copy(rec.parent[:], raw[24:32])
	rec.kind, rec.code = ptrace.SpanKind(raw[32]), ptrace.StatusCode(raw[33])
	rec.start = binary.LittleEndian.Uint64(raw[34:])
	rec.end = binary.LittleEndian.Uint64(raw[42:])
	d := decoder{b: raw[fixed:]}
	rec.name, rec.service, rec.message = d.str(), d.str(), d.str()
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return nil, errCorrupt
	}
	rec.attrs = make([]kv, n)
	for i := range rec.attrs {
		rec.attrs[i] = kv{d.str(), d.str()}
	}
	if d.bad || len(d.b) != 0 {
		return nil, errCorrupt
	}
	return rec, nil
}

var errCorrupt = errors.New("temporary partition file is corrupt")

// decoder reads the variable part of a record.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad = true
		d.b = nil
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
