package view

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tracemap/tracemap/internal/summary"
)

func get(t *testing.T, f *fixture, path string) (*http.Response, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// wellFormed parses an SVG or XHTML fragment as XML.
func wellFormed(t *testing.T, what, doc string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", what, err)
		}
	}
}

func TestEveryResponseCarriesTheStrictPolicy(t *testing.T) {
	f := newFixture(t, 10)
	for _, p := range []string{"/", "/services/payment", "/traces/nothex", "/static/app.js", "/api/map.svg", "/nope"} {
		resp, _ := get(t, f, p)
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self';") ||
			strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: policy %q", p, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", p)
		}
	}
}

func TestMapPageMergesGatewaysAndLeadsWithTheCulprit(t *testing.T) {
	f := newFixture(t, 10)
	// The newest window is the wide trace's; ask for the two-gateway one.
	resp, body := get(t, f, "/?window="+strconv.FormatInt(win1.Unix(), 10))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if strings.Contains(body, "<script>") || strings.Count(body, "<script") != 1 {
		t.Fatalf("a page has exactly one script element, the external one")
	}
	rows := regexp.MustCompile(`<tr><td><a href="([^"]+)">([^<]+)</a>( <span class="tm-hot">hot</span>)?</td>\s*<td class="tm-n">(\d+)</td><td class="tm-n">(\d+)</td><td class="tm-n">(\d+)</td><td class="tm-n">([^<]+)</td>`).FindAllStringSubmatch(body, -1)
	if len(rows) != 4 {
		t.Fatalf("%d service rows, want 4:\n%s", len(rows), body)
	}
	// payment first (own-error rate 12%), hot; frontend and checkout only
	// propagate: 0 own errors, not hot. Counts are the two gateways' sums.
	want := [][]string{
		{"/services/payment", "payment", " <span class=\"tm-hot\">hot</span>", "150", "18", "18", "12.0%"},
	}
	for i, w := range want {
		if got := rows[i][1:]; strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("row %d: %q, want %q", i, got, w)
		}
	}
	for _, r := range rows[1:] {
		if r[3] != "" {
			t.Errorf("%s is marked hot", r[2])
		}
		if r[2] == "frontend" && (r[4] != "150" || r[5] != "15" || r[6] != "0") {
			t.Errorf("frontend: spans %s errors %s own %s, want 150 15 0", r[4], r[5], r[6])
		}
	}
	// The hostile name is text, escaped, in the table and in the map.
	if strings.Contains(body, "<img src=x") {
		t.Fatal("a service name became markup")
	}
	if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Fatal("the hostile service name is not shown as text")
	}
	if !strings.Contains(body, `href="/services/%3Cimg%20src=x%20onerror=alert%281%29%3E%2F..%2F..%2Fetc%2Fpasswd%22%27"`) {
		t.Fatal("the hostile name's link is not one escaped path segment")
	}
	svg := body[strings.Index(body, "<svg") : strings.Index(body, "</svg>")+6]
	wellFormed(t, "the inline map", svg)
}

func TestMapSVGForEveryWindowAndNoOther(t *testing.T) {
	f := newFixture(t, 10)
	for _, w := range []time.Time{win1, win2} {
		resp, body := get(t, f, "/api/map.svg?window="+strconv.FormatInt(w.Unix(), 10))
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("window %v: %d %q", w, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		wellFormed(t, "map", body)
		if !strings.Contains(body, w.UTC().Format("2006-01-02 15:04:05 UTC")) {
			t.Errorf("map of %v does not say its window", w)
		}
	}
	for _, q := range []string{"?window=1", "?window=abc", "?window=" + strings.Repeat("9", 40)} {
		if resp, _ := get(t, f, "/api/map.svg"+q); resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", q, resp.StatusCode)
		}
	}
}

