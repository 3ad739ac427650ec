package view

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tracemap/tracemap/internal/summary"
	"github.com/tracemap/tracemap/internal/testutil/need"
)

var updateDocs = flag.Bool("update-docs", false, "write the browser test's screenshots into docs/")

// consoleErrors collects what the page reports as an error or warning:
// exceptions, console.error and the browser's own log (CSP violations).
type consoleErrors struct {
	mu   sync.Mutex
	msgs []string
}

func (c *consoleErrors) listen(ctx context.Context) {
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleWarning, chromedp.ConsoleException:
				c.mu.Lock()
				c.msgs = append(c.msgs, m.String()+" ("+m.Source+" "+m.URL+")")
				c.mu.Unlock()
			}
		}
	}()
}

func (c *consoleErrors) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		t.Errorf("browser reported: %s", m)
	}
}

func browser(t *testing.T) (context.Context, *consoleErrors) {
	t.Helper()
	exe := need.Chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1400, 1000))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // start the browser
		t.Fatal(err)
	}
	ce := &consoleErrors{}
	ce.listen(ctx)
	return ctx, ce
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if !*updateDocs {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "..", "..", "docs", name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		t.Fatalf("attribute %s of %s: %v", name, sel, err)
	}
	return v.Value
}

func poll(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestBrowserLiveMapServiceAndZoom drives the view as a person would: the
// live map changes when new traffic arrives, a node leads to its service,
// the service to a trace, and the zoom control shows the spans the
// overview could not name.
func TestBrowserLiveMapServiceAndZoom(t *testing.T) {
	f := newFixture(t, 10)
	runCtx, stop := context.WithCancel(context.Background())
	defer stop()
	go f.st.Run(runCtx, time.Hour)
	ctx, ce := browser(t)

	// 1. The live map: the first push arrives, then new traffic changes it.
	if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#status.tm-live`))); err != nil {
		t.Fatal(err)
	}
	if u := attr(t, ctx, "body", "data-live-updates"); u != "1" {
		t.Fatalf("live updates after load: %q", u)
	}
	win3 := win2.Add(time.Minute)
	f.board.Publish("gw-a", &summary.Summary{Start: win3, End: win3.Add(time.Minute), Gateways: []summary.Gateway{{ID: "gw-a"}},
		Services: []summary.Service{svc("newcomer", 7, 0, 0, 1), svc("batch", 3, 0, 0, 1)},
		Edges:    []summary.Edge{{From: "batch", To: "newcomer", Calls: 7}}})
	poll(t, ctx, "the live map did not show the new service", `document.querySelector('#map').textContent.includes('newcomer')`)
	poll(t, ctx, "the service table did not follow the live window", `document.querySelector('#services').textContent.includes('newcomer')`)
	if label := text(t, ctx, "#window-label"); !strings.Contains(label, "live") {
		t.Fatalf("window label %q does not say live", label)
	}

	// 2. Step back with the slider to the two-gateway window, and follow
	// payment's node to its page.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = document.querySelector('#window'); s.value = '0'; s.dispatchEvent(new Event('input')); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	poll(t, ctx, "the slider did not bring back window 1", `document.querySelector('#map').textContent.includes('payment')`)
	screenshot(t, ctx, "extension-map.png")
	node := chromedp.JSPath(`[...document.querySelectorAll('#map g.n')].find(g => g.querySelector('title').textContent.split('\n')[0] === 'payment')`)
	if err := chromedp.Do(ctx, chromedp.Click(node), chromedp.WaitVisible(chromedp.CSS(`h1`))); err != nil {
		t.Fatal(err)
	}
	if h1 := text(t, ctx, "h1"); h1 != "payment" {
		t.Fatalf("node click led to %q", h1)
	}
	screenshot(t, ctx, "extension-service.png")

	// 3. Open payment's error exemplar: the trace is drawn in the page.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href="/traces/`+failing.String()+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#trace svg`))); err != nil {
		t.Fatal(err)
	}

	// 4. The wide trace: zoom in with the page's own control until the
	// spans the overview binned are drawn one by one.
	hiddenName := "item-1000"
	if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/traces/"+wide.String()), chromedp.WaitVisible(chromedp.CSS(`#trace svg`))); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text(t, ctx, "#trace"), hiddenName) {
		t.Fatalf("the overview already names %s: the fixture no longer tests zooming", hiddenName)
	}
	for i := range 4 {
		before := attr(t, ctx, "body", "data-zoom-to")
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#zoom-in`))); err != nil {
			t.Fatal(err)
		}
		poll(t, ctx, "zoom step "+strconv.Itoa(i), `document.body.dataset.zoomTo !== `+strconv.Quote(before))
	}
	if zoomed := text(t, ctx, "#trace"); !strings.Contains(zoomed, hiddenName) {
		t.Fatalf("after zooming in (%s) %s is still not drawn", text(t, ctx, "#zoom-status"), hiddenName)
	}
	screenshot(t, ctx, "extension-zoom.png")
	ce.check(t)
}
