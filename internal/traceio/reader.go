package traceio

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
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
// Each Next returns one unit of the input:
//   - OTLP (JSON or protobuf): one document, that is one JSON value or one
//     length-prefixed message, with whatever traces it holds;
//   - Jaeger: one trace (an element of "data", a bare trace, an element of
//     a trace array), or one OTLP document of an /api/v3 answer;
//   - Zipkin and span arrays: one trace (a span array is one JSON value, so
//     it is read whole, then handed out trace by trace);
//   - pprof: the profile, as one trace.
//
// Memory grows with the largest unit, not the input. A unit never splits a
// trace the input holds in one piece, but the input may spread a trace over
// several units (OTLP lines); callers that need whole traces group by trace
// ID. Units without spans are skipped; an input without any span is an
// error, not an empty stream.
type Reader struct {
	name   string
	src    io.Reader
	opt    Options
	format Format
	units  func() (ptrace.Traces, error)
	closer []func()
	spans  int
	err    error // sticky: io.EOF or the first error
}

// NewReader reads r, named name in error messages.
func NewReader(name string, r io.Reader, opt Options) *Reader {
	return &Reader{name: name, src: r, opt: opt}
}

// Format is the format being read: the forced one, or the detected one
// once Next has been called.
func (r *Reader) Format() Format {
	if r.format == "" {
		return r.opt.Format
	}
	return r.format
}

// Next returns the next batch, or io.EOF after the last.
func (r *Reader) Next() (ptrace.Traces, error) {
	if r.err != nil {
		return ptrace.Traces{}, r.err
	}
	if r.units == nil {
		if err := r.open(); err != nil {
			return r.fail(err)
		}
	}
	for {
		td, err := r.units()
		if err == io.EOF && r.spans == 0 {
			err = r.errorf("no spans: the input holds %s but no span in it", describe(r.format))
		}
		if err != nil {
			return r.fail(err)
		}
		if n := td.SpanCount(); n > 0 {
			r.spans += n
			return td, nil
		}
	}
}

// Close releases the decompressors of an input not read to its end.
func (r *Reader) Close() {
	for _, c := range r.closer {
		c()
	}
	r.closer = nil
}

func (r *Reader) fail(err error) (ptrace.Traces, error) {
	r.err = err
	r.Close()
	return ptrace.Traces{}, err
}

func (r *Reader) errorf(format string, args ...any) error {
	return &Error{File: r.name, Err: fmt.Errorf(format, args...)}
}

func describe(f Format) string {
	switch f {
	case OTLP:
		return "OTLP/JSON"
	case OTLPProto:
		return "OTLP protobuf"
	case Jaeger:
		return "Jaeger JSON"
	case Zipkin:
		return "Zipkin v2 JSON"
	case Pprof:
		return "a pprof profile"
	}
	return "data"
}

// maxWindow bounds the zstd window a file may ask for (zstd's own default
// for decoding without --long is 128 MiB).
const maxWindow = 1 << 27

var (
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	gzipMagic = []byte{0x1f, 0x8b}
)

// expected is what a file that is not traces is told it should have been.
const expected = "expected trace data: OTLP/JSON, OTLP protobuf, Jaeger JSON, Zipkin v2 JSON or a pprof profile"

