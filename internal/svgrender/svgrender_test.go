package svgrender

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracemap/tracemap/internal/colorscale"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
)

func render(t testing.TB, tr *spantree.Tree, dag *servicedag.DAG, opt Options) ([]byte, *elem) {
	t.Helper()
	var b bytes.Buffer
	if err := RenderTrace(&b, tr, dag, shopHeat, opt); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), parse(t, b.Bytes())
}

func TestTraceHeader(t *testing.T) {
	_, doc := render(t, shopTrace(), shopDAG(), Options{})
	texts := doc.texts()
	for _, want := range []string{
		"Trace 4bf92f3577b34da6a3ce929d0e0e4736",
		"root frontend · GET /checkout",
		"start 2026-11-21 05:44:45.123 UTC · duration 182ms · spans 14 · errors 5",
	} {
		if !slices.Contains(texts, want) {
			t.Errorf("header line %q missing; texts start %q", want, texts[:3])
		}
	}
}

func TestTraceTimeline(t *testing.T) {
	_, doc := render(t, shopTrace(), shopDAG(), Options{})
	tl := doc.all(class("g", "tl"))
	if len(tl) != 1 {
		t.Fatalf("%d timelines", len(tl))
	}
	rows := tl[0].all(class("g", "r"))
	bars := tl[0].all(class("rect", "b"))
	if len(rows) != 14 || len(bars) != 14 {
		t.Fatalf("%d rows and %d bars, want one each per span (14)", len(rows), len(bars))
	}
	count := func(cls string) int {
		n := 0
		for _, b := range bars {
			if slices.Contains(strings.Fields(b.attr["class"]), cls) {
				n++
			}
		}
		return n
	}
	// Own errors (bank's two failed charges) and propagated ones (the
	// three spans above them) are marked apart.
	if own, prop := count("bo"), count("bp"); own != 2 || prop != 3 {
		t.Errorf("%d own and %d propagated error bars, want 2 and 3", own, prop)
	}
	if got := count("bs"); got != 1 {
		t.Errorf("%d skew-corrected bars, want 1", got)
	}
	if got := len(tl[0].all(class("rect", "cp"))); got != 9 {
		t.Errorf("%d critical-path marks, want 9", got)
	}
	// Depth-first order, labels with service and name, errors flagged.
	var labels []string
	for _, r := range rows {
		labels = append(labels, r.all(named("text"))[0].fullText())
	}
	want := []string{
		"↑ frontend GET /checkout", "frontend render cart", "↑ checkout POST /checkout",
		"cart GET /cart", "cart redis GET", "inventory reserve", "inventory reserve", "inventory reserve",
		"↑ payment charge", "✖ payment POST bank.example/charge", "✖ payment POST bank.example/charge",
		"shipping quote", "shipping SELECT rates", "frontend render error page",
	}
	if !slices.Equal(labels, want) {
		t.Errorf("row labels\n got %q\nwant %q", labels, want)
	}
	// payment charge: 36ms..156ms of 182.4ms. The label column fits the
	// longest label, "✖ payment POST bank.example/charge" at depth 2
	// (302.3px), so the axis starts at x=322.3 and is 847.7px wide.
	charge := rows[8].all(class("rect", "b"))[0]
	if charge.attr["x"] != "489.6" || charge.attr["width"] != "557.7" {
		t.Errorf("payment charge bar at x=%s width=%s, want 489.6 and 557.7", charge.attr["x"], charge.attr["width"])
	}
	// Every bar has a tooltip with the span's details.
	for _, b := range bars {
		if _, ok := b.title(); !ok {
			t.Fatalf("bar %v has no tooltip", b.attr)
		}
	}
	tip, _ := rows[9].all(class("rect", "b"))[0].title()
	for _, want := range []string{
		"POST bank.example/charge\nservice: payment · kind: client\nstart +38ms · duration 55ms · self 55ms\nstatus: ERROR: card declined\nspan 000000000000000a",
		"\nhttp.response.status_code: 503", "\npeer.service: bank",
	} {
		if !strings.Contains(tip, want) {
			t.Errorf("tooltip %q lacks %q", tip, want)
		}
	}
	tip, _ = rows[11].all(class("rect", "b"))[0].title()
	if !strings.Contains(tip, "\nclock skew corrected: shifted by +3.4ms") {
		t.Errorf("skewed span tooltip %q", tip)
	}
}

