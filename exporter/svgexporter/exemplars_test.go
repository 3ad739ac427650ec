package svgexporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/metadata"
	"github.com/tracemap/tracemap/internal/culprit"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/summary"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
	"github.com/tracemap/tracemap/processor/layout"
)

const ms = int64(time.Millisecond)

var (
	winStart = time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
	winDir   = "windows/2026-11-21/060000/"
)

// exemplarExporter is an exporter in mode exemplars on dir whose clock
// stands inside the window of winStart.
func exemplarExporter(t *testing.T, dir, gateway string, edit func(*Config)) *svgExporter {
	t.Helper()
	cfg := testConfig("file://" + dir)
	cfg.Mode = ModeExemplars
	cfg.GatewayID = gateway
	cfg.Exemplars.PerKey = 1
	if edit != nil {
		edit(cfg)
	}
	e, err := newSVGExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	clock := winStart.Add(10 * time.Second)
	e.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	if err := e.start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	return e
}

// shopTraces: trace 1 fails in db (called by shop) and is slow in db;
// traces 2..4 are shop alone, 5, 3 and 2 ms long.
func shopTraces() ptrace.Traces {
	td := tracetest.Traces(tracetest.TraceID(1),
		tracetest.S(1, 0, "shop", "GET /", 0, 1*ms).Err(),
		tracetest.S(2, 1, "db", "query", ms/10, 9*ms/10).Err())
	for i, d := range []int64{2: 5, 3: 3, 4: 2} {
		if d > 0 {
			tracetest.Append(td, tracetest.TraceID(uint64(i)), tracetest.S(1, 0, "shop", "GET /", 0, d*ms))
		}
	}
	return td
}

