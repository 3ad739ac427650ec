package svgrender

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tracemap/tracemap/internal/colorscale"
)

func TestRenderIndex(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 5, 0, 0, 0, time.UTC)
	entries := []IndexEntry{
		{Key: "2026/11/21/api/old.svg", TraceID: "01", RootService: "api", RootOperation: "GET /", Start: t0, Duration: 1500 * time.Microsecond, Spans: 3},
		{Key: "2026/11/21/pay/new.svg", TraceID: "03", RootService: "payment", RootOperation: "charge", Start: t0.Add(2 * time.Second), Duration: 2 * time.Second, Spans: 40, Errors: 2},
		{Key: "../../etc/passwd", TraceID: "04", RootService: "x", Start: t0.Add(time.Second)},
		{Key: "javascript:alert(1)", TraceID: "05", RootService: "x", Start: t0.Add(time.Second)},
		{Key: "//evil.example/x.svg", TraceID: "06", RootService: "x", Start: t0.Add(time.Second)},
		{Key: "a/./b.svg", TraceID: "07", RootService: "x", Start: t0.Add(time.Second)},
		{Key: `a" onmouseover="alert(1).svg`, TraceID: "08", RootService: `<script>alert(1)</script>`, RootOperation: "\x00\xff", Start: t0.Add(time.Second)},
		{Key: "maps/2026-11-21T05-00.svg", Start: t0.Add(-time.Minute), Duration: time.Minute, Spans: 9000, Errors: 12},
		{Key: "2026/11/21/api/mid.svg", TraceID: "02", RootService: "api", RootOperation: "GET /", Start: t0.Add(time.Second), Duration: 40 * time.Millisecond, Spans: 7},
	}
	var b bytes.Buffer
	if err := RenderIndex(&b, entries); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if entries[0].TraceID != "01" {
		t.Fatal("RenderIndex reordered its input")
	}
	rows := regexp.MustCompile(`(?s)<tr( class="err")?><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td class="n">(.*?)</td><td class="n">(\d+)</td><td class="n e">(\d+)</td></tr>`).FindAllStringSubmatch(page, -1)
	var got []string
	for _, r := range rows {
		got = append(got, strings.Join(r[1:], " | "))
	}
	// Root services carry their picture colour (one slot per name).
	slots := colorscale.Services([]string{"api", "payment", "x", "<script>alert(1)</script>"})
	chip := func(k int) string { return `<span class="c s` + strconv.Itoa(slots[k]) + `"></span>` }
	api, pay, x, script := chip(0), chip(1), chip(2), chip(3)
	want := []string{
		` class="err" | 2026-11-21 05:00:02.000 | <a href="2026/11/21/pay/new.svg"><code>03</code></a> | ` + pay + `payment · charge | 2s | 40 | 2`,
		// Same start: ordered by key (bytewise); only the clean relative key is linked.
		` | 2026-11-21 05:00:01.000 | <code>04</code> | ` + x + `x | 0ns | 0 | 0`,
		` | 2026-11-21 05:00:01.000 | <code>06</code> | ` + x + `x | 0ns | 0 | 0`,
		` | 2026-11-21 05:00:01.000 | <a href="2026/11/21/api/mid.svg"><code>02</code></a> | ` + api + `api · GET / | 40ms | 7 | 0`,
		` | 2026-11-21 05:00:01.000 | <code>08</code> | ` + script + `&lt;script&gt;alert(1)&lt;/script&gt; · ` + "\ufffd" + ` | 0ns | 0 | 0`,
		` | 2026-11-21 05:00:01.000 | <code>07</code> | ` + x + `x | 0ns | 0 | 0`,
		` | 2026-11-21 05:00:01.000 | <code>05</code> | ` + x + `x | 0ns | 0 | 0`,
		` | 2026-11-21 05:00:00.000 | <a href="2026/11/21/api/old.svg"><code>01</code></a> | ` + api + `api · GET / | 1.5ms | 3 | 0`,
		` class="err" | 2026-11-21 04:59:00.000 | <a href="maps/2026-11-21T05-00.svg"><code>maps/2026-11-21T05-00.svg</code></a> |  | 1min | 9000 | 12`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("index rows\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(page, "<script") || strings.Count(page, "href=") != 4 || !strings.Contains(page, "default-src 'none'") {
		t.Error("index has active content, extra links or no content policy")
	}
}

func TestLinkable(t *testing.T) {
	for key, want := range map[string]bool{
		"a.svg": true, "2026/11/21/svc-a/0af7651916cd43dd8448eb211c80319c.svg": true, "x_y~z.svg.gz": true,
		"": false, "/abs.svg": false, "a//b.svg": false, "a/../b": false, "..": false, "a/.": false,
		"a b.svg": false, "a%2e.svg": false, "c:x.svg": false, "a\\b": false, "ä.svg": false,
		strings.Repeat("a", 1025): false,
	} {
		if linkable(key) != want {
			t.Errorf("linkable(%q) = %v", key, !want)
		}
	}
}