func TestTicks(t *testing.T) {
	_, doc := render(t, shopTrace(), shopDAG(), Options{})
	var got []string
	for _, e := range doc.all(class("text", "ax")) {
		got = append(got, e.fullText())
	}
	if want := []string{"0", "50ms", "100ms", "150ms"}; !slices.Equal(got, want) {
		t.Errorf("tick labels %q, want %q", got, want)
	}

	for _, tc := range []struct {
		span   int64
		want   int
		step   int64
		labels string
	}{
		{800, 5, 200, "0 200ns 400ns 600ns 800ns"},
		{35_000, 7, 5_000, "0 5µs 10µs 15µs 20µs 25µs 30µs 35µs"},
		{1_200_000, 7, 200_000, "0 200µs 400µs 600µs 800µs 1000µs 1200µs"},
		{2_600_000, 7, 500_000, "0 0.5ms 1ms 1.5ms 2ms 2.5ms"},
		{3_400_000_000, 7, 500_000_000, "0 0.5s 1s 1.5s 2s 2.5s 3s"},
		{45_000_000_000, 7, 10_000_000_000, "0 10s 20s 30s 40s"},
		// Past 10s the steps fall on the clock, in one unit per axis.
		{99_600_000_000, 7, 15_000_000_000, "0 15s 30s 45s 60s 75s 90s"},
		{200_000_000_000, 7, 30_000_000_000, "0 0.5min 1min 1.5min 2min 2.5min 3min"},
		{3 * 3_600_000_000_000, 7, 1_800_000_000_000, "0 0.5h 1h 1.5h 2h 2.5h 3h"},
		{3 * 86_400_000_000_000, 7, 12 * 3_600_000_000_000, "0 0.5d 1d 1.5d 2d 2.5d 3d"},
		{40 * 86_400_000_000_000, 7, 10 * 86_400_000_000_000, "0 10d 20d 30d 40d"},
		{0, 7, 1, "0"},
	} {
		step, at := ticks(tc.span, tc.want)
		var ls []string
		for _, v := range at {
			ls = append(ls, tickLabel(v, step))
		}
		if step != tc.step || strings.Join(ls, " ") != tc.labels {
			t.Errorf("ticks(%d, %d) = %d %q, want %d %q", tc.span, tc.want, step, ls, tc.step, tc.labels)
		}
	}
}

func TestFmtDur(t *testing.T) {
	for ns, want := range map[int64]string{
		0: "0ns", 850: "850ns", 12_345: "12.3µs", 1_050_000: "1.05ms", 230_000_000: "230ms",
		999_700_000: "1s", 4_567_000_000: "4.57s", 150e9: "2.5min", 59_990_000_000: "1min",
		7_150 * 36e8: "7.15h", 25_725_825*60e9 + 24e9: "17865d", -2_000: "-2µs",
	} {
		if got := fmtDur(ns); got != want {
			t.Errorf("fmtDur(%d) = %q, want %q", ns, got, want)
		}
	}
}

