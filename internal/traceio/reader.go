package traceio

import (
	"io"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Options say how to read an input.
type Options struct {
	// Format forces a format; empty detects it from the content.
	Format Format
	// Sample is the pprof sample type that sizes the spans of a profile
	// (cpu, alloc_space, ...); empty takes the profile's default.
	Sample string
}

// Reader reads one input as a stream of trace batches.
//
// Each Next returns one unit of the input: an OTLP document (one JSON value
// or one protobuf message), one Jaeger or Zipkin trace, or a whole pprof
// profile (one trace). A batch never splits a trace that the input holds in
// one unit, but one trace may be spread over several batches when the input
// spreads it (OTLP lines); callers that need whole traces group by trace ID.
type Reader struct {
	name string
	r    io.Reader
	opt  Options
	done bool
	fmt  Format
}

// NewReader reads r, named name in error messages.
func NewReader(name string, r io.Reader, opt Options) *Reader {
	return &Reader{name: name, r: r, opt: opt}
}

// Format is the format being read: the forced one, or the detected one
// once Next has been called.
func (r *Reader) Format() Format {
	if r.fmt == "" {
		return r.opt.Format
	}
	return r.fmt
}

// Next returns the next batch, or io.EOF after the last.
func (r *Reader) Next() (ptrace.Traces, error) {
	if r.done {
		return ptrace.Traces{}, io.EOF
	}
	r.done = true
	data, err := io.ReadAll(io.LimitReader(r.r, maxFile+1))
	if err != nil {
		return ptrace.Traces{}, &Error{File: r.name, Err: err}
	}
	td, f, err := Read(r.name, data, r.opt.Format)
	r.fmt = f
	return td, err
}
