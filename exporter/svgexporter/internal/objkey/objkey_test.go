package objkey

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	long := strings.Repeat("a", 100)
	tests := []struct{ in, want string }{
		{"checkout", "checkout"},
		{"cart-v2.internal_x", "cart-v2.internal_x"},
		{"", "_"},
		{".", "_"},
		{"..", "_."},
		{"../../etc/passwd", "_._.._etc_passwd"},
		{"a/b\\c", "a_b_c"},
		{"tab\there\nnl\x00", "tab_here_nl_"},
		{"ça va", "_a_va"},
		{"\xff\xfe", "__"},
		{"\u202eevil", "_evil"},
		{"</title><script>", "__title__script_"},
		{long, strings.Repeat("a", 51) + "-" + "2816597888e4"},
	}
	for _, tt := range tests {
		if got := Sanitize(tt.in); got != tt.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Long names with a common prefix stay distinct.
	if Sanitize(long+"x") == Sanitize(long+"y") {
		t.Error("long names sharing a prefix collapsed to one segment")
	}
}

func TestKey(t *testing.T) {
	tmpl, err := Parse("traces/{{.Year}}/{{.Month}}/{{.Day}}/{{.Service}}/{{.Hour}}{{.Minute}}{{.Second}}-{{.TraceID}}.svg")
	if err != nil {
		t.Fatal(err)
	}
	v := Values{
		TraceID: "0af7651916cd43dd8448eb211c80319c",
		Service: "../../../etc",
		Time:    time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("x", 3600)),
	}
	got, err := tmpl.Key(v)
	if err != nil {
		t.Fatal(err)
	}
	want := "traces/2026/03/04/_._.._.._etc/040607-0af7651916cd43dd8448eb211c80319c.svg"
	if got != want {
		t.Fatalf("Key = %q, want %q", got, want)
	}
	if d := Dir(got); d != "traces/2026/03/04/_._.._.._etc" {
		t.Fatalf("Dir = %q", d)
	}
	ts, _ := Parse("maps/{{.Timestamp}}.svg")
	if got, _ := ts.Key(v); got != "maps/20260304T040607Z.svg" {
		t.Fatalf("Timestamp key = %q", got)
	}
	if Dir("a.svg") != "" {
		t.Fatal("Dir of a root key is not empty")
	}
}

func TestParseRejects(t *testing.T) {
	for _, src := range []string{
		"",
		"/abs/{{.TraceID}}",
		"../{{.TraceID}}",
		"a/./{{.TraceID}}",
		"a//{{.TraceID}}",
		"a/{{.TraceID}}/",
		"a\\{{.TraceID}}",
		"{{.Nope}}",
		"{{.TraceID",
	} {
		if _, err := Parse(src); err == nil {
			t.Errorf("Parse(%q) accepted", src)
		}
	}
}

// FuzzKey checks that no data can make a key leave its prefix, break the
// template's segment structure or grow without bound.
func FuzzKey(f *testing.F) {
	for _, s := range []string{"", ".", "..", "../x", "a/b", "a\\b", "\x00\x1f\x7f", "\xff", "\u202e", strings.Repeat("é", 5000)} {
		f.Add(s, s, s)
	}
	tmpl, err := Parse("p/{{.Service}}/{{.Operation}}.{{.Service}}/{{.TraceID}}.svg")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, trace, svc, op string) {
		key, err := tmpl.Key(Values{TraceID: trace, Service: svc, Operation: op, Time: time.Unix(0, 0)})
		if err != nil {
			t.Fatalf("data produced a rejected key: %v", err)
		}
		if !strings.HasPrefix(key, "p/") || !utf8.ValidString(key) {
			t.Fatalf("key %q left the prefix", key)
		}
		segs := strings.Split(key, "/")
		if len(segs) != 4 {
			t.Fatalf("key %q has %d segments, want 4", key, len(segs))
		}
		for _, s := range segs {
			if s == "." || s == ".." || len(s) > 2*MaxSegment+1+len(".svg") {
				t.Fatalf("bad segment %q in %q", s, key)
			}
		}
		for _, s := range []string{svc, op, trace} {
			seg := Sanitize(s)
			if seg == "" || seg[0] == '.' || len(seg) > MaxSegment || strings.ContainsAny(seg, "/\\") {
				t.Fatalf("Sanitize(%q) = %q", s, seg)
			}
		}
	})
}