func readSummary(t *testing.T, p string) *summary.Summary {
	t.Helper()
	s, err := summary.Decode(mustRead(t, p))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestExemplarsOfAWindow: the exact pictures, data, summary and page of
// one window.
func TestExemplarsOfAWindow(t *testing.T) {
	dir := t.TempDir()
	e := exemplarExporter(t, dir, "gw-a", nil)
	ctx := context.Background()
	// Traces 2..4 arrive in one batch in map order; the order decides the
	// typical trace, so send them one by one.
	all := shopTraces()
	for _, id := range []uint64{1, 2, 3, 4} {
		if err := e.pushTraces(ctx, tracesOf(all, map[pcommon.TraceID]bool{tracetest.TraceID(id): true})); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.rotate(ctx, winStart.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := e.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	id := func(n uint64) string { return tracetest.TraceID(n).String() }
	want := []string{
		winDir + "exemplars/" + id(1) + ".otlp.pb.gz",
		winDir + "exemplars/" + id(1) + ".svg",
		winDir + "exemplars/" + id(2) + ".otlp.pb.gz",
		winDir + "exemplars/" + id(2) + ".svg",
		winDir + "exemplars/" + id(4) + ".otlp.pb.gz",
		winDir + "exemplars/" + id(4) + ".svg",
		winDir + "index-gw-a.html",
		winDir + "servicemap-gw-a.svg",
		winDir + "summary-gw-a.json",
		"windows/2026-11-21/index.html",
		"windows/2026-11-21/index.json",
	}
	if got := files(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files\n%q\nwant\n%q", got, want)
	}
	s := readSummary(t, filepath.Join(dir, winDir, "summary-gw-a.json"))
	if s.Version != 1 || len(s.Gateways) != 1 || s.Gateways[0].ID != "gw-a" || !s.Start.Equal(winStart) || !s.End.Equal(winStart.Add(time.Minute)) ||
		s.Traces != 4 || s.ServiceMap != winDir+"servicemap-gw-a.svg" {
		t.Fatalf("summary header %+v", s)
	}
	if len(s.Services) != 2 || len(s.Edges) != 1 {
		t.Fatalf("services %+v edges %+v", s.Services, s.Edges)
	}
	db, shop := s.Services[0], s.Services[1]
	// db: one 0.8 ms span, an own error. shop: 1, 5, 3 and 2 ms, one error
	// (propagated from db, so no own error). Percentiles are HdrHistogram's
	// highest equivalent values at 2 significant figures (within 1%); the
	// merge of two gateways below gives the very same values.
	if db.Name != "db" || db.Spans != 1 || db.Errors != 1 || db.OwnErrors != 1 || db.Latency.P50Ms != 0.803 || db.Latency.P99Ms != 0.803 {
		t.Fatalf("db %+v", db)
	}
	if shop.Name != "shop" || shop.Spans != 4 || shop.Errors != 1 || shop.OwnErrors != 0 ||
		shop.Latency.P50Ms != 2.007 || shop.Latency.P90Ms != 5.023 || shop.Latency.P99Ms != 5.023 {
		t.Fatalf("shop %+v", shop)
	}
	if s.Edges[0] != (summary.Edge{From: "shop", To: "db", Calls: 1, Errors: 1, OwnErrors: 1}) {
		t.Fatalf("edge %+v", s.Edges[0])
	}
	var got []string
	for _, x := range s.Exemplars {
		line := x.TraceID[30:] + fmt.Sprintf(" %dms", x.DurationNs/ms)
		for _, r := range x.For {
			line += " " + r.Reason + ":" + r.Service + r.From + ">" + r.To
		}
		got = append(got, line)
		if x.SVG != winDir+"exemplars/"+x.TraceID+".svg" || x.Data != winDir+"exemplars/"+x.TraceID+".otlp.pb.gz" || x.RootService != "shop" || x.RootOperation != "GET /" {
			t.Errorf("exemplar %+v", x)
		}
	}
	// Trace 1 is the error culprit, the slowest and the typical trace of db
	// and of the edge; 2 the slowest of shop; 4 (2 ms) shop's typical.
	wantX := []string{
		"01 1ms error:shop>db slow:shop>db typical:shop>db error:db> slow:db> typical:db>",
		"02 5ms slow:shop>",
		"04 2ms typical:shop>",
	}
	if !slices.Equal(got, wantX) {
		t.Fatalf("exemplars\n%q\nwant\n%q", got, wantX)
	}

	// The trace data redraws the trace: gzip-compressed OTLP protobuf.
	zr, err := gzip.NewReader(bytes.NewReader(mustRead(t, filepath.Join(dir, winDir, "exemplars", id(1)+".otlp.pb.gz"))))
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := io.ReadAll(zr)
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(pb)
	if err != nil || td.SpanCount() != 2 || td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).TraceID() != tracetest.TraceID(1) {
		t.Fatalf("trace data: %d spans, %v", td.SpanCount(), err)
	}
	parseSVG(t, mustRead(t, filepath.Join(dir, winDir, "exemplars", id(1)+".svg")))

	// The map's nodes lead to their sections of the window page.
	m := string(mustRead(t, filepath.Join(dir, winDir, "servicemap-gw-a.svg")))
	if !strings.Contains(m, `<a href="index-gw-a.html#s0"><g class="n dk"><title>db`+"\n") || !strings.Contains(m, `<a href="index-gw-a.html#s1"><g class="n"><title>shop`+"\n") {
		t.Fatalf("map nodes not linked:\n%s", m)
	}
	page := string(mustRead(t, filepath.Join(dir, winDir, "index-gw-a.html")))
	for _, w := range []string{`<section id="s0"><h2>db</h2>`, `<section id="s1"><h2>shop</h2>`, `<h3>culprit of errors</h3>`,
		`<a href="exemplars/` + id(1) + `.svg">`, `<a href="exemplars/` + id(1) + `.otlp.pb.gz">data</a>`,
		`<a href="servicemap-gw-a.svg">service map</a>`, `<a href="summary-gw-a.json">`} {
		if !strings.Contains(page, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	day := readIndex(t, filepath.Join(dir, "windows/2026-11-21/index.json"))
	if len(day.Entries) != 1 || day.Entries[0].Name != "060000/index-gw-a.html" {
		t.Fatalf("day listing %+v", day.Entries)
	}
}

// TestExemplarCap: whatever the traffic, a window holds at most the cap of
// pictures, and the chooser holds a bounded number of traces meanwhile.
func TestExemplarCap(t *testing.T) {
	dir := t.TempDir()
	e := exemplarExporter(t, dir, "gw-a", func(c *Config) {
		c.Exemplars.MaxPicturesPerWindow = 5
		c.Exemplars.MaxKeys = 20
		c.Index.HTML, c.Index.JSON = false, false
	})
	ctx := context.Background()
	for i := uint64(1); i <= 300; i++ {
		svc := fmt.Sprintf("svc%02d", i%30)
		td := tracetest.Traces(tracetest.TraceID(i), tracetest.S(1, 0, svc, "op", 0, int64(i)*ms).Err())
		if err := e.pushTraces(ctx, td); err != nil {
			t.Fatal(err)
		}
		e.mu.Lock()
		held := len(e.ex.held)
		e.mu.Unlock()
		if held > 20*3 {
			t.Fatalf("holding %d traces", held)
		}
	}
	if err := e.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	pics, _ := filepath.Glob(filepath.Join(dir, winDir, "exemplars", "*.svg"))
	if len(pics) != 5 {
		t.Fatalf("%d pictures", len(pics))
	}
	s := readSummary(t, filepath.Join(dir, winDir, "summary-gw-a.json"))
	if len(s.Exemplars) != 5 || s.Traces != 300 || len(s.Services) != 30 {
		t.Fatalf("summary: %d exemplars, %d traces, %d services", len(s.Exemplars), s.Traces, len(s.Services))
	}
}

// TestTwoGatewaysOneBucket: two gateways write one bucket; their summaries
// sit side by side and merge by summing.
func TestTwoGatewaysOneBucket(t *testing.T) {
	dir := t.TempDir()
	a := exemplarExporter(t, dir, "gw-a", nil)
	b := exemplarExporter(t, dir, "gw-b", nil)
	ctx := context.Background()
	all := shopTraces()
	if err := a.pushTraces(ctx, tracesOf(all, map[pcommon.TraceID]bool{tracetest.TraceID(1): true, tracetest.TraceID(2): true})); err != nil {
		t.Fatal(err)
	}
	if err := b.pushTraces(ctx, tracesOf(all, map[pcommon.TraceID]bool{tracetest.TraceID(3): true, tracetest.TraceID(4): true})); err != nil {
		t.Fatal(err)
	}
	for _, e := range []*svgExporter{a, b} {
		if err := e.rotate(ctx, winStart.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := e.shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	sa := readSummary(t, filepath.Join(dir, winDir, "summary-gw-a.json"))
	sb := readSummary(t, filepath.Join(dir, winDir, "summary-gw-b.json"))
	m, err := summary.Merge(sa, sb)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Gateways) != 2 || m.Traces != 4 || len(m.Exemplars) != 4 || len(m.Services) != 2 {
		t.Fatalf("merged %+v", m)
	}
	shop := m.Services[1]
	if shop.Name != "shop" || shop.Spans != 4 || shop.Errors != 1 || shop.Latency.P50Ms != 2.007 || shop.Latency.P99Ms != 5.023 {
		t.Fatalf("merged shop %+v", shop)
	}
	for _, g := range []string{"gw-a", "gw-b"} {
		if _, err := os.Stat(filepath.Join(dir, winDir, "servicemap-"+g+".svg")); err != nil {
			t.Fatal(err)
		}
	}
}

// TestExemplarsRetriedAfterStorageFailure: a window settled while storage
// fails is written, whole, once storage is back.
func TestExemplarsRetriedAfterStorageFailure(t *testing.T) {
	dir := t.TempDir()
	e := exemplarExporter(t, dir, "gw-a", nil)
	ctx := context.Background()
	if err := e.pushTraces(ctx, shopTraces()); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "windows")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.rotate(ctx, winStart.Add(time.Minute)); err == nil {
		t.Fatal("rotate with storage down reported no error")
	}
	os.Remove(blocker)
	if err := e.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	pics, _ := filepath.Glob(filepath.Join(dir, winDir, "exemplars", "*"))
	s := readSummary(t, filepath.Join(dir, winDir, "summary-gw-a.json"))
	if len(pics) != 6 || len(s.Exemplars) != 3 {
		t.Fatalf("after retry: %v, %d exemplars", pics, len(s.Exemplars))
	}
}

// TestWindowPageEscapes: names from data are text on the page.
func TestWindowPageEscapes(t *testing.T) {
	dir := t.TempDir()
	e := exemplarExporter(t, dir, "gw-a", nil)
	ctx := context.Background()
	td := tracetest.Traces(tracetest.TraceID(7), tracetest.S(1, 0, `<img src=x onerror=alert(1)>`, `"><script>`, 0, ms))
	if err := e.pushTraces(ctx, td); err != nil {
		t.Fatal(err)
	}
	if err := e.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	page := string(mustRead(t, filepath.Join(dir, winDir, "index-gw-a.html")))
	if strings.Contains(page, "<img") || strings.Contains(page, "<script") || !strings.Contains(page, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Fatalf("page:\n%s", page)
	}
}

// TestChoosesByLayoutsCulprits: when layout wrote tracemap.culprit.* the
// exporter takes its word (here against what it would compute itself).
func TestChoosesByLayoutsCulprits(t *testing.T) {
	dir := t.TempDir()
	e := exemplarExporter(t, dir, "gw-a", nil)
	ctx := context.Background()
	td := tracetest.Traces(tracetest.TraceID(1),
		tracetest.S(1, 0, "shop", "GET /", 0, ms).Err(),
		tracetest.S(2, 1, "db", "query", ms/10, 9*ms/10).Err())
	root := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	root.Attributes().PutStr(culprit.AttrError, "shop")
	root.Attributes().PutStr(culprit.AttrLatency, "shop")
	root.Attributes().PutDouble(culprit.AttrLatencyShare, 0.2)
	root.Attributes().PutBool(culprit.AttrOwnError, true)
	if err := e.pushTraces(ctx, td); err != nil {
		t.Fatal(err)
	}
	if err := e.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	s := readSummary(t, filepath.Join(dir, winDir, "summary-gw-a.json"))
	var roles []string
	for _, r := range s.Exemplars[0].For {
		roles = append(roles, r.Reason+":"+r.Service+r.From+">"+r.To)
	}
	if got := strings.Join(roles, " "); got != "typical:shop>db typical:db> error:shop> slow:shop> typical:shop>" {
		t.Fatalf("roles %q", got)
	}
	if s.Services[1].Name != "shop" || s.Services[1].OwnErrors != 1 || s.Services[0].OwnErrors != 0 {
		t.Fatalf("own errors from tracemap.error.own: %+v", s.Services)
	}
}

// TestLaidOutCandidates: what the exporter reads from the layout
// processor's attributes is what it computes from the span tree without
// them, clock skew included.
func TestLaidOutCandidates(t *testing.T) {
	td := generated(t, 40)
	// db's clock is 5 ms ahead: layout moves its span into its caller.
	tracetest.Append(td, tracetest.TraceID(1<<40),
		tracetest.S(1, 0, "shop", "GET /", 0, 2*ms).Err(),
		tracetest.S(2, 1, "db", "query", 5*ms, 6*ms).Err(),
		tracetest.S(3, 1, "cache", "get", ms/2, 3*ms))
	plain := ptrace.NewTraces()
	td.CopyTo(plain)
	groups := spantree.GroupByTrace(processed(t, td, layout.NewFactory()))
	plainGroups := spantree.GroupByTrace(plain)
	skewed := 0
	for i, g := range groups {
		got, ok := laidOut(g.Refs)
		if !ok {
			t.Fatalf("trace %s: layout's attributes not read", g.TraceID)
		}
		want := candidateOf(plainGroups[i])
		if got.duration != want.duration || got.verdict.Error != want.verdict.Error || got.verdict.Latency != want.verdict.Latency ||
			got.verdict.LatencyShare != want.verdict.LatencyShare || !slices.Equal(got.verdict.Own, want.verdict.Own) {
			t.Errorf("trace %s: read %d %+v, computed %d %+v", g.TraceID, got.duration, got.verdict, want.duration, want.verdict)
		}
		if got, want := graphCounts(got.dag), graphCounts(want.dag); got != want {
			t.Errorf("trace %s: graph read\n%s\ncomputed\n%s", g.TraceID, got, want)
		}
		first, last := spantree.MaxTime, int64(0)
		for _, r := range g.Refs {
			start, end := spantree.Times(r.Span)
			first, last = min(first, start), max(last, end)
		}
		if last-first != want.duration {
			skewed++
		}
	}
	if skewed == 0 {
		t.Fatal("no trace whose duration skew correction changes")
	}
}

// graphCounts is a graph without its placement.
func graphCounts(d *servicedag.DAG) string {
	var b strings.Builder
	for _, n := range d.Nodes {
		fmt.Fprintf(&b, "%s/%s/%s/%v/%d/%d ", n.Name, n.Service, n.Operation, n.Virtual, n.Spans, n.Errors)
	}
	for _, e := range d.Edges {
		fmt.Fprintf(&b, "%d>%d/%d/%d/%d ", e.From, e.To, e.Calls, e.Errors, e.DurationNs)
	}
	return b.String()
}