func TestServicePageGroupsExemplarsByReason(t *testing.T) {
	f := newFixture(t, 10)
	resp, body := get(t, f, "/services/payment")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if !strings.Contains(body, "<h3>culprit of errors (the failure started here)</h3>") {
		t.Fatal("no culprit-of-errors group")
	}
	if !strings.Contains(body, `<a href="/traces/`+failing.String()+`">`) {
		t.Fatal("payment's error exemplar is not linked")
	}
	if n := strings.Count(body, `<svg class="tm-plot"`); n != 4 {
		t.Fatalf("%d plots, want 4 (calls, error rate, own-error rate, p99)", n)
	}
	if !strings.Contains(body, "own-error rate: 12.0% now") {
		t.Fatal("the own-error plot does not state payment's rate")
	}
	// checkout's page lists the same trace for its call to payment.
	if _, body := get(t, f, "/services/checkout"); !strings.Contains(body, "its call to payment") {
		t.Fatal("checkout's page does not list its failed call to payment")
	}
}

func TestHostileAndUnknownServiceNames(t *testing.T) {
	f := newFixture(t, 10)
	resp, body := get(t, f, "/services/"+url.PathEscape(hostile))
	if resp.StatusCode != 200 {
		t.Fatalf("the hostile but real service: %d", resp.StatusCode)
	}
	if strings.Contains(body, "<img src=x") || !strings.Contains(body, "<h1>&lt;img src=x onerror=alert(1)&gt;/../../etc/passwd&#34;&#39;</h1>") {
		t.Fatalf("hostile name not escaped:\n%s", body)
	}
	for _, p := range []string{"/services/nosuch", "/services/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/services/" + strings.Repeat("a", 5000)} {
		if resp, body := get(t, f, p); resp.StatusCode != 404 || strings.Contains(body, "passwd") {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}

func TestTracePagesValidateTheID(t *testing.T) {
	f := newFixture(t, 10)
	if resp, body := get(t, f, "/traces/"+failing.String()); resp.StatusCode != 200 || !strings.Contains(body, `data-trace="`+failing.String()+`"`) ||
		!strings.Contains(body, "error for payment") {
		t.Fatalf("trace page: %d\n%s", resp.StatusCode, body)
	}
	// Upper case is the same ID.
	if resp, _ := get(t, f, "/traces/"+strings.ToUpper(failing.String())); resp.StatusCode != 200 {
		t.Fatalf("upper-case ID: %d", resp.StatusCode)
	}
	for p, code := range map[string]int{
		"/traces/xyz": 400, "/traces/" + strings.Repeat("0", 32): 400, "/traces/" + strings.Repeat("g", 32): 400,
		"/traces/" + strings.Repeat("a", 33): 400, "/traces/" + strings.Repeat("ab", 16): 404,
		"/api/traces/xyz.svg": 400, "/api/traces/" + failing.String(): 404, "/api/traces/" + failing.String() + ".png": 404,
		"/api/traces/" + strings.Repeat("ab", 16) + ".svg": 404,
	} {
		if resp, _ := get(t, f, p); resp.StatusCode != code {
			t.Errorf("%s: %d, want %d", p, resp.StatusCode, code)
		}
	}
}

func TestTraceSVGZoomsIntoARangeAtFullDetail(t *testing.T) {
	f := newFixture(t, 10)
	base := "/api/traces/" + wide.String() + ".svg"
	resp, whole := get(t, f, base)
	if resp.StatusCode != 200 {
		t.Fatalf("whole trace: %d %s", resp.StatusCode, whole)
	}
	wellFormed(t, "whole trace", whole)
	dur := resp.Header.Get("X-Tracemap-Duration-Ns")
	if dur != strconv.Itoa(wideSpans*1_000_000) || resp.Header.Get("X-Tracemap-From-Ns") != "0" || resp.Header.Get("X-Tracemap-To-Ns") != dur {
		t.Fatalf("headers: duration %q from %q to %q", dur, resp.Header.Get("X-Tracemap-From-Ns"), resp.Header.Get("X-Tracemap-To-Ns"))
	}
	// Items 1500..1509 lie in [1500ms, 1510ms]; the overview of 2,000 rows
	// cannot name each of them, the zoomed drawing must.
	from, to := 1500*int64(time.Millisecond), 1510*int64(time.Millisecond)
	resp, zoomed := get(t, f, base+"?from="+strconv.FormatInt(from, 10)+"&to="+strconv.FormatInt(to, 10))
	if resp.StatusCode != 200 || resp.Header.Get("X-Tracemap-From-Ns") != strconv.FormatInt(from, 10) {
		t.Fatalf("zoom: %d from %q", resp.StatusCode, resp.Header.Get("X-Tracemap-From-Ns"))
	}
	wellFormed(t, "zoomed trace", zoomed)
	for i := 1500; i < 1510; i++ {
		name := "item-" + strconv.Itoa(i)
		if !strings.Contains(zoomed, name) {
			t.Errorf("zoomed drawing lacks %s", name)
		}
	}
	if strings.Contains(zoomed, "item-1400") || strings.Contains(zoomed, "item-1600") {
		t.Error("zoomed drawing shows spans outside its range")
	}
	hidden := 0
	for i := 1500; i < 1510; i++ {
		if !strings.Contains(whole, ">item-"+strconv.Itoa(i)+"<") {
			hidden++
		}
	}
	if hidden == 0 {
		t.Error("the overview already names every span of the range: the fixture no longer tests zooming")
	}
	for _, q := range []string{"?from=5", "?from=10&to=5", "?from=-1&to=5", "?from=a&to=b"} {
		if resp, _ := get(t, f, base+q); resp.StatusCode != 400 {
			t.Errorf("%s: %d, want 400", q, resp.StatusCode)
		}
	}
}

func TestSearchFindsOlderWindowsInTheBucket(t *testing.T) {
	f := newFixture(t, 1) // only the newest window is kept in memory
	if _, ok := f.st.Exemplar(failing); ok {
		t.Fatal("fixture: window 1 should not be in memory")
	}
	resp, _ := get(t, f, "/search?trace="+failing.String())
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/traces/"+failing.String() {
		t.Fatalf("search: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The picture is redrawn from the older window's data.
	resp, body := get(t, f, "/api/traces/"+failing.String()+".svg")
	if resp.StatusCode != 200 || !strings.Contains(body, "payment") {
		t.Fatalf("older trace: %d", resp.StatusCode)
	}
	for q, code := range map[string]int{"?trace=zz": 400, "?trace=" + strings.Repeat("cd", 16): 404, "": 400} {
		if resp, _ := get(t, f, "/search"+q); resp.StatusCode != code {
			t.Errorf("search %q: %d, want %d", q, resp.StatusCode, code)
		}
	}
}

func TestSummaryNamingKeysOutsideItsWindowIsNotRead(t *testing.T) {
	f := newFixture(t, 10)
	evil := time.Date(2026, 12, 1, 20, 40, 0, 0, time.UTC)
	id := "0123456789abcdef0123456789abcdef"
	putSummary(t, f.b, &summary.Summary{Gateways: []summary.Gateway{{ID: "gw-evil"}}, Start: evil, End: evil.Add(time.Minute),
		Exemplars: []summary.Exemplar{{TraceID: id, SVG: summary.WindowPrefix(win1) + "/exemplars/" + failing.String() + ".svg",
			Data: "../../etc/passwd", For: []summary.Role{{Reason: summary.ReasonError, Service: "x"}}}}})
	if err := f.st.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if resp, body := get(t, f, "/api/traces/"+id+".svg"); resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(body, "<svg") {
		t.Fatalf("a summary pointing outside its window was followed: %d", resp.StatusCode)
	}
}

func TestLivePushesNewWindowsOverTheWebSocket(t *testing.T) {
	f := newFixture(t, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go f.st.Run(ctx, time.Hour) // follows the board; no further polls needed
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(f.srv.URL, "http")+"/api/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	read := func() liveMessage {
		t.Helper()
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m liveMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := read()
	if len(m.Windows) != 2 || !strings.Contains(m.SVG, "batch") || strings.HasPrefix(m.SVG, "<?xml") {
		t.Fatalf("first message: %d windows, svg %.80q", len(m.Windows), m.SVG)
	}
	win3 := win2.Add(time.Minute)
	f.board.Publish("gw-a", &summary.Summary{Start: win3, End: win3.Add(time.Minute), Gateways: []summary.Gateway{{ID: "gw-a"}},
		Services: []summary.Service{svc("newcomer", 7, 0, 0, 1)}})
	published := time.Now()
	m = read()
	if len(m.Windows) != 3 || !m.Windows[2].Live || !strings.Contains(m.SVG, "newcomer") || !strings.Contains(m.Label, "live") {
		t.Fatalf("after publish: %d windows, label %q", len(m.Windows), m.Label)
	}
	if d := time.Since(published); d > 2*time.Second {
		t.Errorf("live update took %v, want < 2s", d)
	}
}

func TestLiveRefusesBeyondTheClientBoundAndForeignOrigins(t *testing.T) {
	f := newFixture(t, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/api/live"
	_, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://evil.example"}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: err %v", err)
	}
	var conns []*websocket.Conn
	for range 4 {
		c, _, err := websocket.Dial(ctx, wsURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if _, _, err := c.Read(ctx); err != nil {
			t.Fatal(err)
		}
	}
	_, resp, err = websocket.Dial(ctx, wsURL, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("fifth client: %v", err)
	}
	f.h.Close() // shutdown ends every live connection
	for _, c := range conns {
		_, _, err := c.Read(ctx)
		if websocket.CloseStatus(err) != websocket.StatusGoingAway && !errors.Is(err, io.EOF) {
			t.Errorf("after Close: %v", err)
		}
	}
}

// TestTenBrowsersShareOneDrawingPerWindow: ten live views see every new
// window, and each window's map is drawn once for all of them.
func TestTenBrowsersShareOneDrawingPerWindow(t *testing.T) {
	tt := componenttest.NewTelemetry()
	defer func() { _ = tt.Shutdown(context.Background()) }()
	f := newFixtureWith(t, 30, tt.NewTelemetrySettings())
	f.h.opt.MaxLiveClients = 10
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	go f.st.Run(ctx, time.Hour)
	wsURL := "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/api/live"
	const clients, windows = 10, 8
	conns := make([]*websocket.Conn, clients)
	for i := range conns {
		c, _, err := websocket.Dial(ctx, wsURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		c.SetReadLimit(8 << 20)
		conns[i] = c
	}
	last := win2
	for i := range windows {
		last = last.Add(time.Minute)
		f.board.Publish("gw-a", &summary.Summary{Start: last, End: last.Add(time.Minute), Gateways: []summary.Gateway{{ID: "gw-a"}},
			Services: []summary.Service{svc("svc-"+strconv.Itoa(i), 10, 0, 0, 1)}})
		time.Sleep(150 * time.Millisecond)
	}
	want := "svc-" + strconv.Itoa(windows-1)
	for i, c := range conns {
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("client %d: %v", i, err)
			}
			var m liveMessage
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(m.SVG, want) {
				break
			}
		}
	}
	md, err := tt.GetMetric("otelcol_extension_tracemap_render_duration")
	if err != nil {
		t.Fatal(err)
	}
	var drawn uint64
	for _, dp := range md.Data.(metricdata.Histogram[float64]).DataPoints {
		if k, _ := dp.Attributes.Value("kind"); k.AsString() == "map" {
			drawn += dp.Count
		}
	}
	// The live windows replace each other: at most one drawing each, plus
	// the fixture's newest bucket window; never one per browser.
	if drawn > windows+1 {
		t.Fatalf("%d map drawings for %d windows and %d browsers", drawn, windows, clients)
	}
}

func TestZoomedViewKeepsTheWholeTracesVerdict(t *testing.T) {
	f := newFixture(t, 10)
	// Only payment's span lies wholly in [300µs, 700µs]; the verdict is still
	// the whole trace's: the failure started in payment.
	resp, body := get(t, f, "/api/traces/"+failing.String()+".svg?from=300000&to=700000")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if !strings.Contains(body, "failed in payment") {
		t.Fatal("the zoomed picture does not name the culprit")
	}
}
