package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/profiletest"
	"github.com/tracemap/tracemap/internal/traceio"
)

func fixture(name string) string {
	return filepath.Join("..", "..", "internal", "traceio", "testdata", name)
}

type indexEntry struct {
	TraceID    string `json:"trace_id"`
	DurationNS int64  `json:"duration_ns"`
	Spans      int    `json:"spans"`
	Errors     int    `json:"errors"`
}

func readIndex(t *testing.T, dir string) map[string]indexEntry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx struct{ Entries []indexEntry }
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatal(err)
	}
	out := map[string]indexEntry{}
	for _, e := range idx.Entries {
		out[e.TraceID] = e
	}
	return out
}

// Every legitimate fixture renders: exit 0, one picture per trace, with the
// durations, span and error counts the file says, and calls counted once.
func TestRenderEveryFixture(t *testing.T) {
	ms := int64(time.Millisecond)
	for _, tc := range []struct {
		file   string
		traces []indexEntry
		calls  map[string]int // "N call(s)" edge labels in the picture of the first trace
	}{
		{"otlp-lines.jsonl", []indexEntry{{"5b8efff798038103d269b633813fc60c", 100 * ms, 2, 0}}, map[string]int{"1 call": 1}},
		{"otlp-pretty.json", []indexEntry{{"0af7651916cd43dd8448eb211c80319c", 250 * ms, 3, 3}}, map[string]int{"1 call": 1}},
		{"jaeger-ui.json", []indexEntry{{"4bf92f3577b34da6a3ce929d0e0e4736", 120 * ms, 2, 1}}, nil},
		{"jaeger-trace.json", []indexEntry{{"00000000000000006c3f2a1b0d9e8f7a", 63 * ms, 3, 1}}, map[string]int{"1 call": 1}},
		{"jaeger-spans.json", []indexEntry{{"aa00000000000000000000000000000b", ms, 2, 0}, {"bb00000000000000000000000000000c", ms / 2, 1, 0}}, nil},
		{"jaeger-traces.json", []indexEntry{{"0000000000000000000000000000c0de", 10_000, 1, 0}, {"0000000000000000000000000000beef", 20_000, 2, 0}}, nil},
		{"jaeger-v3.json", []indexEntry{{"00000000000000a1000000000000b2c3", 700 * ms, 2, 0}}, nil},
		{"zipkin-spans.json", []indexEntry{{"0000000000000000a3ce929d0e0e4736", 50 * ms, 2, 1}}, map[string]int{"1 call": 1}},
		// The shared span is one call frontend -> backend, not two.
		{"zipkin-shared.json", []indexEntry{{"463ac35c9f6413ad48485a3953bb6124", 100 * ms, 5, 0}}, map[string]int{"1 call": 2, "2 calls": 0}},
		{"zipkin-notime.json", []indexEntry{{"00000000000000005af7183fb1d4cf5f", 200 * ms, 6, 0}}, nil},
		{"zipkin-traces.json", []indexEntry{{"000000000000000000000000000000e1", 3 * ms, 2, 2}, {"000000000000000000000000000000e2", ms / 10, 1, 0}}, nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			out := t.TempDir()
			code, stdout, stderr := runCLI(t, "render", "-out", out, fixture(tc.file))
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			spans := 0
			for _, e := range tc.traces {
				spans += e.Spans
			}
			if want := "rendered " + strconv.Itoa(len(tc.traces)) + " traces (" + strconv.Itoa(spans) + " spans)"; !strings.HasPrefix(stdout, want) {
				t.Fatalf("stdout %q, want %q", stdout, want)
			}
			idx := readIndex(t, out)
			for _, want := range tc.traces {
				if got := idx[want.TraceID]; got != want {
					t.Errorf("index entry %+v, want %+v", got, want)
				}
			}
			collectortest.SVGText(t, filepath.Join(out, tc.traces[0].TraceID+".svg")) // well-formed
			svg, _ := os.ReadFile(filepath.Join(out, tc.traces[0].TraceID+".svg"))
			labels := map[string]int{}
			for _, m := range edgeLabelRE.FindAllSubmatch(svg, -1) {
				labels[string(m[1])]++
			}
			for label, n := range tc.calls {
				if got := labels[label]; got != n {
					t.Errorf("%q %d times in the picture, want %d", label, got, n)
				}
			}
		})
	}
}

