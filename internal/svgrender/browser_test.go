package svgrender

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/testutil/need"
)

var updateDocs = flag.Bool("update-docs", false, "keep the browser tests' screenshots in docs/ (trace-example.png, servicemap-example.png)")

// chromium finds the browser (need.Chromium: a skip locally, a failure
// under CI when it is missing).
func chromium(t *testing.T) string { return need.Chromium(t) }

// screenshot renders an SVG in headless Chromium at the size the SVG
// declares; with -update-docs it keeps the PNG as docs/<docName>.
func screenshot(t *testing.T, browser string, svg []byte, docName string) image.Image {
	t.Helper()
	root := parse(t, svg).all(named("svg"))[0]
	w, _ := strconv.Atoi(root.attr["width"])
	h, _ := strconv.Atoi(root.attr["height"])
	dir := t.TempDir()
	svgPath, out := filepath.Join(dir, "picture.svg"), filepath.Join(dir, "shot.png")
	if err := os.WriteFile(svgPath, svg, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--screenshot="+out, "--window-size="+strconv.Itoa(w)+","+strconv.Itoa(h),
		"file://"+svgPath)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if got := img.Bounds().Size(); got.X != w || got.Y != h {
		t.Fatalf("screenshot is %v, want the SVG's %dx%d", got, w, h)
	}
	if *updateDocs {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", docName), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// checkRendered asserts a screenshot is not blank and shows payment's heat
// colour (the heat scale at level 0.5, #ee5528, for its 25% own-error
// rate) over most of a node's area (200x64 px, less its labels).
func checkRendered(t *testing.T, img image.Image) {
	t.Helper()
	heatR, heatG, heatB := 0xee, 0x55, 0x28
	near := func(a uint32, want int) bool { d := int(a>>8) - want; return d >= -4 && d <= 4 }
	var white, heat int
	colours := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 == 255 && g>>8 == 255 && bl>>8 == 255 {
				white++
			}
			if near(r, heatR) && near(g, heatG) && near(bl, heatB) {
				heat++
			}
			if len(colours) < 1000 {
				colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			}
		}
	}
	if total := b.Dx() * b.Dy(); white > total*95/100 || len(colours) < 50 {
		t.Errorf("screenshot looks blank: %d of %d pixels white, %d colours", white, total, len(colours))
	}
	if heat < 3000 {
		t.Errorf("heat colour #%02x%02x%02x on %d pixels, want a node's area (>= 3000)", heatR, heatG, heatB, heat)
	}
}

// shopTraces is shopTrace as OTLP data, one resource per service, with
// the shipping spans recorded on a clock 125ms fast (so the span tree
// corrects their skew).
func shopTraces() ptrace.Traces { return pdataOf(shopTrace()) }

// pdataOf turns a crafted tree back into OTLP data.
func pdataOf(tr *spantree.Tree) ptrace.Traces {
	td := ptrace.NewTraces()
	scopes := map[string]ptrace.SpanSlice{}
	for i := range tr.Spans {
		s := &tr.Spans[i]
		spans, ok := scopes[s.Service]
		if !ok {
			rs := td.ResourceSpans().AppendEmpty()
			rs.Resource().Attributes().PutStr("service.name", s.Service)
			spans = rs.ScopeSpans().AppendEmpty().Spans()
			scopes[s.Service] = spans
		}
		out := spans.AppendEmpty()
		s.Source.CopyTo(out)
		out.SetTraceID(tr.TraceID)
		out.SetKind(s.Kind)
		if s.Parent >= 0 {
			out.SetParentSpanID(tr.Spans[s.Parent].Source.SpanID())
		}
		shift := int64(0)
		if s.Service == "shipping" {
			shift = 125e6
		}
		out.SetStartTimestamp(pcommon.Timestamp(s.Start + shift))
		out.SetEndTimestamp(pcommon.Timestamp(s.End + shift))
	}
	return td
}

// The shop trace through the real span tree, service graph and layout,
// drawn by a real browser: the picture has the SVG's size, is not blank,
// and shows payment's heat colour over a node-sized area.
func TestBrowserRendersTrace(t *testing.T) {
	browser := chromium(t)
	trees := spantree.FromTraces(shopTraces())
	if len(trees) != 1 || len(trees[0].Spans) != 14 {
		t.Fatalf("span tree: %d trees", len(trees))
	}
	dag := servicedag.FromTree(trees[0], servicedag.Options{})
	servicedag.Layout(dag)
	var b bytes.Buffer
	if err := RenderTrace(&b, trees[0], dag, shopHeat, Options{}); err != nil {
		t.Fatal(err)
	}
	checkRendered(t, screenshot(t, browser, b.Bytes(), "trace-example.png"))
}

// The service map of a window, laid out by the real layout, in a browser.
func TestBrowserRendersServiceMap(t *testing.T) {
	browser := chromium(t)
	dag := servicedag.FromTree(spantree.FromTraces(shopTraces())[0], servicedag.Options{})
	servicedag.Layout(dag)
	from := time.Date(2026, 11, 21, 5, 40, 0, 0, time.UTC)
	var b bytes.Buffer
	if err := RenderServiceMap(&b, dag, shopHeat, from, from.Add(time.Minute), Options{}); err != nil {
		t.Fatal(err)
	}
	checkRendered(t, screenshot(t, browser, b.Bytes(), "servicemap-example.png"))
}
