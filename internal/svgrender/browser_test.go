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
)

var updateDocs = flag.Bool("update-docs", false, "copy the browser test's screenshot to docs/trace-example.png")

// chromium finds the browser: $TRACEMAP_CHROMIUM, else chromium on $PATH.
func chromium(t *testing.T) string {
	if p := os.Getenv("TRACEMAP_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium is not installed (Debian package chromium): the browser rendering test needs it")
	return ""
}

// screenshot renders an SVG file in headless Chromium at its own size.
func screenshot(t *testing.T, browser, svgPath string, w, h int) image.Image {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "shot.png")
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
	if *updateDocs {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "trace-example.png"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return img
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
// and shows payment's heat colour (viridis at level 0.5, #21918c at opacity
// 0.5 over the #f4f3ef base) over a node-sized area.
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
	doc := parse(t, b.Bytes())
	svg := doc.all(named("svg"))[0]
	w, _ := strconv.Atoi(svg.attr["width"])
	h, _ := strconv.Atoi(svg.attr["height"])
	path := filepath.Join(t.TempDir(), "trace.svg")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	img := screenshot(t, browser, path, w, h)

	if got := img.Bounds().Size(); got.X != w || got.Y != h {
		t.Fatalf("screenshot is %v, want %dx%d", got, w, h)
	}
	heatR, heatG, heatB := (0x21+0xf4)/2, (0x91+0xf3)/2, (0x8c+0xef)/2
	near := func(a uint32, want int) bool { d := int(a>>8) - want; return d >= -4 && d <= 4 }
	var white, heat int
	colours := map[[3]uint32]bool{}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
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
	total := w * h
	if white > total*95/100 || len(colours) < 50 {
		t.Errorf("screenshot looks blank: %d of %d pixels white, %d colours", white, total, len(colours))
	}
	// The payment node is 150x50 px; its labels cover part of it.
	if heat < 3000 {
		t.Errorf("heat colour #%02x%02x%02x on %d pixels, want the payment node's area (>= 3000)", heatR, heatG, heatB, heat)
	}
}
