package traceio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// otlpDoc reads one OTLP/JSON document with pdata's own unmarshaler.
func (s *jsonStream) otlpDoc(u unit) (ptrace.Traces, error) {
	var um ptrace.JSONUnmarshaler
	td, err := um.UnmarshalTraces(u.raw)
	if err != nil {
		rel, msg := pdataJSONError(u.raw, err)
		// rel is where pdata stood: just after the bad value.
		return ptrace.Traces{}, s.at(u, rel-1, "", errors.New(msg))
	}
	if path, err := checkIDs(td); err != nil {
		return ptrace.Traces{}, s.atPath(u, path, err)
	}
	return td, nil
}

// pdataJSONError finds where in raw pdata's JSON reader failed and says
// what it means. Its messages look like
//
//	OP: MSG, error found in #N byte of ...|WINDOW|..., bigger context ...|CONTEXT|...
//
// where N is the failing byte's place in WINDOW, which sits in CONTEXT.
func pdataJSONError(raw []byte, err error) (int64, string) {
	msg := err.Error()
	const found, window, bigger = ", error found in #", " byte of ...|", "|..., bigger context ...|"
	i := strings.Index(msg, found)
	if i < 0 {
		return 0, "not valid OTLP/JSON: " + quote(msg)
	}
	what, where := msg[:i], msg[i+len(found):]
	var rel int64
	if j := strings.Index(where, window); j > 0 {
		n, _ := strconv.Atoi(where[:j])
		rest := where[j+len(window):]
		if k := strings.Index(rest, bigger); k >= 0 {
			win, ctx := rest[:k], strings.TrimSuffix(rest[k+len(bigger):], "|...")
			from := bytes.Index(raw, []byte(ctx))
			if from < 0 {
				from = 0
			}
			if w := bytes.Index(raw[from:], []byte(win)); w >= 0 {
				rel = int64(from + w + n)
			}
		}
	}
	op, detail, _ := strings.Cut(what, ": ")
	switch {
	case op == "ID.UnmarshalJSONIter" && detail == "length mismatch":
		return rel, "wrong length: a trace ID is 32 hex digits, a span ID 16"
	case op == "ID.UnmarshalJSONIter":
		return rel, "not hex: IDs are written in hex digits"
	case strings.HasPrefix(op, "ReadInt"), strings.HasPrefix(op, "ReadUint"):
		return rel, "expected an integer (a number or a string of digits)"
	case op == "ReadEnumValue":
		return rel, "unknown value: kinds and status codes are numbers or names such as SPAN_KIND_SERVER"
	case op == "base64.Decode":
		return rel, "not base64"
	}
	return rel, "not valid OTLP/JSON: " + quote(detail)
}

// checkIDs refuses spans without a trace or span ID (pdata reads "" and
// all zeros as empty), naming the first such field.
func checkIDs(td ptrace.Traces) (string, error) {
	for i, rs := range td.ResourceSpans().All() {
		for j, ss := range rs.ScopeSpans().All() {
			for k, sp := range ss.Spans().All() {
				at := fmt.Sprintf("resourceSpans[%d].scopeSpans[%d].spans[%d].", i, j, k)
				if sp.TraceID().IsEmpty() {
					return at + "traceId", errors.New("empty or all zeros: every span needs a trace ID of 32 hex digits")
				}
				if sp.SpanID().IsEmpty() {
					return at + "spanId", errors.New("empty or all zeros: every span needs a span ID of 16 hex digits")
				}
			}
		}
	}
	return "", nil
}