func TestServiceGraph(t *testing.T) {
	_, doc := render(t, shopTrace(), shopDAG(), Options{})
	nodes := doc.all(class("g", "n"))
	if len(nodes) != 7 {
		t.Fatalf("%d nodes, want 7", len(nodes))
	}
	byName := map[string]*elem{}
	for _, n := range nodes {
		byName[n.all(class("text", "nn"))[0].fullText()] = n
	}
	fill := func(name string) string { return byName[name].all(class("rect", "nb"))[0].attr["fill"] }
	// Fill: the window's own-error rate on the heat scale (square root):
	// payment 25% -> level 0.5, checkout 1% -> 0.1, cart 0%; bank has
	// neither window statistics nor spans: white.
	scale := colorscale.Scale{}
	for _, tc := range []struct{ name, fill string }{
		{"payment", scale.At(0.5).Hex()},
		{"checkout", scale.At(0.1).Hex()},
		{"cart", scale.At(0).Hex()},
		{"bank", "#fff"},
	} {
		if f := fill(tc.name); f != tc.fill {
			t.Errorf("%s fill %q, want %q", tc.name, f, tc.fill)
		}
	}
	if scale.At(0.5).Hex() != "#ee5528" || scale.At(0).Hex() != "#f7f7f5" {
		t.Errorf("heat scale moved: %s at 0.5, %s at 0", scale.At(0.5).Hex(), scale.At(0).Hex())
	}
	border := func(name string) string {
		for _, r := range byName[name].all(named("rect")) {
			if c := r.attr["class"]; strings.HasPrefix(c, "nr") {
				return c
			}
		}
		return ""
	}
	// payment is hot by the default rule (own errors >= 5%, >= 10 spans);
	// frontend and checkout fail only through payment: victims, not hot.
	for name, want := range map[string]string{"payment": "nr hot", "checkout": "nr", "frontend": "nr", "bank": "nr nv", "cart": "nr"} {
		if got := border(name); got != want {
			t.Errorf("%s border class %q, want %q", name, got, want)
		}
	}
	// This trace's failure starts in bank (payment's calls to it fail):
	// an outer ring and the words, not only colour.
	if r := byName["bank"].all(class("rect", "ring")); len(r) != 1 {
		t.Errorf("bank has %d culprit rings, want 1", len(r))
	}
	if r := byName["payment"].all(class("rect", "ring")); len(r) != 0 {
		t.Error("payment is ringed but is not this trace's culprit")
	}
	// The service stripe, then the border, then the labels: nothing covers them.
	kids := byName["payment"].kids
	if kids[1].attr["class"] != "nb" || !strings.HasPrefix(kids[2].attr["class"], "st s") || kids[3].attr["class"] != "nr hot" || kids[len(kids)-1].name != "text" {
		t.Errorf("payment node draws %v", kids)
	}
	for name, want := range map[string][]string{
		"payment":  {"payment", "trace: 3 spans · 3 err", "window: 25% own · p99 320ms", "↑ passes an error on · ▲ hot"},
		"frontend": {"frontend", "trace: 3 spans · 1 err", "window: 0% own · p99 240ms", "↑ passes an error on"},
		"bank":     {"bank", "uninstrumented peer · 2 own err", "✖ failure starts here"},
		"cart":     {"cart", "trace: 2 spans", "window: 0% own · p99 14ms"},
	} {
		if got := byName[name].texts(); !slices.Equal(got, want) {
			t.Errorf("%s labels %q, want %q", name, got, want)
		}
	}
	tip, _ := byName["payment"].title()
	if want := "payment\n3 spans, 3 errors in this trace\nthis trace: 0 own errors (the failure starts here), 1 propagated\nwindow: 400 spans, 100 errors (25%), 100 own errors (25%)\nlatency p50 70ms, p90 160ms, p99 320ms\nhot: own-error rate ≥ 5% with ≥ 10 spans (the heatmap's rule)"; tip != want {
		t.Errorf("payment tooltip %q, want %q", tip, want)
	}
	tip, _ = byName["frontend"].title()
	if !strings.HasSuffix(tip, "\nvictim: most of its errors started in a service it called") {
		t.Errorf("frontend tooltip %q does not call it a victim", tip)
	}
	if got := doc.all(class("text", "hv"))[0].fullText(); got != "✖ failed in bank" {
		t.Errorf("header verdict %q", got)
	}

	edges := doc.all(class("g", "e"))
	if len(edges) != 6 {
		t.Fatalf("%d edges, want 6", len(edges))
	}
	widths := map[string]string{}
	for _, e := range edges {
		tip, _ := e.title()
		widths[strings.SplitN(tip, "\n", 2)[0]] = e.all(named("path"))[0].attr["stroke-width"]
		if len(e.all(class("path", "ah"))) != 1 {
			t.Errorf("edge %q has no arrow head", tip)
		}
	}
	for edge, want := range map[string]string{"checkout → inventory": "6", "payment → bank": "5.1", "frontend → checkout": "1.5"} {
		if widths[edge] != want {
			t.Errorf("%s stroke-width %q, want %q (log of calls, max 3)", edge, widths[edge], want)
		}
	}
	var labels []string
	for _, e := range doc.all(class("text", "el")) {
		labels = append(labels, e.fullText())
	}
	if want := []string{"1 call · 1 err", "1 call", "3 calls", "1 call · 1 err", "1 call", "2 calls · 2 err"}; !slices.Equal(labels, want) {
		t.Errorf("edge labels %q, want %q", labels, want)
	}
}

