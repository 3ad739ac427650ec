package svgrender

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tracemap/tracemap/internal/testutil/need"
)

var galleryDir = flag.String("gallery", "", "write the corpus's SVGs and Chromium PNGs into this directory (make gallery)")

// geometry is what Chromium measured in a rendered picture, in CSS pixels
// of the page (the SVG is shown at its own size).
type geometry struct {
	W, H  float64
	Texts []struct {
		Box  [4]float64 // left, top, right, bottom
		Text string
	}
	Nodes [][4]float64
	Edges [][][2]float64 // sampled points of each drawn edge, 2px apart
}

// measureJS collects every non-empty <text>'s rendered box, every node
// box (the filled rect of a g.n) and points along every edge path.
const measureJS = `(() => {
  const svg = document.documentElement;
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const texts = [...document.querySelectorAll('text')].filter(t => t.textContent.trim() !== '')
    .map(t => ({Box: box(t), Text: t.textContent.slice(0, 60)}));
  const nodes = [...document.querySelectorAll('g.n > rect.nb')].map(box);
  const edges = [...document.querySelectorAll('g.e > path:not(.ah)')].map(p => {
    const m = p.getScreenCTM(), L = p.getTotalLength(), pts = [];
    for (let s = 0; s <= L; s += 2) { const q = p.getPointAtLength(s); pts.push([q.x*m.a + q.y*m.c + m.e, q.x*m.b + q.y*m.d + m.f]); }
    return pts;
  });
  return JSON.stringify({W: +svg.getAttribute('width'), H: +svg.getAttribute('height'), Texts: texts, Nodes: nodes, Edges: edges});
})()`

// browser starts one headless Chromium for the test.
func browser(t *testing.T) context.Context {
	exe := need.Chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("hide-scrollbars", true), chromedp.Flag("disable-quic", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return ctx
}

// load shows an SVG in the browser at its size and measures it; png gets
// a screenshot when asked.
func load(t *testing.T, ctx context.Context, dir string, p picture, png *[]byte) geometry {
	t.Helper()
	path := filepath.Join(dir, p.name+".svg")
	if err := os.WriteFile(path, p.svg, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path)); err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	js, err := chromedp.Run(ctx, chromedp.Evaluate[string](measureJS))
	if err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	var g geometry
	if err := json.Unmarshal([]byte(js), &g); err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
	if png != nil {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(g.W), int64(g.H))); err != nil {
			t.Fatalf("%s: viewport: %v", p.name, err)
		}
		if *png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
			t.Fatalf("%s: screenshot: %v", p.name, err)
		}
	}
	return g
}

