// Package traceio reads trace files into pdata, streaming, whatever tool
// wrote them:
//
//   - OTLP/JSON: one document per line as the collector's file exporter
//     writes it, or pretty-printed documents over many lines, several per
//     file; also Jaeger v2's /api/v3 answer ({"result": {...}}).
//   - OTLP protobuf: the file exporter's `format: proto` (each message after
//     a 4-byte big-endian length), with or without its zstd compression
//     (per message, or the whole file), and a bare TracesData message.
//   - Jaeger JSON: the query API's and the UI's {"data": [trace...]}, a bare
//     trace {"traceID", "spans", "processes"}, an array of traces (the UI's
//     search download) and an array of spans.
//   - Zipkin v2 JSON: an array of spans (/api/v2/trace/{id}) or an array of
//     traces (/api/v2/traces), with Zipkin's semantics (see zipkin.go).
//   - A Go pprof profile (read only): one trace whose spans are the frames.
//
// gzip- and zstd-compressed files are decompressed first. The format is told
// by the content (Options.Format overrides it); see Detect.
//
// Errors are *Error values naming the file, the line and column (or the
// message number of a binary file) and the JSON path of the field, in words
// a person fixing a CI job understands: never a Go type, never a raw byte.
package traceio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Format is a trace file format.
type Format string

const (
	OTLP      Format = "otlp"       // OTLP/JSON
	OTLPProto Format = "otlp-proto" // OTLP protobuf, as the file exporter writes it
	Jaeger    Format = "jaeger"     // Jaeger JSON (UI download, query API v1 and v3)
	Zipkin    Format = "zipkin"     // Zipkin v2 JSON
	Pprof     Format = "pprof"      // a Go pprof profile (read only)
)

// Formats lists every format a Reader reads, for flag help and messages.
var Formats = []Format{OTLP, OTLPProto, Jaeger, Zipkin, Pprof}

// ParseFormat checks a format name given by a user; "" means detect.
func ParseFormat(s string) (Format, error) {
	if s == "" {
		return "", nil
	}
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %s (want %s)", quote(s), formatList())
}

func formatList() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// maxMessage bounds one document or message, so a wrong file or a corrupt
// length prefix cannot exhaust memory.
const maxMessage = 1 << 30

// Error is a problem at a place in an input.
type Error struct {
	File   string
	Line   int    // 1-based; 0 when the place is the whole input or binary
	Column int    // 1-based byte column on Line; 0 when unknown
	Field  string // JSON path of the offending field, e.g. data[0].spans[3].traceID
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %s", e.Field)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ReadFile reads every trace of a file, detecting its format unless format
// is set. Use NewReader for files larger than memory.
func ReadFile(path string, format Format) (ptrace.Traces, Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return ptrace.Traces{}, "", err
	}
	defer f.Close()
	return readAll(NewReader(path, f, Options{Format: format}))
}

// Read parses data (named name in errors) in the given format, or the
// detected one when format is empty.
func Read(name string, data []byte, format Format) (ptrace.Traces, Format, error) {
	return readAll(NewReader(name, bytes.NewReader(data), Options{Format: format}))
}

func readAll(r *Reader) (ptrace.Traces, Format, error) {
	defer r.Close()
	all := ptrace.NewTraces()
	for {
		td, err := r.Next()
		if err == io.EOF {
			return all, r.Format(), nil
		}
		if err != nil {
			return ptrace.Traces{}, r.Format(), err
		}
		td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
}

// Detect tells the format of data from its first bytes (and, for JSON, its
// first value's fields), as a Reader does.
func Detect(data []byte) (Format, error) {
	r := NewReader("", bytes.NewReader(data), Options{})
	defer r.Close()
	_, err := r.Next()
	if err != nil && err != io.EOF {
		var e *Error
		if errors.As(err, &e) {
			err = e.Err
		}
		if r.Format() == "" {
			return "", err
		}
	}
	return r.Format(), nil
}

// quote shows text from a file in a message: quoted, non-printable runes
// and invalid UTF-8 escaped, long text cut.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

// startsWith shows the first bytes of an input that is not what was
// expected.
func startsWith(br *bufio.Reader) string {
	head, _ := br.Peek(16)
	return quote(string(head))
}
