package svgexporter

// The window page: per window, the exemplars grouped by service (and edge)
// and by reason, with the window's figures; the service map's nodes link to
// the service's section. Written with html/template, so names from data are
// escaped text; links are only keys the exporter made (relative to the
// window's prefix).

import (
	"bytes"
	"fmt"
	"html/template"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/summary"
)

type windowPage struct {
	sum     *summary.Summary
	gateway string
	anchor  map[string]string // service name -> section id
}

func newWindowPage(sum *summary.Summary, gateway string) *windowPage {
	p := &windowPage{sum: sum, gateway: gateway, anchor: map[string]string{}}
	for j, s := range p.services() {
		p.anchor[s.Name] = fmt.Sprintf("s%d", j)
	}
	return p
}

func (p *windowPage) services() []summary.Service {
	s := slices.Clone(p.sum.Services)
	slices.SortFunc(s, func(a, b summary.Service) int { return strings.Compare(a.Name, b.Name) })
	return s
}

// nodeLink links node i of the window's map to its service's section.
func (p *windowPage) nodeLink(d *servicedag.DAG) func(int) (string, string) {
	page := path.Base(summary.IndexKey(p.sum.Start, p.gateway))
	return func(i int) (string, string) {
		if a, ok := p.anchor[d.Nodes[i].Name]; ok {
			return page, a
		}
		return "", ""
	}
}

type pageLink struct {
	Href, Data    string // relative keys
	TraceID, Root string
	Duration      string
	Spans, Errors int64
}

type pageGroup struct {
	Reason string
	Links  []pageLink
}

type pageSection struct {
	ID, Name                        string
	Virtual                         bool
	Spans, Errors, OwnErrors, Calls int64
	P50, P90, P99                   string
	Groups                          []pageGroup
}

var reasonTitles = []struct{ reason, title string }{
	{summary.ReasonError, "culprit of errors"},
	{summary.ReasonSlow, "slowest"},
	{summary.ReasonTypical, "typical"},
}

func (p *windowPage) render() ([]byte, error) {
	prefix := summary.WindowPrefix(p.sum.Start) + "/"
	rel := func(key string) string { return strings.TrimPrefix(key, prefix) }
	groups := func(match func(summary.Role) bool) []pageGroup {
		var out []pageGroup
		for _, rt := range reasonTitles {
			g := pageGroup{Reason: rt.title}
			for _, x := range p.sum.Exemplars {
				if slices.ContainsFunc(x.For, func(r summary.Role) bool { return r.Reason == rt.reason && match(r) }) {
					g.Links = append(g.Links, pageLink{
						Href: rel(x.SVG), Data: rel(x.Data), TraceID: x.TraceID,
						Root: x.RootService + ": " + x.RootOperation, Duration: time.Duration(x.DurationNs).String(),
						Spans: x.Spans, Errors: x.Errors,
					})
				}
			}
			if len(g.Links) > 0 {
				out = append(out, g)
			}
		}
		return out
	}
	var services, edges []pageSection
	for _, s := range p.services() {
		name := s.Name
		services = append(services, pageSection{
			ID: p.anchor[name], Name: name, Virtual: s.Virtual, Spans: s.Spans, Errors: s.Errors, OwnErrors: s.OwnErrors,
			P50: pageMs(s.Latency.P50Ms), P90: pageMs(s.Latency.P90Ms), P99: pageMs(s.Latency.P99Ms),
			Groups: groups(func(r summary.Role) bool { return r.Service == name }),
		})
	}
	es := slices.Clone(p.sum.Edges)
	slices.SortFunc(es, func(a, b summary.Edge) int { return strings.Compare(a.From+"\x00"+a.To, b.From+"\x00"+b.To) })
	for j, e := range es {
		from, to := e.From, e.To
		edges = append(edges, pageSection{
			ID: fmt.Sprintf("e%d", j), Name: from + " → " + to, Calls: e.Calls, Errors: e.Errors, OwnErrors: e.OwnErrors,
			Groups: groups(func(r summary.Role) bool { return r.From == from && r.To == to }),
		})
	}
	var b bytes.Buffer
	err := pageTemplate.Execute(&b, map[string]any{
		"Start": p.sum.Start.UTC().Format("2006-01-02 15:04:05"), "End": p.sum.End.UTC().Format("15:04:05"),
		"Gateway": p.gateway, "Traces": p.sum.Traces, "Exemplars": len(p.sum.Exemplars),
		"Map": rel(p.sum.ServiceMap), "Summary": rel(summary.Key(p.sum.Start, p.gateway)),
		"Services": services, "Edges": edges,
	})
	return b.Bytes(), err
}

func pageMs(v float64) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3g ms", v)
}

var pageTemplate = template.Must(template.New("window").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<title>tracemap: window {{.Start}} UTC</title>
<style>
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;font-size:14px;margin:24px;color:#222;max-width:1100px}
section{border-top:1px solid #ddd;padding:6px 0}h2{font-size:16px;margin:6px 0}h3{font-size:13px;margin:4px 0;color:#555}
.n{font-variant-numeric:tabular-nums;color:#555}.err{color:#c4161c}ul{margin:2px 0 8px;padding-left:20px}code{font-size:12px}
section:target{background:#fff8d6}
</style></head><body>
<h1>tracemap: window {{.Start}} – {{.End}} UTC</h1>
<p class="n">gateway <code>{{.Gateway}}</code> · {{.Traces}} traces · {{.Exemplars}} exemplars ·
{{if .Map}}<a href="{{.Map}}">service map</a> · {{end}}<a href="{{.Summary}}">summary (JSON)</a> · <a href="../index.html">all windows of the day</a></p>
<h2>Services</h2>
{{range .Services}}<section id="{{.ID}}"><h2>{{.Name}}{{if .Virtual}} <span class="n">(uninstrumented peer)</span>{{end}}</h2>
<p class="n">{{.Spans}} spans · <span{{if .Errors}} class="err"{{end}}>{{.Errors}} errors</span> · {{.OwnErrors}} own errors · p50 {{.P50}} · p90 {{.P90}} · p99 {{.P99}}</p>
{{template "groups" .}}</section>
{{end}}
{{if .Edges}}<h2>Calls</h2>
{{range .Edges}}<section id="{{.ID}}"><h2>{{.Name}}</h2>
<p class="n">{{.Calls}} calls · <span{{if .Errors}} class="err"{{end}}>{{.Errors}} failed</span> · {{.OwnErrors}} failed in the callee</p>
{{template "groups" .}}</section>
{{end}}{{end}}
</body></html>
{{define "groups"}}{{range .Groups}}<h3>{{.Reason}}</h3><ul>{{range .Links}}
<li><a href="{{.Href}}"><code>{{.TraceID}}</code></a> {{.Root}} · {{.Duration}} · {{.Spans}} spans{{if .Errors}} · <span class="err">{{.Errors}} errors</span>{{end}}{{if .Data}} · <a href="{{.Data}}">data</a>{{end}}</li>{{end}}
</ul>{{end}}{{end}}`))