// framedUnits reads what the file exporter writes with `format: proto` (or
// with compression): messages each after its length as a 4-byte big-endian
// integer, each message zstd-compressed when the exporter compresses, an
// OTLP TracesData in protobuf (or in JSON, for `format: json` with
// compression).
func (r *Reader) framedUnits(br *bufio.Reader) func() (ptrace.Traces, error) {
	var (
		n   int
		off int64
		dec *zstd.Decoder
	)
	return func() (ptrace.Traces, error) {
		var size [4]byte
		if _, err := io.ReadFull(br, size[:]); err != nil {
			if err == io.EOF {
				return ptrace.Traces{}, io.EOF
			}
			return ptrace.Traces{}, r.errorf("message %d at byte %d: cut off in its 4-byte length", n+1, off)
		}
		n++
		at := off
		l := binary.BigEndian.Uint32(size[:])
		msg, err := readMessage(br, uint64(l))
		if err != nil {
			return ptrace.Traces{}, r.errorf("message %d at byte %d: %v", n, at, err)
		}
		off += 4 + int64(l)
		if hasPrefix(msg, zstdMagic) {
			if dec == nil {
				if dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxMessage), zstd.WithDecoderMaxWindow(maxWindow)); err != nil {
					return ptrace.Traces{}, r.errorf("zstd: %v", err)
				}
				r.closer = append(r.closer, dec.Close)
			}
			if msg, err = dec.DecodeAll(msg, nil); err != nil {
				return ptrace.Traces{}, r.errorf("message %d at byte %d: not valid zstd: %v", n, at, err)
			}
		}
		return r.protoOrJSONMessage(msg, fmt.Sprintf("message %d at byte %d", n, at))
	}
}

// protoOrJSONMessage reads one OTLP message of a framed file: protobuf
// first, since a protobuf TracesData starts with 0x0a (a newline) and may
// go on with 0x7b ('{', a first ResourceSpans of 123 bytes), so the bytes
// alone cannot tell it from a JSON document (format: json with compression).
func (r *Reader) protoOrJSONMessage(msg []byte, where string) (ptrace.Traces, error) {
	var um ptrace.ProtoUnmarshaler
	td, err := um.UnmarshalTraces(msg)
	if err != nil {
		if b := bytes.TrimLeft(msg, " \t\r\n"); len(b) > 0 && b[0] == '{' {
			return r.jsonMessage(msg, where)
		}
		return ptrace.Traces{}, r.errorf("%s: not an OTLP protobuf TracesData message: %s", where, quote(err.Error()))
	}
	if path, err := checkIDs(td); err != nil {
		return ptrace.Traces{}, &Error{File: r.name, Field: where + ": " + path, Err: err}
	}
	return td, nil
}

// jsonMessage reads a framed message that is one OTLP/JSON document.
func (r *Reader) jsonMessage(msg []byte, where string) (ptrace.Traces, error) {
	sub := NewReader(r.name+": "+where, bytes.NewReader(msg), Options{Format: OTLP})
	defer sub.Close()
	all := ptrace.NewTraces()
	for {
		td, err := sub.Next()
		if err == io.EOF {
			return all, nil
		}
		if err != nil {
			return ptrace.Traces{}, err
		}
		td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
}

// bareProtoUnits reads one protobuf message without a length: an OTLP
// TracesData (an OTLP/HTTP request body saved to a file) or a profile.
func (r *Reader) bareProtoUnits(br *bufio.Reader, gzipped bool) func() (ptrace.Traces, error) {
	return r.wholeInput(br, func(data []byte) (ptrace.Traces, error) {
		if r.opt.Format == "" {
			if p, err := parseProfile(data); err == nil && (gzipped || len(p.SampleType) > 0 && len(p.Sample) > 0) {
				r.format = Pprof
				return r.profileTrace(p)
			}
		}
		r.format = OTLPProto
		var um ptrace.ProtoUnmarshaler
		td, err := um.UnmarshalTraces(data)
		if err != nil || td.SpanCount() == 0 {
			if r.opt.Format == "" {
				r.format = ""
				return ptrace.Traces{}, r.errorf("not a trace file: %s; it starts with %s", expected, quote(string(data[:min(len(data), 16)])))
			}
			return ptrace.Traces{}, r.errorf("not an OTLP protobuf TracesData message: %s", quote(fmt.Sprint(err)))
		}
		if path, err := checkIDs(td); err != nil {
			return ptrace.Traces{}, &Error{File: r.name, Field: path, Err: err}
		}
		return td, nil
	})
}