// The file exporter's protobuf output, compressed, and standard input.
func TestRenderBinaryAndStdin(t *testing.T) {
	td, _, err := traceio.ReadFile(fixture("otlp-pretty.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	enc, _ := zstd.NewWriter(nil)
	msg = enc.EncodeAll(msg, nil)
	framed := binary.BigEndian.AppendUint32(nil, uint32(len(msg)))
	framed = append(framed, msg...)
	dir := t.TempDir()
	in := filepath.Join(dir, "traces.pb")
	if err := os.WriteFile(in, framed, 0o600); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if code, _, stderr := runCLI(t, "render", "-out", out, in); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if e := readIndex(t, out)["0af7651916cd43dd8448eb211c80319c"]; e.Spans != 3 || e.DurationNS != int64(250*time.Millisecond) {
		t.Fatalf("entry %+v", e)
	}
	var stdout, stderr bytes.Buffer
	zipkin, _ := os.ReadFile(fixture("zipkin-spans.json"))
	out = t.TempDir()
	if code := run([]string{"render", "-out", out, "-"}, bytes.NewReader(zipkin), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if _, ok := readIndex(t, out)["0000000000000000a3ce929d0e0e4736"]; !ok {
		t.Fatal("standard input not rendered")
	}
}

// A CPU profile recorded from real Go code is drawn with its widest bar,
// the root's, as long as the profile's total.
func TestRenderPprof(t *testing.T) {
	data, p := profiletest.CPU(t, 5)
	var total int64
	for _, s := range p.Sample {
		total += s.Value[1] // cpu/nanoseconds
	}
	in := filepath.Join(t.TempDir(), "cpu.pprof")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	code, _, stderr := runCLI(t, "render", "-out", out, "-sample", "cpu", in)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	idx := readIndex(t, out)
	if len(idx) != 1 {
		t.Fatalf("%d pictures", len(idx))
	}
	for id, e := range idx {
		if e.DurationNS != total {
			t.Fatalf("duration %d ns, the profile's total is %d", e.DurationNS, total)
		}
		svg, err := os.ReadFile(filepath.Join(out, id+".svg"))
		if err != nil {
			t.Fatal(err)
		}
		title, width := widestBar(t, svg)
		if !strings.HasPrefix(title, "cpu profile\n") || !strings.Contains(title, "duration "+time.Duration(total).String()) {
			t.Fatalf("widest bar (%.1f) is %q, want the root lasting %s", width, title, time.Duration(total))
		}
	}
	if code, _, stderr := runCLI(t, "render", "-out", out, "-sample", "nope", in); code != exitInput || !strings.Contains(stderr, `sample type "nope" is not in this profile; it has samples, cpu`) {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

var edgeLabelRE = regexp.MustCompile(`<text class="el"[^>]*>([0-9]+ calls?)`)

var rowRE = regexp.MustCompile(`(?s)<g class="r"><title>(.*?)</title>.*?<rect class="b [^"]*" x="[^"]*" y="[^"]*" width="([0-9.]+)"`)

// widestBar finds the timeline row with the widest bar.
func widestBar(t *testing.T, svg []byte) (string, float64) {
	t.Helper()
	var title string
	var widest float64
	for _, m := range rowRE.FindAllSubmatch(svg, -1) {
		w, _ := strconv.ParseFloat(string(m[2]), 64)
		if w > widest {
			title, widest = string(m[1]), w
		}
	}
	if widest == 0 {
		t.Fatal("no timeline bars in the picture")
	}
	return title, widest
}

// Files that are not traces exit 3 and say what was expected.
func TestRenderRefusesWhatIsNotTraces(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	csv := write("data.csv", "a,b,c\n1,2,3\n")
	metrics := write("metrics.json", `{"resourceMetrics": []}`)
	config := write("config.json", `{"receivers": {"otlp": {}}}`)
	empty := write("empty.json", "")
	badID := write("bad.json", "[{\"traceId\": \"1\",\n \"id\": 7}]")
	noID := write("noid.json", `{"data": [{"spans": [{"traceID": "", "spanID": "1", "startTime": 5}]}]}`)
	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"csv":           {[]string{"render", "-out", dir, csv}, exitInput, "tracemap render: " + csv + `: not a trace file: expected trace data: OTLP/JSON, OTLP protobuf, Jaeger JSON, Zipkin v2 JSON or a pprof profile; it starts with "a,b,c\n1,2,3\n"`},
		"metrics":       {[]string{"render", "-out", dir, metrics}, exitInput, metrics + ":1:19: this is OTLP metrics, not traces"},
		"config":        {[]string{"render", "-out", dir, config}, exitInput, config + `:1:28: expected an OTLP/JSON document (resourceSpans), a Jaeger answer (data or result), a Jaeger trace (spans) or a Zipkin span array; found an object with the fields "receivers"`},
		"empty":         {[]string{"render", "-out", dir, empty}, exitInput, empty + ": empty input: expected trace data"},
		"bad id":        {[]string{"render", "-out", dir, badID}, exitInput, badID + ":2:8: field [0].id: expected a string, found a number"},
		"empty id":      {[]string{"render", "-out", dir, noID}, exitInput, noID + ":1:32: field data[0].spans[0].traceID: empty: every span needs a trace ID of 32 hex digits"},
		"missing":       {[]string{"render", "-out", dir, filepath.Join(dir, "nope.json")}, exitInput, "no such file"},
		"format":        {[]string{"render", "-out", dir, "-format", "zipkin", fixture("otlp-lines.jsonl")}, exitInput, "this is OTLP/JSON, not Zipkin v2 JSON (-format zipkin)"},
		"no files":      {[]string{"render"}, exitUsage, "no input files"},
		"bad flag":      {[]string{"render", "-format", "csv", badID}, exitUsage, `-format: unknown format "csv" (want otlp, otlp-proto, jaeger, zipkin, pprof)`},
		"bad threshold": {[]string{"render", "-heatmap-threshold", "150%", badID}, exitUsage, "outside 0..100%"},
		"bad scale":     {[]string{"render", "-out", dir, "-scale", "rainbow", badID}, exitUsage, "color_scale"},
		"no command":    {nil, exitUsage, "usage: tracemap render"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.svg")); len(m) != 0 {
		t.Fatalf("pictures written from bad input: %v", m)
	}
}