// An edge against the layer order (a cycle) is dashed and says so; a self
// call is a loop; edges with bad node indices are skipped.
func TestReversedAndSelfEdges(t *testing.T) {
	dag := shopDAG()
	dag.Edges = append(dag.Edges,
		servicedag.Edge{From: 4, To: 1, Calls: 1, Reversed: true},
		servicedag.Edge{From: 3, To: 3, Calls: 2},
		servicedag.Edge{From: 3, To: 99, Calls: 2},
	)
	_, doc := render(t, shopTrace(), dag, Options{})
	rev := doc.all(class("g", "e er"))
	if len(rev) != 1 {
		t.Fatalf("%d reversed edges, want 1", len(rev))
	}
	if tip, _ := rev[0].title(); !strings.Contains(tip, "against the layer order") {
		t.Errorf("reversed edge tooltip %q", tip)
	}
	if got := len(doc.all(class("g", "e"))); got != 6+1+1 {
		t.Errorf("%d edges drawn, want 8 (the bad one skipped)", got)
	}
	// checkout -> payment and payment -> checkout leave and enter their
	// boxes at different ports: they do not coincide.
	paths := map[string]string{}
	for _, e := range doc.all(class("g", "e")) {
		tip, _ := e.title()
		paths[strings.SplitN(tip, "\n", 2)[0]] = e.all(named("path"))[0].attr["d"]
	}
	var fx, fy, rx, ry, x2, y2 float64
	fmt.Sscanf(paths["checkout → payment"], "M%g %g L%g %g", &fx, &fy, &x2, &y2)
	fmt.Sscanf(paths["payment → checkout"], "M%g %g", &rx, &ry)
	if d := math.Hypot(rx-x2, ry-y2); d < 10 {
		t.Errorf("opposite edges %.1fpx apart (%q, %q), want >= 10", d, paths["checkout → payment"], paths["payment → checkout"])
	}
}

