package svgrender

import (
	"bytes"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/sugiyama"
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

// FuzzRenderShape renders trees of any shape the fuzzer can describe,
// including ones no span tree builder should produce: parents after their
// children, cycles through Children, indices out of range, negative offsets,
// zero durations, and layouts with NaN or huge coordinates. Four bytes make
// a span: parent, offset, duration, flags.
func FuzzRenderShape(f *testing.F) {
	f.Add([]byte{0, 0, 200, 0, 1, 10, 50, 1, 1, 20, 30, 6, 2, 25, 5, 8, 2, 40, 5, 0x31})
	f.Add(bytes.Repeat([]byte{1, 3, 2, 0}, 300))
	f.Add(bytes.Repeat([]byte{0, 255, 0, 0xff}, 200))
	f.Fuzz(renderShape)
}

// renderShape is FuzzRenderShape's body.
func renderShape(t *testing.T, data []byte) {
	data = data[:min(len(data), 4*600)] // shapes, not sizes: keep executions fast
	n := len(data) / 4
	tr := &spantree.Tree{Start: traceStart, Duration: int64(len(data)) * 1000}
	tr.Spans = make([]spantree.Span, n)
	for i := range tr.Spans {
		b := data[4*i : 4*i+4]
		s := &tr.Spans[i]
		s.Parent = int(b[0])%(n+1) - 1
		s.Offset = (int64(b[1]) - 16) * 1000
		s.Start = traceStart + s.Offset
		s.End = s.Start + int64(b[2])*int64(b[2])*1000 - 500
		s.Service = string(rune('a' + b[3]%3))
		s.Name = string(rune('p' + b[3]>>2%3))
		s.Error = b[3]&1 != 0
		s.Critical = b[3]&2 != 0
		s.Skew = int64(b[3]&4) * 100
		s.Orphan = b[3]&8 != 0
		if s.Parent < 0 || b[3]&16 != 0 {
			tr.Roots = append(tr.Roots, i)
		} else {
			tr.Spans[s.Parent].Children = append(tr.Spans[s.Parent].Children, i)
		}
		if b[3]&32 != 0 { // a stray reference: cycle, self or out of range
			s.Children = append(s.Children, int(b[1])-8)
		}
	}
	dag := &servicedag.DAG{Nodes: []servicedag.Node{{Name: "a", X: math.NaN(), Y: 1e300, W: -5}, {Name: "b", X: 10, Y: 10}, {Name: "c", Virtual: true, X: 10, Y: 10}},
		Edges: []servicedag.Edge{{From: 0, To: 1, Calls: 3, Points: []sugiyama.Point{{X: math.Inf(1), Y: 3}}}, {From: 1, To: 1}, {From: 2, To: 0, Reversed: true}, {From: -1, To: 7}}}
	var b bytes.Buffer
	if err := RenderTrace(&b, tr, dag, shopHeat, Options{RowBudget: 20, BarBudget: 40}); err != nil {
		t.Fatal(err)
	}
	doc := checkSafe(t, b.Bytes())
	if rows := len(doc.all(class("g", "r"))); rows > 20 {
		t.Fatalf("%d rows over a budget of 20", rows)
	}
	if b.Len() > 200<<10 {
		t.Fatalf("%d bytes for %d spans", b.Len(), n)
	}
}

// The same checks on a few hundred random shapes, in every test run.
func TestRandomShapes(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		data := make([]byte, 4*rnd.IntN(400))
		for j := range data {
			data[j] = byte(rnd.IntN(256))
		}
		renderShape(t, data)
	}
}
