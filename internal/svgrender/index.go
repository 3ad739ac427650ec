package svgrender

import (
	"cmp"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tracemap/tracemap/internal/colorscale"
)

// IndexEntry is one picture listed in index.html.
type IndexEntry struct {
	// Key is the picture's object key relative to the index (for example
	// "2026/11/21/frontend/4bf9….svg"), already sanitised by the exporter.
	// RenderIndex links it only if it is a plain relative path (see
	// linkable); anything else is listed without a link.
	Key           string
	TraceID       string // empty for a service map: the key is shown instead
	RootService   string
	RootOperation string
	Start         time.Time
	Duration      time.Duration
	Spans         int
	Errors        int
}

// RenderIndex writes an HTML page listing entries newest first (by Start,
// then Key), with error count and duration. It has no script, a policy that
// forbids loading anything, and links only to relative keys.
func RenderIndex(w io.Writer, entries []IndexEntry) error {
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b IndexEntry) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	o := newOut(w)
	o.raw(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<title>tracemap: latest traces</title>
<style>
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;font-size:14px;margin:24px;color:#222}
table{border-collapse:collapse}th,td{padding:4px 10px;text-align:left;border-bottom:1px solid #e2e2e2}
th.n,td.n{text-align:right;font-variant-numeric:tabular-nums}tr.err td.e{color:#c4161c;font-weight:bold}
code{font-size:12px}.c{display:inline-block;width:.8em;height:.8em;margin-right:.35em;border-radius:2px}
` + indexColours + `</style></head><body>
<h1>tracemap: latest traces</h1>
<table><thead><tr><th>start (UTC)</th><th>trace</th><th>root</th><th class="n">duration</th><th class="n">spans</th><th class="n">errors</th></tr></thead><tbody>
`)
	// Root services keep the colour they have in the pictures.
	services := make([]string, 0, len(sorted))
	for _, e := range sorted {
		if e.RootService != "" {
			services = append(services, e.RootService)
		}
	}
	slot := serviceSlots(services)
	for _, e := range sorted {
		if e.Errors > 0 {
			o.raw(`<tr class="err">`)
		} else {
			o.raw("<tr>")
		}
		o.raw("<td>")
		o.raw(e.Start.UTC().Format("2006-01-02 15:04:05.000"))
		o.raw("</td><td>")
		name := e.TraceID // a service map has none: show its key
		if name == "" {
			name = e.Key
		}
		if linkable(e.Key) {
			// linkable admits only [A-Za-z0-9._~/-]: nothing to escape, and
			// no scheme, host or parent reference can be formed.
			o.raw(`<a href="`)
			o.raw(e.Key)
			o.raw(`"><code>`)
			o.text(name, 100)
			o.raw("</code></a>")
		} else {
			o.raw("<code>")
			o.text(name, 100)
			o.raw("</code>")
		}
		o.raw("</td><td>")
		if e.RootService != "" {
			o.raw(`<span class="c s`)
			o.i(int64(slot[e.RootService]))
			o.raw(`"></span>`)
		}
		o.text(e.RootService, maxLabel)
		if e.RootOperation != "" {
			o.raw(" · ")
			o.text(e.RootOperation, maxLabel)
		}
		o.raw(`</td><td class="n">`)
		o.raw(fmtDur(e.Duration.Nanoseconds()))
		o.raw(`</td><td class="n">`)
		o.i(int64(e.Spans))
		o.raw(`</td><td class="n e">`)
		o.i(int64(e.Errors))
		o.raw("</td></tr>\n")
	}
	o.raw("</tbody></table>\n</body></html>\n")
	return o.flush()
}

// linkable accepts a relative path of plain segments: characters
// [A-Za-z0-9._~-] separated by single slashes, no empty, "." or ".."
// segment, no leading slash, at most 1024 bytes.
func linkable(key string) bool {
	if key == "" || len(key) > 1024 {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '~' || c == '-') {
				return false
			}
		}
	}
	return true
}

// indexColours are the service palette as backgrounds (classes s0..s6).
var indexColours = func() string {
	var b strings.Builder
	for i, c := range colorscale.ServicePalette {
		b.WriteString(".s" + strconv.Itoa(i) + "{background:" + c.Hex() + "}")
	}
	return b.String() + "\n"
}()