// Pictures share nothing mutable: concurrent renders (run with -race) give
// the same bytes.
func TestConcurrentRenders(t *testing.T) {
	want, _ := render(t, shopTrace(), shopDAG(), Options{})
	tr, dag := shopTrace(), shopDAG()
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b bytes.Buffer
			if err := RenderTrace(&b, tr, dag, shopHeat, Options{}); err == nil {
				got[i] = b.Bytes()
			}
		}()
	}
	wg.Wait()
	for i := range got {
		if !bytes.Equal(got[i], want) {
			t.Fatalf("concurrent render %d differs", i)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := render(t, shopTrace(), shopDAG(), Options{})
	b, _ := render(t, shopTrace(), shopDAG(), Options{})
	if !bytes.Equal(a, b) {
		t.Fatal("two renders of the same trace differ")
	}
	big := loopTrace(2000)
	a, _ = render(t, big, nil, Options{})
	b, _ = render(t, loopTrace(2000), nil, Options{})
	if !bytes.Equal(a, b) {
		t.Fatal("two renders of the same merged trace differ")
	}
}

// loopTrace is a request that loops n times over "GET /item", each doing a
// cache lookup and a query, after a login.
func loopTrace(n int) *spantree.Tree {
	spans := []sp{{parent: -1, svc: "api", name: "POST /batch", dur: int64(n)*100 + 100, crit: true}, {parent: 0, svc: "auth", name: "login", off: 1, dur: 50}}
	for i := 0; i < n; i++ {
		p := len(spans)
		off := int64(60 + i*100)
		spans = append(spans,
			sp{parent: 0, svc: "catalog", name: "GET /item", off: off, dur: 90, err: i%10 == 3, crit: i == n-1},
			sp{parent: p, svc: "catalog", name: "cache get", off: off + 1, dur: 5},
			sp{parent: p, svc: "db", name: "SELECT item", off: off + 10, dur: 70},
		)
	}
	return tree(spans...)
}

func rowLabels(doc *elem) []string {
	var out []string
	for _, r := range doc.all(class("g", "r")) {
		out = append(out, r.all(named("text"))[0].fullText())
	}
	return out
}

func TestMergeConsecutiveAndCollapse(t *testing.T) {
	_, doc := render(t, loopTrace(1000), nil, Options{RowBudget: 50})
	want := []string{"api POST /batch", "auth login", "✖ catalog GET /item ×1000", "catalog cache get ×1000", "db SELECT item ×1000"}
	if got := rowLabels(doc); !slices.Equal(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	row := doc.all(class("g", "r"))[2]
	tip, _ := row.title()
	if want := "×1000 GET /item\nservice: catalog\n1000 spans · 100 errors · 1 on the critical path\nduration min 90µs · mean 90µs · max 90µs · total 90ms\nfrom +60µs to +100ms"; tip != want {
		t.Errorf("merged tooltip %q, want %q", tip, want)
	}
	// The label column fits "✖ catalog GET /item ×1000" (216.1px), so the
	// axis starts at x=236.1 and is 933.9px wide. 1000 calls of 90µs every
	// 100µs over its 100.1ms: each call covers most of its 0.93px and
	// touches the next in 1px bins, so they bin into one bar, busy 90% of
	// its time (opacity 0.3+0.7*0.9); each of the 100 failed calls (9.3px
	// apart) has its own error tick at its bin (the second one, call 13 at
	// 1.36ms = 12.7px, in bin 12).
	if bars := row.all(class("rect", "b")); len(bars) != 1 || bars[0].attr["class"] != "b s"+strconv.Itoa(colorscale.ServiceSlot("catalog")) || bars[0].attr["fill-opacity"] != "0.93" {
		t.Errorf("merged row bars %d %v", len(bars), bars[0].attr)
	}
	if ticks := row.all(class("rect", "xm")); len(ticks) != 100 || ticks[1].attr["x"] != "248.1" {
		t.Errorf("merged row has %d error ticks, second %v", len(ticks), ticks[1].attr)
	}
	// Only the last call is on the critical path: 99.96ms..100.05ms, bins
	// 932 and 933 (clamped at the axis end, 933.9), underlined; not the
	// whole merged bar.
	if cp := row.all(class("rect", "cp")); len(cp) != 1 || cp[0].attr["x"] != "1168.1" || cp[0].attr["width"] != "1.9" {
		t.Errorf("critical marks of the merged row: %d, %v", len(cp), cp[0].attr)
	}
	if !strings.Contains(strings.Join(doc.texts(), "\n"), "3002 spans in 5 rows: repeated calls merged (×N), repeated subtrees collapsed, bars binned at 1px") {
		t.Error("timeline does not say it merged rows")
	}
	// Tall timelines repeat the tick labels under the rows.
	_, doc = render(t, loopTrace(20), nil, Options{})
	if n := len(doc.all(class("text", "ax"))); n != 2*5 {
		t.Errorf("%d tick labels on a 62-row timeline, want 5 (0 to 2ms) above and below", n)
	}
	// Under the budget, the same trace has one row per span.
	_, doc = render(t, loopTrace(10), nil, Options{RowBudget: 50})
	if got := len(rowLabels(doc)); got != 32 {
		t.Errorf("%d rows for 32 spans under budget", got)
	}
}

func TestMergeByKeyAndTruncate(t *testing.T) {
	// Alternating siblings do not merge as runs; they merge by name.
	spans := []sp{{parent: -1, svc: "api", name: "root", dur: 10_000}}
	for i := 0; i < 500; i++ {
		spans = append(spans, sp{parent: 0, svc: "a", name: "ping", off: int64(i * 20), dur: 5}, sp{parent: 0, svc: "b", name: "pong", off: int64(i*20 + 10), dur: 5})
	}
	_, doc := render(t, tree(spans...), nil, Options{RowBudget: 30})
	if got, want := rowLabels(doc), []string{"api root", "a ping ×500", "b pong ×500"}; !slices.Equal(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
	// A chain deeper than the budget keeps budget-1 rows and one row for the rest.
	spans = []sp{{parent: -1, svc: "s", name: "n0", dur: 1000}}
	for i := 1; i < 1000; i++ {
		spans = append(spans, sp{parent: i - 1, svc: "s", name: fmt.Sprint("n", i), off: int64(i), dur: 1000 - int64(i)})
	}
	_, doc = render(t, tree(spans...), nil, Options{RowBudget: 30})
	got := rowLabels(doc)
	if len(got) != 30 || got[29] != "… 971 more spans (row budget)" || got[28] != "↳28 s n28" {
		t.Errorf("%d rows, last two %q", len(got), got[len(got)-2:])
	}
}

// Spans narrower than a pixel share a bar per pixel; well separated ones
// stay apart; the bar budget widens the bins.
func TestBinning(t *testing.T) {
	spans := []sp{{parent: -1, svc: "api", name: "root", dur: 1_000_000}}
	for i := 0; i < 100; i++ { // 1ns spans every 10ms: 7.7px apart
		spans = append(spans, sp{parent: 0, svc: "w", name: "tick", off: int64(i * 10_000), dur: 0, err: i%10 == 0})
	}
	for i := 0; i < 10_000; i++ { // 10k back-to-back 50µs spans: one bar over 500ms
		spans = append(spans, sp{parent: 0, svc: "w", name: "tock", off: 500_000 + int64(i*50), dur: 50})
	}
	tr := tree(spans...)
	// 1000px wide with the narrowest label column (180px): a 770px axis
	// from x=200.
	_, doc := render(t, tr, nil, Options{RowBudget: 50, Width: 1000})
	rows := doc.all(class("g", "r"))
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	ticks := rows[1].all(class("rect", "b"))
	if len(ticks) != 100 {
		t.Errorf("tick row has %d bars, want 100", len(ticks))
	}
	// Bars of a merged row: no error outline (ticks mark failures), and
	// zero-length spans are barely busy: the lightest shade.
	if c := ticks[0].attr["class"]; c != "b s"+strconv.Itoa(colorscale.Services([]string{"api", "w"})[1]) || ticks[0].attr["fill-opacity"] != "0.3" {
		t.Errorf("first tick bar %v", ticks[0].attr)
	}
	if n := len(rows[1].all(class("rect", "xm"))); n != 10 {
		t.Errorf("%d error ticks, want 10", n)
	}
	if bars := rows[2].all(class("rect", "b")); len(bars) != 1 || bars[0].attr["x"] != "585" || bars[0].attr["width"] != "385" {
		t.Errorf("tock row bars: %d, first %v", len(bars), bars[0].attr)
	}
	// 1, 2 and 4px bins keep too many tick bars apart; in 8px bins (7.7px
	// apart) they touch and make one bar from bin 0 to bin 95.
	_, doc = render(t, tr, nil, Options{RowBudget: 50, BarBudget: 60, Width: 1000})
	rows = doc.all(class("g", "r"))
	if bars := rows[1].all(class("rect", "b")); len(bars) != 1 || bars[0].attr["x"] != "200" || bars[0].attr["width"] != "768" {
		t.Errorf("with a bar budget of 60, tick row has %d bars, first %v; want one, 768px wide", len(bars), bars[0].attr)
	}
	if !strings.Contains(strings.Join(doc.texts(), "\n"), "bars binned at 8px") {
		t.Error("binning width not stated")
	}
}

// Malformed trees draw without looping, repeating or panicking.
func TestMalformedTree(t *testing.T) {
	tr := shopTrace()
	tr.Spans[3].Children = append(tr.Spans[3].Children, 0, 3, -5, 1000) // cycle, self, out of range
	tr.Roots = append(tr.Roots, 2, 77)                                  // a root that is also a child
	tr.Spans[5].Offset = -1e9                                           // before the trace
	tr.Spans[6].End = tr.Spans[6].Start - 10                            // ends before it starts
	tr.Spans[7].Offset = 1e15                                           // far after
	tr.Spans[13].Orphan = true
	_, doc := render(t, tr, shopDAG(), Options{})
	if !slices.Contains(rowLabels(doc), "frontend render error page (orphan)") {
		t.Errorf("orphan not labelled: %q", rowLabels(doc))
	}
	if got := len(doc.all(class("g", "r"))); got != 14 {
		t.Errorf("%d rows, want each span once (14)", got)
	}
	for _, b := range doc.all(class("rect", "b")) {
		if strings.HasPrefix(b.attr["x"], "-") || strings.HasPrefix(b.attr["width"], "-") {
			t.Errorf("bar outside the axis: %v", b.attr)
		}
	}
	if err := RenderTrace(&bytes.Buffer{}, nil, nil, nil, Options{}); err == nil {
		t.Error("nil trace: no error")
	}
	// Empty trace, no DAG.
	_, doc = render(t, &spantree.Tree{}, nil, Options{})
	if !slices.Contains(doc.texts(), "no services in this trace") {
		t.Error("empty trace: no placeholder")
	}
}

// With one node per operation, heat is looked up by the node's service.
func TestOperationNodesUseServiceHeat(t *testing.T) {
	dag := shopDAG()
	dag.Nodes[4].Name, dag.Nodes[4].Service = "payment: charge", "payment"
	_, doc := render(t, shopTrace(), dag, Options{})
	n := doc.all(class("g", "n"))[4]
	if h := n.all(class("rect", "nb")); len(h) != 1 || h[0].attr["fill"] != (colorscale.Scale{}).At(0.5).Hex() {
		t.Errorf("operation node not coloured by its service's window rate: %v", n.texts())
	}
}

func TestServiceMap(t *testing.T) {
	from := time.Date(2026, 11, 21, 5, 40, 0, 0, time.UTC)
	var b bytes.Buffer
	if err := RenderServiceMap(&b, shopDAG(), shopHeat, from, from.Add(time.Minute), Options{}); err != nil {
		t.Fatal(err)
	}
	doc := parse(t, b.Bytes())
	texts := doc.texts()
	for _, want := range []string{
		"Service map", "2026-11-21 05:40:00 UTC – 2026-11-21 05:41:00 UTC · 1min window",
		"7 services · 14 spans · 9 calls between services · 4 failed",
	} {
		if !slices.Contains(texts, want) {
			t.Errorf("missing %q in %q", want, texts[:4])
		}
	}
	if n := len(doc.all(class("g", "n"))); n != 7 {
		t.Errorf("%d nodes", n)
	}
	tip, _ := doc.all(class("g", "n"))[4].title()
	if !strings.HasPrefix(tip, "payment\n3 spans, 3 errors in this window\nwindow: 400 spans") {
		t.Errorf("tooltip %q", tip)
	}
}

// A trace that names thousands of services lists 40 in the legend.
func TestServiceLegendBounded(t *testing.T) {
	spans := []sp{{parent: -1, svc: "root", name: "r", dur: 5000}}
	for i := 0; i < 5000; i++ {
		spans = append(spans, sp{parent: 0, svc: fmt.Sprintf("svc-%04d", i), name: "x", off: int64(i), dur: 1})
	}
	data, doc := render(t, tree(spans...), nil, Options{})
	if n := len(doc.all(class("rect", "sw"))) - 5 - len(doc.all(class("g", "r"))); n != 40 {
		t.Errorf("%d services in the legend, want 40", n)
	}
	if !slices.Contains(doc.texts(), "and 4961 more services") {
		t.Error("legend does not say how many services it left out")
	}
	if len(data) > 200<<10 {
		t.Errorf("%d bytes", len(data))
	}
}

// A graph of thousands of services draws the 300 with the most spans and
// the edges between them, and says so.
func TestGraphBounded(t *testing.T) {
	dag := &servicedag.DAG{}
	for i := 0; i < 2000; i++ {
		dag.Nodes = append(dag.Nodes, servicedag.Node{Name: fmt.Sprintf("s%d", i), Spans: int64(i % 1000), X: float64(i%100) * 100, Y: float64(i/100) * 80, W: 80, H: 40})
		if i > 0 {
			dag.Edges = append(dag.Edges, servicedag.Edge{From: i - 1, To: i, Calls: 1})
		}
	}
	data, doc := render(t, shopTrace(), dag, Options{})
	nodes := doc.all(class("g", "n"))
	if len(nodes) != 300 {
		t.Fatalf("%d nodes drawn, want 300", len(nodes))
	}
	// Spans run 0..999 twice: the 300 busiest have 850..999 spans.
	for _, n := range nodes {
		tip, _ := n.title()
		var spans int
		fmt.Sscanf(strings.SplitN(tip, "\n", 2)[1], "%d", &spans)
		if spans < 850 {
			t.Fatalf("node with %d spans drawn", spans)
		}
	}
	// s850..s999 and s1850..s1999 are two chains: 2*149 edges between drawn nodes.
	if n := len(doc.all(class("g", "e"))); n != 298 {
		t.Errorf("%d edges drawn, want 298", n)
	}
	if !strings.Contains(strings.Join(doc.texts(), "\n"), " · the 300 busiest of 2000 services") {
		t.Error("graph does not say it left services out")
	}
	if len(data) > 1<<20 {
		t.Errorf("%d bytes", len(data))
	}
}
