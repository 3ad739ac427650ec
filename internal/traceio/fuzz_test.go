package traceio

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/google/pprof/profile"
	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Each reader has a fuzz target (seeds: the fixtures, plus what the fuzzer
// found, in testdata/fuzz). Whatever the input, a reader does not panic,
// returns spans with IDs or an *Error whose message is printable text.

func seedFixtures(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func fuzzRead(t *testing.T, data []byte, opt Options) {
	r := NewReader("fuzz", bytes.NewReader(data), opt)
	defer r.Close()
	for {
		td, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not an *Error: %v", err, err)
			}
			msg := err.Error()
			if !utf8.ValidString(msg) {
				t.Fatalf("invalid UTF-8 in %q", msg)
			}
			for _, c := range msg {
				if c < ' ' || c == 0x7f {
					t.Fatalf("raw byte %U in %q", c, msg)
				}
			}
			if _, err2 := r.Next(); err2 != err {
				t.Fatalf("error not sticky: %v then %v", err, err2)
			}
			return
		}
		if td.SpanCount() == 0 {
			t.Fatal("a batch without spans")
		}
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, s := range ss.Spans().All() {
					if s.TraceID().IsEmpty() || s.SpanID().IsEmpty() {
						t.Fatalf("span %q without IDs", s.Name())
					}
				}
			}
		}
	}
}

func FuzzOTLPJSON(f *testing.F) {
	seedFixtures(f, "otlp-*.json*")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, Options{Format: OTLP}) })
}

func FuzzOTLPProto(f *testing.F) {
	data, _ := os.ReadFile("testdata/otlp-pretty.json")
	td, _, err := Read("seed", data, OTLP)
	if err != nil {
		f.Fatal(err)
	}
	msg, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	enc, _ := zstd.NewWriter(nil)
	f.Add(msg)
	f.Add(lengthPrefixed(msg, msg))
	f.Add(lengthPrefixed(enc.EncodeAll(msg, nil)))
	f.Add(enc.EncodeAll(lengthPrefixed(msg), nil))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, Options{Format: OTLPProto}) })
}

func FuzzJaeger(f *testing.F) {
	seedFixtures(f, "jaeger-*.json")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, Options{Format: Jaeger}) })
}

func FuzzZipkin(f *testing.F) {
	seedFixtures(f, "zipkin-*.json")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, Options{Format: Zipkin}) })
}

func FuzzPprof(f *testing.F) {
	fn := &profile.Function{ID: 1, Name: "main.work", Filename: "main.go"}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		Function:   []*profile.Function{fn},
		Location:   []*profile.Location{{ID: 1, Address: 0x10, Line: []profile.Line{{Function: fn, Line: 3}}}},
	}
	p.Sample = []*profile.Sample{{Location: p.Location, Value: []int64{2, 20_000_000}}}
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	if err := p.WriteUncompressed(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, Options{Format: Pprof}) })
}

// FuzzDetect reads anything with the format told by the content.
func FuzzDetect(f *testing.F) {
	seedFixtures(f, "*.json*")
	f.Add([]byte("\x00\x00\x00\x02\x0a\x00"))
	f.Add([]byte{0x1f, 0x8b, 0x08})
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd})
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, Options{}) })
}