// The corpus in a real browser: no two text boxes intersect, no text leaves
// the canvas, and no edge passes through a node box other than its own
// two. With -gallery DIR the SVGs and their screenshots are kept there.
func TestBrowserGeometry(t *testing.T) {
	ctx := browser(t)
	dir := t.TempDir()
	pictures := corpus(t)
	if *galleryDir != "" {
		writeGalleryIndex(t, pictures)
	}
	for _, p := range pictures {
		t.Run(p.name, func(t *testing.T) {
			var png []byte
			var shot *[]byte
			if *galleryDir != "" {
				shot = &png
			}
			g := load(t, ctx, dir, p, shot)
			checkGeometry(t, p, g)
			if *galleryDir != "" {
				for name, data := range map[string][]byte{p.name + ".svg": p.svg, p.name + ".png": png} {
					if err := os.WriteFile(filepath.Join(*galleryDir, name), data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}

// The header and the heat legend at every width from the narrowest up:
// the legend moves below the header where the header's lines need its
// room, and no text touches other text at any width.
func TestBrowserHeaderAtEveryWidth(t *testing.T) {
	ctx := browser(t)
	dir := t.TempDir()
	for width := 600; width <= 1300; width += 50 {
		opt := Options{Width: width}
		for _, p := range []picture{
			corpusTrace(t, "trace", demoHeat, opt, demoShop(true, 0)...),
			corpusMap(t, "map", demoHeat, opt, demoShop(true, 0)...),
		} {
			t.Run(fmt.Sprintf("%s-%d", p.name, width), func(t *testing.T) {
				checkGeometry(t, p, load(t, ctx, dir, p, nil))
			})
		}
	}
}

// slack absorbs sub-pixel rounding of glyph boxes.
const slack = 0.5

func checkGeometry(t *testing.T, p picture, g geometry) {
	t.Helper()
	if len(g.Texts) == 0 {
		t.Fatal("no text measured")
	}
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 10 {
			t.Errorf(format, args...)
		}
	}
	for i, a := range g.Texts {
		b := a.Box
		if b[0] < -slack || b[1] < -slack || b[2] > g.W+slack || b[3] > g.H+slack {
			report("text %q at %v leaves the %vx%v canvas", a.Text, b, g.W, g.H)
		}
		for _, c := range g.Texts[i+1:] {
			d := c.Box
			if min(b[2], d[2])-max(b[0], d[0]) > slack && min(b[3], d[3])-max(b[1], d[1]) > slack {
				report("text %q at %v overlaps %q at %v", a.Text, b, c.Text, d)
			}
		}
	}
	// Drawn edges in document order, with their end nodes in drawn order.
	v := p.view
	pos := make(map[int]int, len(v.shown))
	for k, i := range v.shown {
		pos[i] = k
	}
	var ends [][2]int
	for i, e := range v.dag.Edges {
		if len(v.paths[i]) >= 2 {
			ends = append(ends, [2]int{pos[e.From], pos[e.To]})
		}
	}
	if len(ends) != len(g.Edges) || len(v.shown) != len(g.Nodes) {
		t.Fatalf("browser shows %d edges and %d nodes, the view draws %d and %d", len(g.Edges), len(g.Nodes), len(ends), len(v.shown))
	}
	for k, pts := range g.Edges {
		for n, box := range g.Nodes {
			if n == ends[k][0] || n == ends[k][1] {
				continue
			}
			for _, q := range pts {
				if q[0] > box[0]+1 && q[0] < box[2]-1 && q[1] > box[1]+1 && q[1] < box[3]-1 {
					report("edge %d (%d -> %d) passes through node %d at (%.0f, %.0f)", k, ends[k][0], ends[k][1], n, q[0], q[1])
					break
				}
			}
		}
	}
	if bad > 10 {
		t.Errorf("... %d problems in all", bad)
	}
}

// galleryNotes says what each gallery picture shows.
var galleryNotes = map[string]string{
	"demo-failed-checkout":        "the demo shop's failed checkout: payment is the culprit (ring, ✖, header), checkout and frontend pass the error on (↑)",
	"demo-failed-checkout-narrow": "the same at the narrowest width (600 px): the heat legend moves below the header",
	"demo-service-map-narrow":     "the service map at 600 px: the heat legend moves below the header",
	"demo-slow-inventory":         "a slow checkout: inventory holds most of the critical path's self time (dashed ring, ◷, header)",
	"demo-service-map":            "the demo window's service map: payment hot by its own errors, frontend and checkout drawn as victims",
	"messaging-async":             "a producer and two consumers that outlive it (async: lighter bars, \"(async)\")",
	"long-trace-gaps":             "a 99.6 s trace of 8 ms calls: idle gaps cut out of the axis and marked",
	"fan-out-50":                  "one service calling fifty",
	"depth-40":                    "a chain of forty services (the label column adapts, ↳N marks depth past 16)",
	"random-dag-60":               "a random DAG over sixty services",
	"random-dag-60-map":           "the same graph as a service map",
	"cycles":                      "calls both ways and cycles below the entry: frontend, where the request came in, stays on top, and the calls back up are dashed",
	"cycles-map":                  "the same graph as a service map",
	"long-names":                  "100-character service and operation names",
	"right-to-left":               "Hebrew and Arabic names",
	"zero-length":                 "spans of zero length",
	"bars-at-edge":                "bars that end at the right edge of the axis",
}

// writeGalleryIndex writes the gallery's README listing the pictures.
func writeGalleryIndex(t *testing.T, pictures []picture) {
	var b strings.Builder
	b.WriteString("# Picture gallery\n\n")
	b.WriteString("Rendered by `make gallery` (internal/svgrender's browser geometry test with\n")
	b.WriteString("`-gallery`): each shape of the test corpus and the demo, as SVG and as the\n")
	b.WriteString("PNG headless Chromium drew. The same run asserts that no two text boxes\n")
	b.WriteString("intersect, no text leaves the canvas and no edge crosses a node it does not\n")
	b.WriteString("join. How to read the pictures: [docs/pictures.md](../pictures.md).\n\n")
	for _, p := range pictures {
		if galleryNotes[p.name] == "" {
			t.Errorf("the gallery has no note for %s", p.name)
		}
		fmt.Fprintf(&b, "## %s\n\n%s. [SVG](%s.svg)\n\n![%s](%s.png)\n\n", p.name, galleryNotes[p.name], p.name, p.name, p.name)
	}
	if err := os.WriteFile(filepath.Join(*galleryDir, "README.md"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
