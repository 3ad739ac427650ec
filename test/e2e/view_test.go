//go:build e2e

package e2e

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// viewConfig: the svg exporter drawing exemplars in 2 s windows and the
// tracemap extension serving them behind a bearer token.
const viewConfig = `
extensions:
  bearertokenauth/view:
    token: e2e-token
  tracemap:
    endpoint: {{.Port "view"}}
    bucket: file://{{.Dir}}
    poll_interval: 500ms
    auth:
      authenticator: bearertokenauth/view
receivers:
  otlp:
    protocols:
      grpc:
exporters:
  svg:
    bucket: file://{{.Dir}}
    gateway_id: e2e
    service_map:
      interval: 2s
service:
  extensions: [bearertokenauth/view, tracemap]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [svg]
`

func viewGet(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestViewThroughTheDistro: traffic in which payment fails and checkout and
// frontend only propagate reaches the view: payment hot, the others not, its
// exemplar listed and redrawn; nothing without the token.
func TestViewThroughTheDistro(t *testing.T) {
	c := collectortest.Start(t, viewConfig)
	addr, err := c.Port("view")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr
	if code, _ := viewGet(t, base+"/", ""); code != http.StatusUnauthorized {
		t.Fatalf("without the token: %d, want 401", code)
	}
	td := ptrace.NewTraces()
	for i := range 20 {
		id := tracetest.TraceID(uint64(0xabc00 + i))
		fail := i%2 == 0
		spans := []tracetest.Span{
			tracetest.S(1, 0, "frontend", "GET /checkout", 0, 10_000_000).Of(ptrace.SpanKindServer),
			tracetest.S(2, 1, "checkout", "POST /checkout", 1_000_000, 9_000_000).Of(ptrace.SpanKindServer),
			tracetest.S(3, 2, "payment", "charge", 2_000_000, 8_000_000).Of(ptrace.SpanKindServer),
		}
		if fail {
			for j := range spans {
				spans[j] = spans[j].Err()
			}
		}
		tracetest.Append(td, id, spans...)
	}
	// The exporter puts a trace in the window in which it arrives.
	c.SendGRPC(t, td)

	row := regexp.MustCompile(`<a href="/services/(\w+)">\w+</a>( <span class="tm-hot">hot</span>)?</td>\s*<td class="tm-n">(\d+)</td><td class="tm-n">(\d+)</td><td class="tm-n">(\d+)</td>`)
	var body string
	deadline := time.Now().Add(30 * time.Second)
	for {
		var code int
		code, body = viewGet(t, base+"/", "e2e-token")
		if code != 200 {
			t.Fatalf("with the token: %d\n%s", code, body)
		}
		if len(row.FindAllString(body, -1)) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the view never showed the three services:\n%s\n%s", body, c.LogTail(30))
		}
		time.Sleep(300 * time.Millisecond)
	}
	got := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(body, -1) {
		got[m[1]] = strings.Join(m[2:], "|")
	}
	want := map[string]string{
		"payment":  ` <span class="tm-hot">hot</span>|20|10|10`,
		"checkout": `|20|10|0`,
		"frontend": `|20|10|0`,
	}
	for s, w := range want {
		if got[s] != w {
			t.Errorf("%s: %q, want %q", s, got[s], w)
		}
	}

	// Once the window settles, payment's page lists an error exemplar whose
	// picture the view redraws from the stored trace data.
	link := regexp.MustCompile(`<a href="/traces/([0-9a-f]{32})">`)
	deadline = time.Now().Add(30 * time.Second)
	var id string
	for id == "" {
		_, page := viewGet(t, base+"/services/payment", "e2e-token")
		if strings.Contains(page, "culprit of errors") {
			if m := link.FindStringSubmatch(page); m != nil {
				id = m[1]
			}
		}
		if id == "" && time.Now().After(deadline) {
			t.Fatalf("payment's page never listed an error exemplar:\n%s", page)
		}
		time.Sleep(300 * time.Millisecond)
	}
	code, svg := viewGet(t, base+"/api/traces/"+id+".svg?from=0&to=5000000", "e2e-token")
	if code != 200 || !strings.Contains(svg, "<svg") || !strings.Contains(svg, "payment") {
		t.Fatalf("redraw of %s: %d", id, code)
	}
}
