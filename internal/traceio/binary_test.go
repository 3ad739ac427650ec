package traceio

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/profiletest"
)

// summary is every span of td as one comparable line each.
func summary(td ptrace.Traces) string {
	var lines []string
	for _, rs := range td.ResourceSpans().All() {
		svc, _ := rs.Resource().Attributes().Get("service.name")
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				lines = append(lines, fmt.Sprintf("%s %s %s<-%s %d..%d %s %s %s ev=%d links=%d",
					svc.Str(), s.Name(), s.SpanID(), s.ParentSpanID(), s.StartTimestamp(), s.EndTimestamp(),
					s.Kind(), s.Status().Code(), s.TraceID(), s.Events().Len(), s.Links().Len()))
			}
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// lengthPrefixed prefixes msg with its length, as the file exporter does.
func lengthPrefixed(msgs ...[]byte) []byte {
	var out []byte
	for _, m := range msgs {
		out = binary.BigEndian.AppendUint32(out, uint32(len(m)))
		out = append(out, m...)
	}
	return out
}

// The file exporter's outputs: format proto, compression zstd (per message,
// for proto and for json), native zstd compression of the whole file, and a
// bare TracesData message; a gzip-compressed JSON file too.
func TestOTLPBinaryFiles(t *testing.T) {
	var docs []ptrace.Traces
	r := NewReader("pretty", mustOpen(t, "testdata/otlp-pretty.json"), Options{})
	for {
		td, err := r.Next()
		if err != nil {
			break
		}
		docs = append(docs, td)
	}
	if len(docs) != 2 {
		t.Fatalf("%d documents", len(docs))
	}
	want := summary(readFixture(t, "otlp-pretty.json", Options{}).td)
	var pm ptrace.ProtoMarshaler
	var jm ptrace.JSONMarshaler
	enc, _ := zstd.NewWriter(nil)
	var protos, jsons, zprotos, zjsons [][]byte
	all := ptrace.NewTraces()
	for _, td := range docs {
		p, _ := pm.MarshalTraces(td)
		j, _ := jm.MarshalTraces(td)
		protos, jsons = append(protos, p), append(jsons, j)
		zprotos, zjsons = append(zprotos, enc.EncodeAll(p, nil)), append(zjsons, enc.EncodeAll(j, nil))
		for _, rs := range td.ResourceSpans().All() {
			rs.CopyTo(all.ResourceSpans().AppendEmpty())
		}
	}
	bare, _ := pm.MarshalTraces(all)
	pretty, _ := os.ReadFile("testdata/otlp-pretty.json")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(pretty)
	_ = zw.Close()
	for name, c := range map[string]struct {
		data  []byte
		units int
	}{
		"proto":             {lengthPrefixed(protos...), 2},
		"proto zstd":        {lengthPrefixed(zprotos...), 2},
		"json zstd":         {lengthPrefixed(zjsons...), 2},
		"native zstd json":  {enc.EncodeAll(append(append(jsons[0], '\n'), append(jsons[1], '\n')...), nil), 2},
		"native zstd proto": {enc.EncodeAll(lengthPrefixed(protos...), nil), 2},
		"bare TracesData":   {bare, 1},
		"gzip json":         {gz.Bytes(), 2},
	} {
		g := readInput(t, name, c.data, Options{})
		if got := summary(g.td); got != want || g.units != c.units {
			t.Errorf("%s: %d units, spans\n%s\nwant\n%s", name, g.units, got, want)
		}
	}
	framed := lengthPrefixed(protos...)
	_, _, err := Read("cut.pb", framed[:len(framed)-10], "")
	wantErr := fmt.Sprintf("cut.pb: message 2 at byte %d: cut off: the length prefix says %d bytes, the input ends after %d",
		4+len(protos[0]), len(protos[1]), len(protos[1])-10)
	if err == nil || err.Error() != wantErr {
		t.Errorf("err = %v\nwant %s", err, wantErr)
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

var sink [][]byte

//go:noinline
func allocate() {
	for i := range 200 {
		sink = append(sink, make([]byte, 4096+i))
	}
}

// total sums one sample type of a profile, independently of the reader.
func total(t *testing.T, data []byte, sample string) int64 {
	p, err := profile.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range p.SampleType {
		if st.Type == sample {
			var sum int64
			for _, s := range p.Sample {
				sum += s.Value[i]
			}
			return sum
		}
	}
	t.Fatalf("no sample type %s", sample)
	return 0
}

// checkTree holds every span inside its parent and its children side by
// side within it, and returns the root.
func checkTree(t *testing.T, td ptrace.Traces) ptrace.Span {
	t.Helper()
	byID := map[string]ptrace.Span{}
	var root ptrace.Span
	roots := 0
	for _, rs := range td.ResourceSpans().All() {
		for _, s := range rs.ScopeSpans().At(0).Spans().All() {
			byID[s.SpanID().String()] = s
			if s.ParentSpanID().IsEmpty() {
				root, roots = s, roots+1
			}
		}
	}
	if roots != 1 {
		t.Fatalf("%d roots", roots)
	}
	childSum := map[string]uint64{}
	for _, s := range byID {
		if s.ParentSpanID().IsEmpty() {
			continue
		}
		p := byID[s.ParentSpanID().String()]
		if s.StartTimestamp() < p.StartTimestamp() || s.EndTimestamp() > p.EndTimestamp() {
			t.Errorf("%s outside its parent %s", s.Name(), p.Name())
		}
		childSum[p.SpanID().String()] += uint64(s.EndTimestamp() - s.StartTimestamp())
	}
	for id, sum := range childSum {
		p := byID[id]
		if sum > uint64(p.EndTimestamp()-p.StartTimestamp()) {
			t.Errorf("children of %s last longer than it", p.Name())
		}
	}
	return root
}

func TestPprofCPU(t *testing.T) {
	data, _ := profiletest.CPU(t, 5)
	g := readInput(t, "cpu.pprof", data, Options{})
	if g.format != Pprof || g.units != 1 {
		t.Fatalf("format %s, %d units", g.format, g.units)
	}
	root := checkTree(t, g.td)
	want := total(t, data, "cpu")
	if root.Name() != "cpu profile" || int64(root.EndTimestamp()-root.StartTimestamp()) != want {
		t.Fatalf("root %s lasts %d ns, the profile's cpu total is %d", root.Name(), root.EndTimestamp()-root.StartTimestamp(), want)
	}
	if v, _ := root.Attributes().Get(PprofUnitAttribute); v.Str() != "nanoseconds" {
		t.Fatalf("unit %q", v.Str())
	}
	const pkg = "github.com/tracemap/tracemap/internal/testutil/profiletest"
	if b := g.span(t, pkg+".Spin"); b.service != pkg || b.Kind() != ptrace.SpanKindInternal {
		t.Fatalf("Spin: service %q", b.service)
	}
	// -sample samples: one nanosecond per sample.
	g = readInput(t, "cpu.pprof", data, Options{Sample: "samples"})
	root = checkTree(t, g.td)
	if n := total(t, data, "samples"); int64(root.EndTimestamp()-root.StartTimestamp()) != n || root.Name() != "samples profile" {
		t.Fatalf("samples root %d, want %d", root.EndTimestamp()-root.StartTimestamp(), n)
	}
	_, _, err := readAll(NewReader("cpu.pprof", bytes.NewReader(data), Options{Sample: "alloc_space"}))
	if err == nil || err.Error() != `cpu.pprof: sample type "alloc_space" is not in this profile; it has samples, cpu` {
		t.Fatalf("err = %v", err)
	}
}

func TestPprofHeap(t *testing.T) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = old }()
	allocate()
	runtime.GC()
	var buf bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&buf, 0); err != nil {
		t.Fatal(err)
	}
	sink = nil
	data := buf.Bytes()
	g := readInput(t, "heap.pprof", data, Options{Format: Pprof, Sample: "alloc_space"})
	root := checkTree(t, g.td)
	if want := total(t, data, "alloc_space"); int64(root.EndTimestamp()-root.StartTimestamp()) != want || root.Name() != "alloc_space profile" {
		t.Fatalf("root %d, want %d", root.EndTimestamp()-root.StartTimestamp(), want)
	}
	if a, ok := g.spans["github.com/tracemap/tracemap/internal/traceio.allocate"]; !ok || attr(a, PprofValueAttribute).(int64) < 200*4096 {
		t.Fatalf("allocate: %v bytes", attr(a, PprofValueAttribute))
	}
	// Without -sample, the profile's default (inuse_space).
	g = readInput(t, "heap.pprof", data, Options{})
	if root := checkTree(t, g.td); root.Name() != "inuse_space profile" {
		t.Fatalf("default sample %s", root.Name())
	}
}
