package view

import (
	"html/template"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/svgrender"
)

// point is one window of a service's history.
type point struct {
	t time.Time
	s heat.Stats
}

// plots draws the service's calls, error rate, own-error rate and p99 over
// the windows as small line charts. Only numbers and the view's own labels
// go into them.
func plots(ps []point) []template.HTML {
	if len(ps) == 0 {
		return nil
	}
	series := []struct {
		title string
		value func(heat.Stats) float64
		unit  func(float64) string
	}{
		{"spans per window", func(s heat.Stats) float64 { return float64(s.Spans) }, func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }},
		{"error rate", func(s heat.Stats) float64 { return s.ErrorRate }, pctLabel},
		{"own-error rate", func(s heat.Stats) float64 { return s.OwnErrorRate }, pctLabel},
		{"latency p99", func(s heat.Stats) float64 { return s.P99Ms }, func(v float64) string { return svgrender.FormatDuration(int64(v * 1e6)) }},
	}
	out := make([]template.HTML, 0, len(series))
	for _, sr := range series {
		vals := make([]float64, len(ps))
		top := 0.0
		for i, p := range ps {
			v := sr.value(p.s)
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				v = 0
			}
			vals[i] = v
			top = max(top, v)
		}
		out = append(out, sparkline(sr.title, vals, top, sr.unit))
	}
	return out
}

func pctLabel(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }

func msLabel(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " ms" }

func sparkline(title string, vals []float64, top float64, unit func(float64) string) template.HTML {
	const w, h, pad = 220.0, 60.0, 4.0
	var b strings.Builder
	b.WriteString(`<svg class="tm-plot" width="240" height="96" viewBox="0 0 240 96" role="img"><title>`)
	b.WriteString(template.HTMLEscapeString(title))
	b.WriteString(`</title><text x="4" y="14">`)
	b.WriteString(template.HTMLEscapeString(title + ": " + unit(vals[len(vals)-1]) + " now, max " + unit(top)))
	b.WriteString(`</text><line class="tm-ax" x1="10" y1="86" x2="230" y2="86"/><polyline points="`)
	for i, v := range vals {
		x := 10 + w/2
		if len(vals) > 1 {
			x = 10 + float64(i)*w/float64(len(vals)-1)
		}
		y := 86 - pad
		if top > 0 {
			y = 86 - pad - v/top*(h-pad)
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatFloat(x, 'f', 1, 64))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(y, 'f', 1, 64))
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()) // numbers and our own escaped labels only
}

func fmtNs(ns int64) string { return svgrender.FormatDuration(ns) }

// pathEscape makes a service name one URL path segment; the server looks
// the name up, it never becomes a key or a file name.
func pathEscape(s string) string { return url.PathEscape(s) }
