package svgrender

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tracemap/tracemap/internal/culprit"
	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// nodeTexts maps each drawn node's name to its label lines.
func nodeTexts(doc *elem) map[string][]string {
	out := map[string][]string{}
	for _, n := range doc.all(class("g", "n")) {
		ts := n.texts()
		out[ts[0]] = ts
	}
	return out
}

func demoMap(t *testing.T, hf HeatFunc, opt Options) *elem {
	t.Helper()
	tr := spantree.FromTraces(tracetest.Traces(tracetest.TraceID(1), demoShop(true, 0)...))[0]
	dag := servicedag.FromTree(tr, servicedag.Options{})
	servicedag.Layout(dag)
	from := time.Date(2026, 11, 21, 5, 40, 0, 0, time.UTC)
	var b bytes.Buffer
	if err := RenderServiceMap(&b, dag, hf, from, from.Add(time.Minute), opt); err != nil {
		t.Fatal(err)
	}
	return parse(t, b.Bytes())
}

// The demo's window: payment fails 13.8% of its calls, all its own; frontend
// and checkout only pass them on. The map marks payment hot and draws
// frontend and checkout as victims, not hot, and says so in the header.
func TestServiceMapVictims(t *testing.T) {
	doc := demoMap(t, demoHeat, Options{})
	nodes := nodeTexts(doc)
	for name, want := range map[string][]string{
		"payment":  {"payment", "window: 700 spans · p99 320ms", "13.8% err · 13.8% own", "▲ hot"},
		"frontend": {"frontend", "window: 1400 spans · p99 640ms", "14.3% err · 0% own", "↑ victim of errors below"},
		"checkout": {"checkout", "window: 1370 spans · p99 610ms", "7.3% err · 0% own", "↑ victim of errors below"},
		"cart":     {"cart", "window: 1400 spans · p99 14ms", "0% err · 0% own"},
	} {
		if got := nodes[name]; !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	hot := 0
	for _, r := range doc.all(named("rect")) {
		if strings.Contains(r.attr["class"], "hot") {
			hot++
		}
	}
	if hot != 1 {
		t.Errorf("%d hot borders, want 1 (payment)", hot)
	}
	if got := doc.all(class("text", "hv"))[0].fullText(); got != "▲ hot: payment 13.8% own errors · ↑ victims (errors from below): frontend, checkout" {
		t.Errorf("header %q", got)
	}
}

// The hot verdict is heat.HotRule's, as configured: a threshold of 0 stays
// 0 (every service with an own error is hot), by errors it marks the
// victims hot too, and a service over the heatmap's cap is "not tracked".
func TestServiceMapHotRule(t *testing.T) {
	hotOf := func(doc *elem) []string {
		var out []string
		for _, n := range doc.all(class("g", "n")) {
			for _, r := range n.all(named("rect")) {
				if strings.Contains(r.attr["class"], "hot") {
					out = append(out, n.texts()[0])
				}
			}
		}
		slices.Sort(out)
		return out
	}
	zero := heat.HotRule{Threshold: 0, MinSpans: 1}
	if got := hotOf(demoMap(t, demoHeat, Options{Hot: &zero})); !slices.Equal(got, []string{"payment", "shipping"}) {
		t.Errorf("threshold 0: hot %q, want payment and shipping (0.14%% own errors)", got)
	}
	byErrors := heat.HotRule{Threshold: 0.05, MinSpans: 10, By: heat.HotByErrors}
	if got := hotOf(demoMap(t, demoHeat, Options{Hot: &byErrors})); !slices.Equal(got, []string{"checkout", "frontend", "payment"}) {
		t.Errorf("by errors: hot %q", got)
	}
	over := func(service string) (heat.Stats, bool) {
		if service == "payment" {
			return heat.Stats{Overflow: true}, true
		}
		return demoHeat(service)
	}
	doc := demoMap(t, over, Options{})
	if got := nodeTexts(doc)["payment"]; !slices.Equal(got, []string{"payment", "not tracked (over the cap)"}) {
		t.Errorf("overflowed payment: %q", got)
	}
	if got := hotOf(doc); len(got) != 0 {
		t.Errorf("hot %q with payment not tracked", got)
	}
}

// The trace picture leads with the culprit: the failed checkout names
// payment, rings it, marks its own error and the propagated ones; a verdict
// passed in is drawn as given.
func TestTraceCulprit(t *testing.T) {
	tr := spantree.FromTraces(tracetest.Traces(tracetest.TraceID(2), demoShop(true, 0)...))[0]
	dag := servicedag.FromTree(tr, servicedag.Options{})
	servicedag.Layout(dag)
	var b bytes.Buffer
	if err := RenderTrace(&b, tr, dag, demoHeat, Options{}); err != nil {
		t.Fatal(err)
	}
	doc := parse(t, b.Bytes())
	if got := doc.all(class("text", "hv"))[0].fullText(); !strings.HasPrefix(got, "✖ failed in payment · ◷ ") {
		t.Errorf("header %q", got)
	}
	nodes := nodeTexts(doc)
	for name, want := range map[string]string{"payment": "✖ failure starts here · ▲ hot", "checkout": "↑ passes an error on", "frontend": "↑ passes an error on"} {
		if got := nodes[name]; got[len(got)-1] != want {
			t.Errorf("%s verdict %q, want %q", name, got[len(got)-1], want)
		}
	}
	// A verdict from elsewhere (what layout wrote) wins.
	v := culprit.Analyze(tr)
	v.Error, v.Latency, v.LatencyShare = "cart", "shipping", 0.5
	b.Reset()
	if err := RenderTraceVerdict(&b, tr, dag, demoHeat, v, Options{}); err != nil {
		t.Fatal(err)
	}
	doc = parse(t, b.Bytes())
	if got := doc.all(class("text", "hv"))[0].fullText(); got != "✖ failed in cart · ◷ 50% of the time in shipping (self time on the critical path)" {
		t.Errorf("header with a given verdict %q", got)
	}
}

// A 99.6s trace of 8ms calls in three bursts 40s apart: the two idle
// stretches between the bursts and the one after the last are cut out of
// the axis, each marked by a break labelled with what it hides.
func TestIdleGapsCut(t *testing.T) {
	var tr *spantree.Tree
	for _, p := range demo(t) {
		if p.name == "long-trace-gaps" {
			tr = p.tree
		}
	}
	ts := newTimeScale(tr, 900)
	if len(ts.gaps) != 3 {
		t.Fatalf("%d gaps, want 3: %+v", len(ts.gaps), ts.gaps)
	}
	// The bursts end at 143ms, 40.143s and 80.143s; gaps start at the next
	// grid cell (99.6s / 4096 = 24.3ms) and end at the cell before the next
	// burst.
	cell := float64(99_600*ms) / gapGrid
	for k, want := range [][2]int64{{143 * ms, 40_000 * ms}, {40_143 * ms, 80_000 * ms}, {80_143 * ms, 99_600 * ms}} {
		g := ts.gaps[k]
		if float64(g.from-want[0]) < 0 || float64(g.from-want[0]) > cell || float64(want[1]-g.to) < 0 || float64(want[1]-g.to) > cell {
			t.Errorf("gap %d: %v..%v, want within a cell of %v..%v", k, g.from, g.to, want[0], want[1])
		}
	}
	// The busy time (about 0.5s) shares the 900px less three 28px breaks.
	if got := ts.x(tr.Duration); got < 899.9 || got > 900.1 {
		t.Errorf("trace end at x=%v, want 900", got)
	}
	_, doc := render(t, tr, nil, Options{})
	if n := len(doc.all(class("g", "brg"))); n != 3 {
		t.Errorf("%d breaks drawn, want 3", n)
	}
	var labels []string
	for _, e := range doc.all(class("text", "ax")) {
		labels = append(labels, e.fullText())
	}
	if !slices.Contains(labels, "+39.8s") || !slices.Contains(labels, "0") {
		t.Errorf("axis labels %q", labels)
	}
	// A short trace with little idle time keeps a plain axis.
	if g := newTimeScale(shopTrace(), 900).gaps; len(g) != 0 {
		t.Errorf("shop trace cut: %+v", g)
	}
}
