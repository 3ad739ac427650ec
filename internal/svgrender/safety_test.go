package svgrender

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
)

var hostile = []string{
	`</title><script>alert(1)</script>`,
	`]]><![CDATA[x`,
	`"><rect onload="alert(1)" href="javascript:alert(1)`,
	"ctl\x00\x01\x07\x1b[31m\x7f\u0085end",
	"bad\xff\xfe\xc3utf8",
	"\ufffe\uffff\U0010ffff",
	"שלום עולם · مرحبا",
	"\u202egnp.exe\u202c and \u2066isolate\u2069",
	`&amp; &lt; <!-- --> <?pi?> <!DOCTYPE x [<!ENTITY e "e">]> &e;`,
	`url(http://evil.example/x) @import "http://evil.example"`,
	strings.Repeat("A", 100<<10),
}

// hostileTrace puts a hostile string in every string the picture shows.
func hostileTrace(name string) (*spantree.Tree, *servicedag.DAG) {
	tr := shopTrace()
	for i := range tr.Spans {
		s := &tr.Spans[i]
		s.Name = name + s.Name
		if i%3 == 0 {
			s.Service = name
		}
		if s.Source.Status().Message() != "" {
			s.Source.Status().SetMessage(name)
		}
		s.Source.Attributes().PutStr("http.route", name)
	}
	dag := shopDAG()
	for i := range dag.Nodes {
		if i%2 == 0 {
			dag.Nodes[i].Name = name
		}
	}
	return tr, dag
}

// checkSafe asserts what no picture may contain, whatever its input.
func checkSafe(t testing.TB, data []byte) *elem {
	t.Helper()
	if !utf8.Valid(data) {
		t.Fatal("picture is not valid UTF-8")
	}
	doc := parse(t, data)
	allowed := map[string]bool{"svg": true, "style": true, "rect": true, "g": true, "title": true, "text": true, "tspan": true, "path": true, "#text": true}
	for _, e := range doc.all(func(*elem) bool { return true }) {
		if !allowed[e.name] {
			t.Fatalf("unexpected element <%s>", e.name)
		}
		for a, v := range e.attr {
			re, ok := attrValues[a]
			if !ok {
				t.Fatalf("attribute %s on <%s>", a, e.name)
			}
			if !re.MatchString(v) {
				t.Fatalf("attribute %s=%q on <%s>", a, v, e.name)
			}
		}
		if e.name == "#text" {
			for _, r := range e.text {
				if r < 0x20 && r != '\n' || r >= 0x7f && r <= 0x9f || r >= 0x202a && r <= 0x202e {
					t.Fatalf("control character %U in text %.40q", r, e.text)
				}
			}
		}
	}
	styles := doc.all(named("style"))
	if len(styles) != 1 || styles[0].fullText() != strings.TrimSuffix(strings.TrimPrefix(style, "<style>"), "</style>\n") {
		t.Fatal("the style sheet is not the constant one")
	}
	return doc
}

// attrValues are the only attributes a picture has, and what their values
// look like: numbers, path data, constant class names and colours, never
// anything that could name a URL, script or style.
var attrValues = map[string]*regexp.Regexp{
	"xmlns":       regexp.MustCompile(`^http://www\.w3\.org/2000/svg$`),
	"class":       regexp.MustCompile(`^[a-z0-9 ]+$`),
	"transform":   regexp.MustCompile(`^translate\(-?[0-9.]+,-?[0-9.]+\)$`),
	"fill":        regexp.MustCompile(`^#[0-9a-f]{3}([0-9a-f]{3})?$`),
	"d":           regexp.MustCompile(`^[MLVZ0-9. v-]+$`),
	"viewBox":     regexp.MustCompile(`^[0-9. ]+$`),
	"font-weight": regexp.MustCompile(`^normal$`),
	"x":           number, "y": number, "width": number, "height": number, "rx": number,
	"stroke-width": number, "fill-opacity": number,
}

var number = regexp.MustCompile(`^(-?[0-9.]+|100%)$`)

func TestHostileNames(t *testing.T) {
	for _, h := range hostile {
		tr, dag := hostileTrace(h)
		var b bytes.Buffer
		if err := RenderTrace(&b, tr, dag, shopHeat, Options{}); err != nil {
			t.Fatal(err)
		}
		doc := checkSafe(t, b.Bytes())
		if len(doc.all(class("g", "r"))) != 14 || len(doc.all(class("g", "n"))) != 7 {
			t.Errorf("%.30q: rows or nodes lost", h)
		}
		// 100 KB names are cut: the picture stays small.
		if b.Len() > 60<<10 {
			t.Errorf("%.30q: picture is %d bytes", h, b.Len())
		}
		var m bytes.Buffer
		from := time.Unix(0, 0)
		if err := RenderServiceMap(&m, dag, shopHeat, from, from.Add(time.Minute), Options{}); err != nil {
			t.Fatal(err)
		}
		checkSafe(t, m.Bytes())
	}
}

func TestAppendText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{`a<b>&"c'`, 50, "a&lt;b&gt;&amp;&quot;c&#39;"},
		{"x\x00y\x1bz\tw\n", 50, "xyz w "},
		{"bad\xffbyte", 50, "bad\ufffdbyte"},
		{"\u202eabc\u2066", 50, "abc"},
		{"שלום", 50, "\u2068שלום\u2069"},
		{"abcdef", 3, "abc…"},
		{"abc", 3, "abc"},
		{"ab\x00\x00c", 3, "abc"},
		{"\ud7ff\ue000\ufffd\ufffe", 50, "\ud7ff\ue000\ufffd"},
	} {
		if got := string(appendText(nil, tc.in, tc.max)); got != tc.want {
			t.Errorf("appendText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// FuzzRenderTrace renders traces whose names, services and attributes come
// from the fuzzer; every picture must parse and contain no active content.
func FuzzRenderTrace(f *testing.F) {
	for _, h := range hostile[:len(hostile)-1] {
		f.Add(h, "svc", uint8(3))
	}
	f.Add(strings.Repeat("\u05d0<", 5000), "\xf0\x28\x8c\x28", uint8(40))
	f.Fuzz(func(t *testing.T, name, service string, n uint8) {
		spans := []sp{{parent: -1, svc: service, name: name, dur: 1000, err: true}}
		for i := 1; i < int(n); i++ {
			spans = append(spans, sp{parent: (i - 1) / 2, svc: service + name[:len(name)*i%(len(name)+1)], name: name, off: int64(i), dur: int64(i * 7 % 1000), err: i%3 == 0, attrs: map[string]string{"url.path": name}})
		}
		tr := tree(spans...)
		dag := &servicedag.DAG{Nodes: []servicedag.Node{{Name: service, Spans: 1, X: 100, Y: 20, W: 100, H: 40}, {Name: name, Virtual: true, X: 100, Y: 120, W: 100, H: 40}},
			Edges: []servicedag.Edge{{From: 0, To: 1, Calls: int64(n)}}}
		var b bytes.Buffer
		if err := RenderTrace(&b, tr, dag, shopHeat, Options{RowBudget: 20}); err != nil {
			t.Fatal(err)
		}
		checkSafe(t, b.Bytes())
	})
}
