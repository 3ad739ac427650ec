// Package traceio reads trace files into pdata: OTLP/JSON (one document per
// line, as the collector's file exporter writes it), Jaeger JSON (the query
// API and the UI's "download JSON") and Zipkin v2 JSON. Errors name the file,
// the line and the field, because they are read by people fixing a CI job.
package traceio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

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

// maxFile bounds what one file may hold, so a wrong path cannot exhaust memory.
const maxFile = 1 << 30

// Error is a problem at a place in a file.
type Error struct {
	File  string
	Line  int    // 1-based; 0 when the place is the whole file
	Field string // JSON path of the offending field, when known
	Err   error
}

func (e *Error) Error() string {
	var b bytes.Buffer
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %s", e.Field)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ReadFile reads a trace file, detecting its format unless format is set.
func ReadFile(path string, format Format) (ptrace.Traces, Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return ptrace.Traces{}, "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return ptrace.Traces{}, "", &Error{File: path, Err: err}
	}
	if len(data) > maxFile {
		return ptrace.Traces{}, "", &Error{File: path, Err: fmt.Errorf("larger than %d bytes", maxFile)}
	}
	return Read(path, data, format)
}

// Read parses data (named name in errors) in the given format, or the
// detected one when format is empty.
func Read(name string, data []byte, format Format) (ptrace.Traces, Format, error) {
	if format == "" {
		var err error
		if format, err = Detect(data); err != nil {
			return ptrace.Traces{}, "", &Error{File: name, Err: err}
		}
	}
	src := &source{name: name, data: data, lines: lineStarts(data)}
	var td ptrace.Traces
	var err error
	switch format {
	case OTLP:
		td, err = src.otlp()
	case Jaeger:
		td, err = src.jaeger()
	case Zipkin:
		td, err = src.zipkin()
	default:
		return ptrace.Traces{}, "", &Error{File: name, Err: fmt.Errorf("unknown format %q (want otlp, jaeger or zipkin)", format)}
	}
	return td, format, err
}

// Detect tells the format from the first JSON value: an array is Zipkin v2,
// an object with resourceSpans is OTLP, one with data or spans is Jaeger.
func Detect(data []byte) (Format, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) == 0 {
		return "", errors.New("empty file")
	}
	switch trimmed[0] {
	case '[':
		return Zipkin, nil
	case '{':
	default:
		return "", errors.New("not JSON: expected an object or an array")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if _, err := dec.Token(); err != nil {
		return "", err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", fmt.Errorf("not JSON: %w", err)
		}
		switch tok {
		case "resourceSpans", "resource_spans":
			return OTLP, nil
		case "data", "spans", "processes":
			return Jaeger, nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", fmt.Errorf("not JSON: %w", err)
		}
	}
	return "", errors.New("unknown format: no resourceSpans (OTLP), data or spans (Jaeger) at the top")
}

// source is one file being read, with what is needed to name lines.
type source struct {
	name  string
	data  []byte
	lines []int // byte offset of each line start
}

func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// line is the 1-based line holding byte offset off.
func (s *source) line(off int64) int {
	return sort.Search(len(s.lines), func(i int) bool { return int64(s.lines[i]) > off })
}

// errAt builds an Error for a problem in the element that starts at byte
// offset off; JSON syntax and type errors carry their own, more precise
// offset (relative to that element) and field.
func (s *source) errAt(off int64, field string, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn) && strings.HasPrefix(syn.Error(), "unexpected end"):
		off = int64(len(s.data))
		err = errors.New("unexpected end of file")
	case errors.As(err, &syn):
		off += syn.Offset
	case errors.As(err, &typ):
		off += typ.Offset
		if typ.Field != "" {
			field = joinField(field, typ.Field)
		}
		err = fmt.Errorf("expected %s, got JSON %s", typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		off = int64(len(s.data))
		err = errors.New("unexpected end of file")
	}
	return &Error{File: s.name, Line: s.line(off), Field: field, Err: err}
}

func joinField(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}
