// Package tracewrite writes pdata traces in the file formats tracemap reads
// (internal/traceio): OTLP/JSON one document per line and OTLP protobuf with
// the collector file exporter's framing, Jaeger JSON as the UI downloads it,
// and Zipkin v2 JSON. Writers stream: every Write emits its batch, so
// converting a file costs memory for one batch, not the file.
//
// What Jaeger and Zipkin have no field for is written the way the
// collector's own translators (contrib pkg/translator/jaeger and
// pkg/translator/zipkin) write it, as tags with the names below; see the
// README of cmd/tracemap for the full list of what a format cannot carry.
package tracewrite

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/traceio"
)

// Formats lists every format New writes, by traceio's names: OTLP/JSON one
// TracesData document per line; OTLP protobuf, each message after its length
// as 4 big-endian bytes; Jaeger JSON {"data":[trace...]}; Zipkin v2 [span...].
func Formats() []traceio.Format {
	return []traceio.Format{traceio.OTLP, traceio.OTLPProto, traceio.Jaeger, traceio.Zipkin}
}

// Writer writes batches of traces to an io.Writer in one format.
type Writer struct {
	w       *bufio.Writer
	enc     encoder
	started bool
	closed  bool
}

// encoder is one format: an optional header before the first batch, the
// batches, and a trailer.
type encoder interface {
	begin(w *bufio.Writer)
	batch(w *bufio.Writer, td ptrace.Traces) error
	end(w *bufio.Writer)
}

// New returns a writer of format f onto w.
func New(w io.Writer, f traceio.Format) (*Writer, error) {
	var enc encoder
	switch f {
	case traceio.OTLP:
		enc = &otlpJSON{}
	case traceio.OTLPProto:
		enc = &otlpProto{}
	case traceio.Jaeger:
		enc = &jaegerJSON{}
	case traceio.Zipkin:
		enc = &zipkinJSON{}
	default:
		names := make([]string, 0, 4)
		for _, k := range Formats() {
			names = append(names, string(k))
		}
		return nil, fmt.Errorf("unknown output format %q (want %s)", f, strings.Join(names, ", "))
	}
	return &Writer{w: bufio.NewWriterSize(w, 256<<10), enc: enc}, nil
}

// Write writes one batch.
func (w *Writer) Write(td ptrace.Traces) error {
	if w.closed {
		return errors.New("tracewrite: write after close")
	}
	if !w.started {
		w.enc.begin(w.w)
		w.started = true
	}
	if err := w.enc.batch(w.w, td); err != nil {
		return err
	}
	if w.w.Buffered() > 128<<10 {
		return w.w.Flush()
	}
	return nil
}

// Close ends the document and flushes it; it does not close the io.Writer.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if !w.started {
		w.enc.begin(w.w)
	}
	w.enc.end(w.w)
	return w.w.Flush()
}

// traceIDHex is the trace ID as Jaeger and Zipkin write it: 16 digits when
// the high half is zero (a 64-bit ID), else 32.
func traceIDHex(id pcommon.TraceID) string {
	if [8]byte(id[:8]) == ([8]byte{}) {
		return hex.EncodeToString(id[8:])
	}
	return hex.EncodeToString(id[:])
}

// checkIDs refuses a span without trace or span ID, which no reader takes.
func checkIDs(td ptrace.Traces) error {
	return eachSpan(td, func(_ pcommon.Resource, _ pcommon.InstrumentationScope, sp ptrace.Span) error {
		return checkID(sp)
	})
}

func checkID(sp ptrace.Span) error {
	switch {
	case sp.TraceID().IsEmpty():
		return fmt.Errorf("span %q has an empty trace ID", sp.Name())
	case sp.SpanID().IsEmpty():
		return fmt.Errorf("span %q of trace %s has an empty span ID", sp.Name(), sp.TraceID())
	}
	return nil
}

// checkSpan refuses what Jaeger and Zipkin cannot say: a span without IDs,
// without a start time (before the first microsecond of 1970) or with
// times past what their readers take (nanoseconds in an int64, 2262).
func checkSpan(sp ptrace.Span) error {
	if err := checkID(sp); err != nil {
		return err
	}
	switch {
	case micros(sp.StartTimestamp()) == 0:
		return fmt.Errorf("span %s %q of trace %s has no start time", sp.SpanID(), sp.Name(), sp.TraceID())
	case max(sp.StartTimestamp(), sp.EndTimestamp()) > math.MaxInt64:
		return fmt.Errorf("span %s %q of trace %s has a time after 2262", sp.SpanID(), sp.Name(), sp.TraceID())
	}
	return nil
}

// kindName is the lower-case kind of the span.kind tag ("" when unset).
func kindName(k ptrace.SpanKind) string {
	if k == ptrace.SpanKindUnspecified {
		return ""
	}
	return strings.ToLower(k.String())
}

// statusName is the otel.status_code value, OK or ERROR ("" when unset).
func statusName(c ptrace.StatusCode) string {
	if c == ptrace.StatusCodeUnset {
		return ""
	}
	return strings.ToUpper(c.String())
}

// jsonArray writes the elements of a JSON array one line each.
type jsonArray struct{ n int }

func (a *jsonArray) add(w *bufio.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if a.n > 0 {
		w.WriteByte(',')
	}
	w.WriteByte('\n')
	w.Write(b)
	a.n++
	return nil
}

// eachSpan calls fn for every span of td with its resource and scope, until
// fn fails.
func eachSpan(td ptrace.Traces, fn func(pcommon.Resource, pcommon.InstrumentationScope, ptrace.Span) error) error {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				if err := fn(rs.Resource(), ss.Scope(), sp); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// micros converts to the microseconds both formats use; end times are
// truncated the same way, so a duration is end/1000 - start/1000.
func micros(ts pcommon.Timestamp) int64 { return int64(uint64(ts) / 1000) }

// durationMicros is end minus start in microseconds, 0 when end is not
// after start.
func durationMicros(sp ptrace.Span) int64 {
	d := micros(sp.EndTimestamp()) - micros(sp.StartTimestamp())
	if d < 0 || sp.EndTimestamp() < sp.StartTimestamp() {
		return 0
	}
	return d
}

// serviceName is the resource's service.name, "" when absent.
func serviceName(r pcommon.Resource) string {
	if v, ok := r.Attributes().Get("service.name"); ok {
		return v.AsString()
	}
	return ""
}
