package tracecompare

import (
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/testutil/need"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

var updateDocs = flag.Bool("update-docs", false, "keep the browser test's screenshot as docs/compare-example.png")

func checkouts(t *testing.T) *Comparison {
	t.Helper()
	a, b := tracetest.TwoCheckouts()
	return Match(spantree.FromTraces(a)[0], spantree.FromTraces(b)[0])
}

// rows is the merged structure as "depth service: name A-duration B-duration".
func rows(c *Comparison) []string {
	var out []string
	dur := func(s *Side) string {
		if s == nil {
			return "-"
		}
		return fmt.Sprintf("%d@%d", s.Duration/1e6, s.Offset/1e6)
	}
	c.Walk(func(n *Node) {
		out = append(out, fmt.Sprintf("%d %s: %s %s %s", n.Depth, n.Service, n.Name, dur(n.A), dur(n.B)))
	})
	return out
}

func TestMatchByPathAndOrder(t *testing.T) {
	c := checkouts(t)
	want := []string{
		"0 frontend: GET /checkout 120@0 300@0",
		"1 frontend: cache get 2@2 -",
		"1 checkout: POST /checkout 105@5 287@3",
		"2 payment: charge 40@10 190@10",
		"2 payment: charge retry - 50@200", // after its preceding sibling in B
		"2 inventory: stock query 10@55 10@252",
		"2 inventory: stock query 10@66 5@263",
		"2 inventory: stock query 10@77 -", // the third of A's repeated siblings
	}
	if got := rows(c); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c.Matched != 5 || c.OnlyA != 2 || c.OnlyB != 1 || c.DurationA != 120e6 || c.DurationB != 300e6 {
		t.Fatalf("counts %+v", c)
	}
}

func TestScale(t *testing.T) {
	for _, tc := range []struct {
		a, b int64
		t    float64
		hex  string
		pct  string
	}{
		{100, 100, 0, "#f7f7f7", "same"},
		{100, 200, 1, "#f4a582", "+100%"},
		{100, 400, 2, "#b2182b", "+300%"},
		{100, 1600, 2, "#b2182b", "+1500%"},
		{100, 50, -1, "#92c5de", "-50%"},
		{100, 25, -2, "#2166ac", "-75%"},
		{0, 5, 2, "#b2182b", "new time"},
		{0, 0, 0, "#f7f7f7", "same"},
	} {
		if got := Change(tc.a, tc.b); got != tc.t {
			t.Errorf("Change(%d, %d) = %v, want %v", tc.a, tc.b, got, tc.t)
		}
		if got := Color(Change(tc.a, tc.b)).Hex(); got != tc.hex {
			t.Errorf("Color for %d -> %d = %s, want %s", tc.a, tc.b, got, tc.hex)
		}
		if got := percent(tc.a, tc.b); got != tc.pct {
			t.Errorf("percent(%d, %d) = %q, want %q", tc.a, tc.b, got, tc.pct)
		}
	}
	// halfway between the anchors of same and 2× slower
	if got := Color(0.5).Hex(); got != "#f6cebd" {
		t.Errorf("Color(0.5) = %s", got)
	}
}

// node is an element of the picture parsed back with encoding/xml.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Kids    []node     `xml:",any"`
}

func (n *node) attr(k string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == k {
			return a.Value
		}
	}
	return ""
}

// find returns the elements under n (depth first) named name with class cls ("" any).
func (n *node) find(name, cls string) []*node {
	var out []*node
	for i := range n.Kids {
		k := &n.Kids[i]
		if k.XMLName.Local == name && (cls == "" || k.attr("class") == cls) {
			out = append(out, k)
		}
		out = append(out, k.find(name, cls)...)
	}
	return out
}

func draw(t *testing.T, c *Comparison, l Labels) ([]byte, *node) {
	t.Helper()
	var buf bytes.Buffer
	if err := Draw(&buf, c, l); err != nil {
		t.Fatal(err)
	}
	var root node
	if err := xml.Unmarshal(buf.Bytes(), &root); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	return buf.Bytes(), &root
}

