package svgexporter

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/index"
	"github.com/tracemap/tracemap/exporter/svgexporter/internal/metadata"
	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// t0Dir is the date prefix of crafted traces (tracetest.T0 is 2023-11-14 22:13:20 UTC).
const t0Dir = "traces/2023-11-14/"

// testConfig writes to dir without queue or retry, so ConsumeTraces
// returns the write result itself.
func testConfig(bucketURL string) *Config {
	c := createDefaultConfig()
	c.Bucket = bucketURL
	c.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	c.BackOffConfig.Enabled = false
	c.Index.Interval = time.Hour // flushed by Shutdown in tests
	c.Mode = ModeAll             // these tests draw every trace; exemplars_test.go covers the default
	return c
}

type harness struct {
	exp exporter.Traces
	tel *componenttest.Telemetry
}

func start(t *testing.T, cfg *Config) *harness {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	exp, err := NewFactory().CreateTraces(context.Background(), set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	return &harness{exp: exp, tel: tel}
}

func (h *harness) stop(t *testing.T) {
	t.Helper()
	if err := h.exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// sum adds up an int64 counter's points whose attributes include want
// (key=value pairs).
func (h *harness) sum(t *testing.T, name string, want ...string) int64 {
	t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		ok := true
		for i := 0; i+1 < len(want); i += 2 {
			v, found := dp.Attributes.Value(attributeKey(want[i]))
			ok = ok && found && v.AsString() == want[i+1]
		}
		if ok {
			n += dp.Value
		}
	}
	return n
}

// files lists every file under dir, relative, sorted.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// parseSVG checks that data is well-formed XML with an <svg> root and
// returns its character data.
func parseSVG(t *testing.T, data []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var text strings.Builder
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = el.Name.Local
			}
			if el.Name.Local == "script" || el.Name.Local == "foreignObject" {
				t.Fatalf("SVG holds a <%s>", el.Name.Local)
			}
		case xml.CharData:
			text.Write(el)
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
	return text.String()
}