// open looks at the first bytes: compression, then JSON, framed protobuf,
// a bare protobuf message or a profile.
func (r *Reader) open() error {
	br := bufio.NewReaderSize(r.src, 64<<10)
	gzipped := false
	for range 2 { // a compressed file inside a compressed file is not peeled further
		head, _ := br.Peek(4)
		switch {
		case hasPrefix(head, zstdMagic):
			zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxMessage), zstd.WithDecoderMaxWindow(maxWindow))
			if err != nil {
				return r.errorf("zstd: %v", err)
			}
			r.closer = append(r.closer, zr.Close)
			br = bufio.NewReaderSize(zr, 64<<10)
			continue
		case hasPrefix(head, gzipMagic):
			if r.opt.Format == Pprof {
				break // the profile package reads its own gzip
			}
			gr, err := gzip.NewReader(br)
			if err != nil {
				return r.errorf("gzip: %v", err)
			}
			br = bufio.NewReaderSize(gr, 64<<10)
			gzipped = true
			continue
		}
		break
	}
	raw, _ := br.Peek(1)
	if len(raw) == 0 {
		return r.errorf("empty input: %s", expected)
	}
	first, err := firstByte(br)
	if err != nil && err != io.EOF {
		return r.errorf("%v", err)
	}
	json := err == nil && (first == '{' || first == '[')
	f := r.opt.Format
	switch {
	case f == Pprof:
		r.format, r.units = Pprof, r.pprofUnits(br)
	case (f == "" || f == OTLPProto) && raw[0] == 0:
		r.format, r.units = OTLPProto, r.framedUnits(br)
	case f == "" && !json && err != io.EOF, f == OTLPProto:
		// A bare protobuf message: an OTLP TracesData, or a profile
		// (runtime/pprof writes gzip, which lands here as well).
		r.units = r.bareProtoUnits(br, gzipped)
	case json && f != OTLPProto:
		r.format = f
		r.units = newJSONStream(r, br).next
	case err == io.EOF:
		return r.errorf("empty input (only white space): %s", expected)
	}
	if r.units == nil {
		if f != "" {
			return r.errorf("this is not %s: it starts with %s", describe(f), startsWith(br))
		}
		return r.errorf("not a trace file: %s; it starts with %s", expected, startsWith(br))
	}
	return nil
}

// firstByte tells the first byte after a UTF-8 byte order mark and white
// space, consuming the mark only, and the white space only when there is
// more of it than fits in the buffer.
func firstByte(br *bufio.Reader) (byte, error) {
	if bom, _ := br.Peek(3); hasPrefix(bom, []byte{0xef, 0xbb, 0xbf}) {
		_, _ = br.Discard(3)
	}
	for i := 1; ; i++ {
		if i > br.Size() {
			_, _ = br.Discard(i - 1)
			i = 1 // counts from the buffer's new start
		}
		b, err := br.Peek(i)
		if len(b) < i {
			return 0, err
		}
		switch c := b[i-1]; c {
		case ' ', '\t', '\r', '\n':
		default:
			return c, nil
		}
	}
}

func hasPrefix(b, prefix []byte) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == string(prefix)
}

// readMessage reads n bytes, refusing lengths no message has; memory
// grows with what the input holds, not with what its length prefix claims.
func readMessage(br io.Reader, n uint64) ([]byte, error) {
	if n > maxMessage {
		return nil, fmt.Errorf("a message of %d bytes is more than the %d this reader takes: not a length-prefixed file, or a corrupt length", n, maxMessage)
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(n, 1<<20)))
	got, err := io.Copy(buf, io.LimitReader(br, int64(n)))
	if err != nil {
		return nil, err
	}
	if uint64(got) < n {
		return nil, fmt.Errorf("cut off: the length prefix says %d bytes, the input ends after %d", n, got)
	}
	return buf.Bytes(), nil
}

// wholeInput hands out, as the only unit, what conv makes of the whole
// input (a bare message or a profile).
func (r *Reader) wholeInput(br io.Reader, conv func([]byte) (ptrace.Traces, error)) func() (ptrace.Traces, error) {
	done := false
	return func() (ptrace.Traces, error) {
		if done {
			return ptrace.Traces{}, io.EOF
		}
		done = true
		data, err := io.ReadAll(io.LimitReader(br, maxMessage+1))
		if err != nil {
			return ptrace.Traces{}, r.errorf("%v", err)
		}
		if len(data) > maxMessage {
			return ptrace.Traces{}, r.errorf("one message of more than %d bytes is more than this reader takes", maxMessage)
		}
		return conv(data)
	}
}