func TestPicture(t *testing.T) {
	_, svg := draw(t, checkouts(t), Labels{A: "fast.json", B: "slow.json"})
	if w, h := svg.attr("width"), svg.attr("height"); w != "1200" || h != "412" {
		t.Fatalf("size %sx%s, want 1200x412 (8 rows)", w, h)
	}
	rs := svg.find("g", "row")
	if len(rs) != 8 {
		t.Fatalf("%d rows, want 8", len(rs))
	}
	type want struct {
		label, a, b, delta string
		bBar               string // class and fill of B's bar, "" when none
		aBar               string // class of A's bar
		hatch              int
	}
	wants := []want{
		{"frontend: GET /checkout", "120ms", "300ms", "+150%", "co #df7866", "ca", 0},
		{"frontend: cache get", "2ms", "—", "only in A", "", "cx", 0},
		{"checkout: POST /checkout", "105ms", "287ms", "+173%", "co #d6655b", "ca", 0},
		{"payment: charge", "40ms", "✕ 190ms", "+375%", "co #b2182b", "ca", 0},
		{"payment: charge retry", "—", "50ms", "only in B", "cq", "", 19},
		{"inventory: stock query", "10ms", "10ms", "same", "co #f7f7f7", "ca", 0},
		{"inventory: stock query", "10ms", "5ms", "-50%", "co #92c5de", "ca", 0},
		{"inventory: stock query", "10ms", "—", "only in A", "", "cx", 0},
	}
	for i, r := range rs {
		w := wants[i]
		texts := r.find("text", "")
		// label, the A and B letters, A's number, B's number, the change
		var got []string
		for _, tx := range texts {
			got = append(got, tx.Text)
		}
		if len(got) != 6 || got[0] != w.label || got[1] != "A" || got[2] != "B" || got[3] != w.a || got[4] != w.b || got[5] != w.delta {
			t.Errorf("row %d texts %q, want %q A B %q %q %q", i, got, w.label, w.a, w.b, w.delta)
		}
		var bars []string
		for _, rc := range r.find("rect", "") {
			if rc.attr("height") == "8" {
				bars = append(bars, strings.TrimSpace(rc.attr("class")+" "+rc.attr("fill")))
			}
		}
		wantBars := []string{}
		if w.aBar != "" {
			wantBars = append(wantBars, w.aBar)
		}
		if w.bBar != "" {
			wantBars = append(wantBars, w.bBar)
		}
		if strings.Join(bars, ",") != strings.Join(wantBars, ",") {
			t.Errorf("row %d bars %q, want %q", i, bars, wantBars)
		}
		if n := len(r.find("line", "cw")); n != w.hatch {
			t.Errorf("row %d has %d hatch lines, want %d", i, n, w.hatch)
		}
	}
	// The charge retry bar: 50ms at 200ms on a 300ms axis of 540px from x=400.
	retry := rs[4].find("rect", "cq")[0]
	if x, wd := retry.attr("x"), retry.attr("width"); x != "760" || wd != "90" {
		t.Errorf("retry bar at x=%s width=%s, want 760 and 90", x, wd)
	}
	var axis []string
	for _, tx := range svg.find("text", "ax") {
		axis = append(axis, tx.Text)
	}
	if got := strings.Join(axis, " "); got != "0 50ms 100ms 150ms 200ms 250ms 300ms" {
		t.Errorf("axis %q", got)
	}
	var legend []string
	for _, tx := range svg.find("text", "lx") {
		legend = append(legend, tx.Text)
	}
	if got := strings.Join(legend, "|"); got != "4× faster|2× faster|same|2× slower|4× slower" {
		t.Errorf("legend %q", got)
	}
	var lt []string
	for _, tx := range svg.find("text", "lt") {
		lt = append(lt, tx.Text)
	}
	if got := strings.Join(lt, "|"); got != "B against A|A|B, coloured by B against A|only in A|only in B" {
		t.Errorf("legend keys %q", got)
	}
	h2 := svg.find("text", "h2")[0].Text
	if want := "A 000000000000000000000000000000a1 (fast.json) 120ms · B 000000000000000000000000000000b2 (slow.json) 300ms · B against A: +150%"; h2 != want {
		t.Errorf("subtitle %q\nwant     %q", h2, want)
	}
}

// Names from data are text, never markup.
func TestPictureEscapes(t *testing.T) {
	a, b := tracetest.TwoCheckouts()
	sp := a.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	sp.SetName(`<script>alert(1)</script>&"'`)
	b.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).SetName(sp.Name())
	c := Match(spantree.FromTraces(a)[0], spantree.FromTraces(b)[0])
	raw, svg := draw(t, c, Labels{A: "<a href=x>", B: "b\u202e.json"})
	if len(svg.find("script", "")) != 0 || len(svg.find("a", "")) != 0 || bytes.Contains(raw, []byte("\u202e")) {
		t.Fatal("data became markup or kept a bidi override")
	}
	if got := svg.find("g", "row")[0].find("text", "")[0].Text; got != `frontend: <script>alert(1)</script>&"'` {
		t.Fatalf("label %q", got)
	}
	// A long name is cut to the label column: 360 px of 6.5 px characters.
	sp.SetName(strings.Repeat("x", 200))
	b.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).SetName(sp.Name())
	c = Match(spantree.FromTraces(a)[0], spantree.FromTraces(b)[0])
	_, svg = draw(t, c, Labels{})
	if got := svg.find("g", "row")[0].find("text", "")[0].Text; got != "frontend: "+strings.Repeat("x", 45)+"…" {
		t.Errorf("long label %q", got)
	}
}

func TestPictureInBrowser(t *testing.T) {
	browser := need.Chromium(t)
	raw, svg := draw(t, checkouts(t), Labels{A: "fast.json", B: "slow.json"})
	dir := t.TempDir()
	in, out := filepath.Join(dir, "compare.svg"), filepath.Join(dir, "shot.png")
	if err := os.WriteFile(in, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+out,
		"--window-size="+svg.attr("width")+","+svg.attr("height"), "file://"+in)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	// payment's B bar, 4× slower: the scale's red end over its 342x8 px.
	red := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 == 0xb2 && g>>8 == 0x18 && bl>>8 == 0x2b {
				red++
			}
		}
	}
	if red < 340*6 {
		t.Errorf("%d pixels of #b2182b, want payment's B bar (about 340x6)", red)
	}
	if *updateDocs {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "compare-example.png"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