func readIndex(t *testing.T, path string) index.Manifest {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := index.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func checkout(id uint64) ptrace.Traces {
	return tracetest.Traces(tracetest.TraceID(id), tracetest.FiveServices()...)
}

// plain is a one-service trace of the given duration (ns).
func plain(id uint64, service string, dur int64, failed bool) ptrace.Traces {
	s := tracetest.S(1, 0, service, "GET /", 0, dur)
	s.Error = failed
	return tracetest.Traces(tracetest.TraceID(id), s, tracetest.S(2, 1, service, "work", 10, dur-10))
}

func TestExportWritesPicturesMapAndListing(t *testing.T) {
	dir := t.TempDir()
	h := start(t, testConfig("file://"+dir))
	td := checkout(1)
	tracetest.Append(td, tracetest.TraceID(2), tracetest.S(1, 0, "frontend", "GET /", 2000, 7000))
	if err := h.exp.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	h.stop(t)

	got := files(t, dir)
	want := []string{
		t0Dir + "221320-frontend-00000000000000000000000000000001.svg",
		t0Dir + "221320-frontend-00000000000000000000000000000002.svg",
		t0Dir + "index.html",
		t0Dir + "index.json",
	}
	if len(got) != 7 || strings.Join(got[3:], ",") != strings.Join(want, ",") {
		t.Fatalf("files = %v", got)
	}
	// The service map of the (partial) window flushed by Shutdown.
	if !strings.HasPrefix(got[0], "servicemaps/") || !strings.HasSuffix(got[0], ".svg") || !strings.HasSuffix(got[1], "/index.html") || !strings.HasSuffix(got[2], "/index.json") {
		t.Fatalf("service map files = %v", got[:3])
	}
	data, _ := os.ReadFile(filepath.Join(dir, want[0]))
	text := parseSVG(t, data)
	for _, s := range []string{"00000000000000000000000000000001", "frontend", "payment", "GET /checkout"} {
		if !strings.Contains(text, s) {
			t.Errorf("trace picture lacks %q", s)
		}
	}
	mapData, _ := os.ReadFile(filepath.Join(dir, got[0]))
	mapText := parseSVG(t, mapData)
	for _, s := range []string{"frontend", "checkout", "payment", "inventory", "shipping"} {
		if !strings.Contains(mapText, s) {
			t.Errorf("service map lacks %q", s)
		}
	}

	m := readIndex(t, filepath.Join(dir, t0Dir+"index.json"))
	if m.Prefix != "traces/2023-11-14" || len(m.Entries) != 2 {
		t.Fatalf("index = %+v", m)
	}
	// Newest first: trace 2 starts 2µs after trace 1.
	e0, e1 := m.Entries[0], m.Entries[1]
	if e0.TraceID != "00000000000000000000000000000002" || e0.Spans != 1 || e0.DurationNs != 5000 || e0.Errors != 0 {
		t.Fatalf("entry 0 = %+v", e0)
	}
	if e1.TraceID != "00000000000000000000000000000001" || e1.Name != "221320-frontend-00000000000000000000000000000001.svg" ||
		e1.Service != "frontend" || e1.Operation != "GET /checkout" || e1.Spans != 7 || e1.Errors != 1 || e1.Kind != "trace" {
		t.Fatalf("entry 1 = %+v", e1)
	}
	html, _ := os.ReadFile(filepath.Join(dir, t0Dir+"index.html"))
	if !bytes.Contains(html, []byte(`href="221320-frontend-00000000000000000000000000000001.svg"`)) {
		t.Fatalf("index.html does not link the picture:\n%s", html)
	}

	if n := h.sum(t, "otelcol_exporter_svg_traces_rendered"); n != 2 {
		t.Errorf("traces rendered = %d", n)
	}
	if n := h.sum(t, "otelcol_exporter_svg_service_maps_written"); n != 1 {
		t.Errorf("service maps written = %d", n)
	}
	var traceBytes int64
	for _, f := range want[:2] {
		st, _ := os.Stat(filepath.Join(dir, f))
		traceBytes += st.Size()
	}
	if n := h.sum(t, "otelcol_exporter_svg_bytes_written", "kind", "trace"); n != traceBytes {
		t.Errorf("trace bytes written = %d, files hold %d", n, traceBytes)
	}
	rd, err := h.tel.GetMetric("otelcol_exporter_svg_render_duration")
	if err != nil || rd.Data.(metricdata.Histogram[float64]).DataPoints[0].Count+rd.Data.(metricdata.Histogram[float64]).DataPoints[1].Count != 3 {
		t.Errorf("render duration histogram = %+v, %v", rd, err)
	}
}

// drawn exports td with only pictures (no map, no listing) under key and
// returns the files written, joined by commas.
func drawn(t *testing.T, key string, render RenderConfig, td ptrace.Traces, edit func(*Config)) (string, *harness) {
	t.Helper()
	dir := t.TempDir()
	cfg := testConfig("file://" + dir)
	cfg.Key = key
	cfg.ServiceMap.Enabled = false
	cfg.Index.HTML, cfg.Index.JSON = false, false
	cfg.Render = render
	if edit != nil {
		edit(cfg)
	}
	h := start(t, cfg)
	if err := h.exp.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	h.stop(t)
	return strings.Join(files(t, dir), ","), h
}

func TestRenderFilter(t *testing.T) {
	td := ptrace.NewTraces()
	plain(1, "a", 1000, false).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())                    // fast, fine: skipped
	plain(2, "a", 1000, true).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())                     // error
	plain(3, "a", int64(time.Millisecond), false).ResourceSpans().MoveAndAppendTo(td.ResourceSpans()) // slow
	hot := plain(4, "b", 1000, false)                                                                 // heatmap says b is hot
	hot.ResourceSpans().At(0).Resource().Attributes().PutInt(heat.AttrServiceSpanCount, 100)
	hot.ResourceSpans().At(0).Resource().Attributes().PutDouble(heat.AttrServiceErrorRate, 0.3)
	hot.ResourceSpans().At(0).Resource().Attributes().PutBool(heat.AttrServiceHot, true)
	hot.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	got, h := drawn(t, "{{.TraceID}}.svg", RenderConfig{Errors: true, SlowerThan: time.Millisecond, Hot: true}, td, nil)
	want := "00000000000000000000000000000002.svg,00000000000000000000000000000003.svg,00000000000000000000000000000004.svg"
	if got != want {
		t.Fatalf("files = %s, want %s", got, want)
	}
	if n := h.sum(t, "otelcol_exporter_svg_traces_skipped", "reason", "filter"); n != 1 {
		t.Fatalf("skipped = %d, want 1", n)
	}
}

// TestHotFromOwnStatistics: without heatmap attributes the exporter's own
// tracker decides which service is hot.
func TestHotFromOwnStatistics(t *testing.T) {
	// Service "bad": 2 traces x 2 spans, 3 of them errors (75%); "ok": none.
	td := plain(1, "bad", 1000, true)
	plain(2, "ok", 1000, false).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	second := plain(3, "bad", 1000, true)
	second.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(1).Status().SetCode(ptrace.StatusCodeError)
	second.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	got, _ := drawn(t, "{{.Service}}-{{.TraceID}}.svg", RenderConfig{Hot: true}, td, func(c *Config) {
		c.Heat.MinSpans = 4
		c.Heat.Threshold = 0.5
	})
	if got != "bad-00000000000000000000000000000001.svg,bad-00000000000000000000000000000003.svg" {
		t.Fatalf("files = %s", got)
	}
}

// TestFailedWriteReturnsOnlyFailedTraces breaks one service's directory
// (a file where the directory should be: even root cannot write there),
// checks that only that trace comes back for a retry and that the retry,
// once the directory is back, neither loses nor double-counts anything.
func TestFailedWriteReturnsOnlyFailedTraces(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig("file://" + dir)
	cfg.Key = "{{.Service}}/{{.TraceID}}.svg"
	cfg.Index.HTML = false
	h := start(t, cfg)
	if err := os.WriteFile(filepath.Join(dir, "down"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	td := plain(1, "up", 1000, false)
	plain(2, "down", 1000, false).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	err := h.exp.ConsumeTraces(context.Background(), td)
	var failed consumererror.Traces
	if !errors.As(err, &failed) {
		t.Fatalf("ConsumeTraces = %v, want a consumererror.Traces", err)
	}
	back := failed.Data()
	if back.SpanCount() != 2 || back.ResourceSpans().Len() != 1 || back.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).TraceID() != tracetest.TraceID(2) {
		t.Fatalf("returned %d spans, want the 2 of trace 2", back.SpanCount())
	}
	if n := h.sum(t, "otelcol_exporter_svg_write_errors", "kind", "trace"); n != 1 {
		t.Fatalf("write errors = %d", n)
	}
	if err := os.Remove(filepath.Join(dir, "down")); err != nil {
		t.Fatal(err)
	}
	if err := h.exp.ConsumeTraces(context.Background(), back); err != nil {
		t.Fatal(err)
	}
	h.stop(t)
	got := files(t, dir)
	if len(got) != 6 || got[0] != "down/00000000000000000000000000000002.svg" || got[1] != "down/index.json" ||
		!strings.HasPrefix(got[2], "servicemaps/") || got[4] != "up/00000000000000000000000000000001.svg" {
		t.Fatalf("files = %v", got)
	}
	// The service map counted each trace once: 4 spans, not 6.
	parseSVG(t, mustRead(t, filepath.Join(dir, got[2])))
	m := readIndex(t, filepath.Join(dir, strings.TrimSuffix(got[2], filepath.Base(got[2]))+"index.json"))
	if len(m.Entries) != 1 || m.Entries[0].Spans != 4 || m.Entries[0].Operation != "2 services, 2 traces" {
		t.Fatalf("service map listing = %+v", m.Entries)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestHostileNames: names from data cannot leave the output directory or
// break the SVG.
func TestHostileNames(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	cfg := testConfig("file://" + dir)
	cfg.Key = "{{.Service}}/{{.Operation}}/{{.TraceID}}.svg"
	h := start(t, cfg)
	names := []string{"../../../escape", "..", "/etc/passwd", `a\..\..\b`, "</title><script>alert(1)</script>", "]]>", "\x00\x1b[31m\u202e", "\xff\xfe", strings.Repeat("x", 100_000), "index.html"}
	td := ptrace.NewTraces()
	for i, n := range names {
		tracetest.Append(td, tracetest.TraceID(uint64(i+1)), tracetest.S(1, 0, n, n, 0, 1000), tracetest.S(2, 1, n, n, 5, 10).Err())
	}
	if err := h.exp.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	h.stop(t)
	if entries, _ := os.ReadDir(root); len(entries) != 1 {
		t.Fatalf("something was written beside the output directory: %v", entries)
	}
	var svgs int
	for _, f := range files(t, dir) {
		for _, seg := range strings.Split(f, "/") {
			if len(seg) > 80 || strings.HasPrefix(seg, ".") {
				t.Fatalf("bad path segment %q in %q", seg, f)
			}
		}
		if strings.HasSuffix(f, ".svg") {
			svgs++
			parseSVG(t, mustRead(t, filepath.Join(dir, f)))
		}
	}
	if svgs != len(names)+1 { // + the service map
		t.Fatalf("%d pictures, want %d", svgs, len(names)+1)
	}
}

// TestListingSurvivesRestart: a second exporter on the same bucket adds to
// the listing the first one wrote.
func TestListingSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	for i := uint64(1); i <= 2; i++ {
		cfg := testConfig("file://" + dir)
		cfg.ServiceMap.Enabled = false
		h := start(t, cfg)
		td := tracetest.Traces(tracetest.TraceID(i), tracetest.S(1, 0, "svc", "op", int64(i)*1000, int64(i)*1000+10))
		if err := h.exp.ConsumeTraces(context.Background(), td); err != nil {
			t.Fatal(err)
		}
		h.stop(t)
	}
	m := readIndex(t, filepath.Join(dir, t0Dir+"index.json"))
	if len(m.Entries) != 2 || m.Entries[0].TraceID != "00000000000000000000000000000002" || m.Entries[1].TraceID != "00000000000000000000000000000001" {
		t.Fatalf("listing after restart = %+v", m.Entries)
	}
}

// TestDefaultConfigRelativeDir: the default bucket file://./out is created
// under the working directory.
func TestDefaultConfigRelativeDir(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	cfg := createDefaultConfig()
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	h := start(t, cfg)
	if err := h.exp.ConsumeTraces(context.Background(), plain(9, "svc", 1000, false)); err != nil {
		t.Fatal(err)
	}
	h.stop(t)
	// The default mode draws exemplars into the window of their arrival.
	pics, _ := filepath.Glob(filepath.Join(dir, "out", "windows", "*", "*", "exemplars", "00000000000000000000000000000009.svg"))
	if len(pics) != 1 {
		t.Fatalf("exemplar pictures: %v", files(t, dir))
	}
}

// startExporter starts the exporter itself (no exporter helper), for tests
// that look inside it; they shut it down themselves.
func startExporter(tb testing.TB, cfg *Config) *svgExporter {
	tb.Helper()
	e, err := newSVGExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	if err != nil {
		tb.Fatal(err)
	}
	if err := e.start(context.Background(), componenttest.NewNopHost()); err != nil {
		tb.Fatal(err)
	}
	return e
}

// TestGzipMem writes to a mem:// bucket and reads the object back before
// the bucket goes away with the exporter.
func TestGzipMem(t *testing.T) {
	cfg := testConfig("mem://")
	cfg.Gzip = true
	cfg.ServiceMap.Enabled = false
	e := startExporter(t, cfg)
	ctx := context.Background()
	if err := e.pushTraces(ctx, checkout(5)); err != nil {
		t.Fatal(err)
	}
	key := t0Dir + "221320-frontend-00000000000000000000000000000005.svg"
	attrs, err := e.bucket.Attributes(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if attrs.ContentType != "image/svg+xml" || attrs.ContentEncoding != "gzip" {
		t.Fatalf("content type %q, encoding %q", attrs.ContentType, attrs.ContentEncoding)
	}
	if err := e.flushIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if a, err := e.bucket.Attributes(ctx, t0Dir+"index.json"); err != nil || a.ContentType != "application/json" || a.ContentEncoding != "" {
		t.Fatalf("index.json attributes %+v, %v", a, err)
	}
	if err := e.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestServiceMapWindows: each window's map holds what arrived in it, and a
// map whose write failed is written on the next attempt.
func TestServiceMapWindows(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig("file://" + dir)
	cfg.Index.HTML, cfg.Index.JSON = false, false
	cfg.ServiceMap.Key = "maps/{{.Timestamp}}.svg"
	e, err := newSVGExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 11, 21, 6, 0, 10, 0, time.UTC)
	var mu sync.Mutex
	e.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	ctx := context.Background()
	if err := e.start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	if err := e.pushTraces(ctx, plain(1, "first", 1000, false)); err != nil {
		t.Fatal(err)
	}
	// Storage down at the end of the first window.
	if err := os.WriteFile(filepath.Join(dir, "maps"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.rotate(ctx, time.Date(2026, 11, 21, 6, 1, 0, 0, time.UTC)); err == nil {
		t.Fatal("rotate with storage down reported no error")
	}
	if err := e.pushTraces(ctx, plain(2, "second", 1000, false)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "maps"))
	mu.Lock()
	clock = time.Date(2026, 11, 21, 6, 1, 30, 0, time.UTC)
	mu.Unlock()
	if err := e.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	first := parseSVG(t, mustRead(t, filepath.Join(dir, "maps/20261121T060000Z.svg")))
	second := parseSVG(t, mustRead(t, filepath.Join(dir, "maps/20261121T060100Z.svg")))
	if !strings.Contains(first, "first") || strings.Contains(first, "second") || !strings.Contains(second, "second") || strings.Contains(second, "first") {
		t.Fatalf("window contents wrong:\nfirst: %s\nsecond: %s", first, second)
	}
}

func TestConcurrentConsume(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig("file://" + dir)
	cfg.Key = "{{.TraceID}}.svg"
	h := start(t, cfg)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if err := h.exp.ConsumeTraces(context.Background(), plain(uint64(g*100+i+1), "svc", 1000, i%3 == 0)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	h.stop(t)
	m := readIndex(t, filepath.Join(dir, "index.json"))
	if len(m.Entries) != 40 || h.sum(t, "otelcol_exporter_svg_traces_rendered") != 40 {
		t.Fatalf("listing has %d entries, %d rendered", len(m.Entries), h.sum(t, "otelcol_exporter_svg_traces_rendered"))
	}
}

var _ component.Config = (*Config)(nil)

func attributeKey(s string) attribute.Key { return attribute.Key(s) }

// TestUsesLayoutDAG: a valid tracemap.dag on the root span is drawn as it
// is (the layout processor's graph, here with a node no span names); a
// malformed one falls back to the graph built from the spans.
func TestUsesLayoutDAG(t *testing.T) {
	d := servicedag.DAG{Nodes: []servicedag.Node{{Name: "from-layout", Service: "from-layout", Spans: 1}}}
	servicedag.Layout(&d)
	td := plain(1, "svc", 1000, false)
	td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().PutStr(servicedag.AttrDAG, d.Encode())
	bad := plain(2, "svc", 1000, false)
	bad.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().PutStr(servicedag.AttrDAG, "v9|garbage")
	bad.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())

	dir := t.TempDir()
	cfg := testConfig("file://" + dir)
	cfg.Key = "{{.TraceID}}.svg"
	cfg.Index.HTML, cfg.Index.JSON = false, false
	h := start(t, cfg)
	if err := h.exp.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	h.stop(t)
	withDAG := parseSVG(t, mustRead(t, filepath.Join(dir, "00000000000000000000000000000001.svg")))
	fallback := parseSVG(t, mustRead(t, filepath.Join(dir, "00000000000000000000000000000002.svg")))
	if !strings.Contains(withDAG, "from-layout") {
		t.Error("the layout processor's graph was not drawn")
	}
	if strings.Contains(fallback, "from-layout") || !strings.Contains(fallback, "svc") {
		t.Error("a malformed tracemap.dag was not replaced by the graph of the spans")
	}
}

// lateSpan is a span of trace id whose parent (span 1) was passed on in an
// earlier batch, as tail_sampling hands on late spans.
func lateSpan(id uint64) ptrace.Traces {
	return tracetest.Traces(tracetest.TraceID(id), tracetest.S(9, 1, "late", "late work", 20, 30))
}

// TestLateFragmentKeepsWholePicture: spans arriving after their trace was
// drawn do not replace its picture; a fragment alone is still drawn.
func TestLateFragmentKeepsWholePicture(t *testing.T) {
	whole := plain(1, "svc", 1000, false)
	lateSpan(2).ResourceSpans().MoveAndAppendTo(whole.ResourceSpans()) // trace 2: only a fragment ever
	got, h := drawn(t, "{{.TraceID}}.svg", RenderConfig{}, whole, nil)
	if got != "00000000000000000000000000000001.svg,00000000000000000000000000000002.svg" {
		t.Fatalf("files = %s", got)
	}
	if n := h.sum(t, "otelcol_exporter_svg_traces_skipped", "reason", "fragment"); n != 0 {
		t.Fatalf("fragments skipped = %d", n)
	}

	dir := t.TempDir()
	cfg := testConfig("file://" + dir)
	cfg.Key = "{{.TraceID}}.svg"
	h = start(t, cfg)
	for _, td := range []ptrace.Traces{plain(1, "svc", 1000, false), lateSpan(1)} {
		if err := h.exp.ConsumeTraces(context.Background(), td); err != nil {
			t.Fatal(err)
		}
	}
	h.stop(t)
	text := parseSVG(t, mustRead(t, filepath.Join(dir, "00000000000000000000000000000001.svg")))
	if !strings.Contains(text, "svc") || strings.Contains(text, "late work") {
		t.Fatal("the late span replaced the picture of the whole trace")
	}
	if n := h.sum(t, "otelcol_exporter_svg_traces_skipped", "reason", "fragment"); n != 1 {
		t.Fatalf("fragments skipped = %d, want 1", n)
	}
	if m := readIndex(t, filepath.Join(dir, "index.json")); len(m.Entries) != 1 || m.Entries[0].Spans != 2 {
		t.Fatalf("listing = %+v", m.Entries)
	}
}

// TestListingRetriedAfterFailure: a listing that cannot be written stays
// pending and is written, complete, by the next flush.
func TestListingRetriedAfterFailure(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig("file://" + dir)
	cfg.Key = "{{.TraceID}}.svg"
	cfg.Index.HTML = false
	cfg.ServiceMap.Enabled = false
	e := startExporter(t, cfg)
	ctx := context.Background()
	// A directory where index.json belongs: the rename into place fails.
	if err := os.Mkdir(filepath.Join(dir, "index.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := e.pushTraces(ctx, plain(1, "svc", 1000, false)); err != nil {
		t.Fatal(err)
	}
	if err := e.flushIndex(ctx); err == nil {
		t.Fatal("flush into a directory reported no error")
	}
	if err := e.pushTraces(ctx, plain(2, "svc", 1000, false)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "index.json")); err != nil {
		t.Fatal(err)
	}
	if err := e.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	m := readIndex(t, filepath.Join(dir, "index.json"))
	if len(m.Entries) != 2 {
		t.Fatalf("listing = %+v", m.Entries)
	}
}
