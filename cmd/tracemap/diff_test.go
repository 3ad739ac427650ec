package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/tracetest"
	"github.com/tracemap/tracemap/internal/traceio"
	"github.com/tracemap/tracemap/internal/tracewrite"
)

// writeTraces writes batches as one file of format f under dir.
func writeTraces(t testing.TB, dir, name string, f traceio.Format, batches ...ptrace.Traces) string {
	t.Helper()
	p := filepath.Join(dir, name)
	file, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	w, err := tracewrite.New(file, f)
	if err != nil {
		t.Fatal(err)
	}
	for _, td := range batches {
		if err := w.Write(td); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkout is FiveServices as trace 0xc1 with whole-microsecond times.
func checkout(change func([]tracetest.Span) []tracetest.Span) ptrace.Traces {
	spans := tracetest.FiveServices()
	for i := range spans {
		spans[i].Start *= 1000
		spans[i].End *= 1000
	}
	spans[0] = spans[0].Attr("tracemap.depth", "0").Attr("http.route", "/checkout")
	if change != nil {
		spans = change(spans)
	}
	return tracetest.Traces(tracetest.TraceID(0xc1), spans...)
}

func other() ptrace.Traces {
	return tracetest.Traces(tracetest.TraceID(0xd2), tracetest.S(1, 0, "cart", "GET /cart", 0, 5000))
}

func TestDiffIdenticalAcrossFormats(t *testing.T) {
	dir := t.TempDir()
	a := writeTraces(t, dir, "a.jsonl", traceio.OTLP, checkout(nil), other())
	b := writeTraces(t, dir, "b.json", traceio.Jaeger, other(), checkout(nil))
	code, stdout, stderr := runCLI(t, "diff", a, b)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := "A  " + a + ": 8 spans in 2 traces\nB  " + b + ": 8 spans in 2 traces\n" +
		"identical: every span is on both sides with the same fields\n"
	if stdout != want {
		t.Fatalf("stdout\n%s\nwant\n%s", stdout, want)
	}
}

func TestDiffNamesTheMissingSpan(t *testing.T) {
	dir := t.TempDir()
	a := writeTraces(t, dir, "a.jsonl", traceio.OTLP, checkout(nil), other())
	b := writeTraces(t, dir, "b.json", traceio.Jaeger, checkout(func(s []tracetest.Span) []tracetest.Span {
		return append(s[:4], s[5:]...) // payment's "db query" never arrived
	}), other())
	code, stdout, _ := runCLI(t, "diff", a, b)
	if code != exitDifferent {
		t.Fatalf("exit %d\n%s", code, stdout)
	}
	want := "A  " + a + ": 8 spans in 2 traces\nB  " + b + ": 7 spans in 2 traces\n" +
		"traces only in A: 0\ntraces only in B: 0\n" +
		"spans only in A (missing in B): 1\n" +
		"  trace 000000000000000000000000000000c1 span 0000000000000005 \"db query\" (payment)\n" +
		"spans only in B (missing in A): 0\nspans that differ: 0\n"
	if stdout != want {
		t.Fatalf("stdout\n%s\nwant\n%s", stdout, want)
	}
}

func TestDiffFieldsToleranceAndIgnore(t *testing.T) {
	dir := t.TempDir()
	a := writeTraces(t, dir, "a.jsonl", traceio.OTLP, checkout(nil))
	b := writeTraces(t, dir, "b.jsonl", traceio.OTLP, checkout(func(s []tracetest.Span) []tracetest.Span {
		s[0] = s[0].Attr("tracemap.depth", "7").Attr("http.route", "/pay")
		s[2].End += 2000  // 2µs later: beyond the default 1µs
		s[3].Start += 500 // within it
		s[3].Name = "charge card"
		s[3].Error = false
		s[5].Parent = 2
		return s
	}), other())
	code, stdout, _ := runCLI(t, "diff", "-ignore", "tracemap.*", a, b)
	if code != exitDifferent {
		t.Fatalf("exit %d\n%s", code, stdout)
	}
	want := "A  " + a + ": 7 spans in 1 traces\nB  " + b + ": 8 spans in 2 traces\n" +
		"traces only in A: 0\n" +
		"traces only in B: 1\n  trace 000000000000000000000000000000d2 (1 spans, root \"cart: GET /cart\")\n" +
		"spans only in A (missing in B): 0\nspans only in B (missing in A): 0\n" +
		"spans that differ: 4\n" +
		"  trace 000000000000000000000000000000c1 span 0000000000000001 \"GET /checkout\" (frontend)\n" +
		"    attribute http.route: A \"/checkout\", B \"/pay\"\n" +
		"  trace 000000000000000000000000000000c1 span 0000000000000003 \"POST /checkout\" (checkout)\n" +
		"    end: A 2023-11-14T22:13:20.000850000Z, B 2023-11-14T22:13:20.000852000Z\n" +
		"  trace 000000000000000000000000000000c1 span 0000000000000004 \"charge\" (payment)\n" +
		"    name: A charge, B charge card\n" +
		"    status: A Error, B Unset\n" +
		"  trace 000000000000000000000000000000c1 span 0000000000000006 \"reserve\" (inventory)\n" +
		"    parent: A 0000000000000003, B 0000000000000002\n"
	if stdout != want {
		t.Fatalf("stdout\n%s\nwant\n%s", stdout, want)
	}
	code, stdout, _ = runCLI(t, "diff", "-json", "-tolerance", "5us", a, b)
	var rep struct {
		Identical     bool `json:"identical"`
		TracesOnlyInB int  `json:"traces_only_in_b"`
		SpansChanged  int  `json:"spans_changed"`
		Changed       []struct {
			SpanID string `json:"span_id"`
			Fields []struct{ Field, A, B string }
		} `json:"spans_changed_examples"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != exitDifferent {
		t.Fatalf("exit %d, %v\n%s", code, err, stdout)
	}
	// Without -ignore, tracemap.depth differs too; within 5µs the end does not.
	if rep.Identical || rep.TracesOnlyInB != 1 || rep.SpansChanged != 3 || len(rep.Changed[0].Fields) != 2 ||
		rep.Changed[0].Fields[1].Field != "attribute tracemap.depth" || rep.Changed[0].Fields[1].B != `"7"` {
		t.Fatalf("report %+v", rep)
	}
}

func TestDiffBadInput(t *testing.T) {
	dir := t.TempDir()
	a := writeTraces(t, dir, "a.jsonl", traceio.OTLP, checkout(nil))
	empty := filepath.Join(dir, "empty.json")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"one input":   {[]string{"diff", a}, exitUsage, "want two inputs, A and B; got 1"},
		"bad glob":    {[]string{"diff", "-ignore", "[", a, a}, exitUsage, `ignore pattern "["`},
		"missing":     {[]string{"diff", a, filepath.Join(dir, "nope.json")}, exitInput, "no such file"},
		"empty input": {[]string{"diff", a, empty}, exitInput, empty + ": empty input: expected trace data"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

// A file and its conversion to every format diff as identical, links,
// events, scopes and typed attributes included.
func TestDiffFileAgainstItsConversions(t *testing.T) {
	td := checkout(nil)
	rs := td.ResourceSpans().At(0)
	rs.Resource().Attributes().PutStr("host.name", "web-1")
	rs.ScopeSpans().At(0).Scope().SetName("io.opentelemetry.http")
	root := rs.ScopeSpans().At(0).Spans().At(0)
	root.Attributes().PutInt("http.response.status_code", 200)
	root.TraceState().FromRaw("vendor=1")
	l := root.Links().AppendEmpty()
	l.SetTraceID(root.TraceID())
	l.SetSpanID(tracetest.SpanID(7))
	ev := root.Events().AppendEmpty()
	ev.SetName("retry")
	ev.SetTimestamp(root.StartTimestamp() + 1000)
	ev.Attributes().PutInt("attempt", 2)
	dir := t.TempDir()
	a := writeTraces(t, dir, "a.jsonl", traceio.OTLP, td)
	for _, f := range []traceio.Format{traceio.OTLPProto, traceio.Jaeger, traceio.Zipkin} {
		b := filepath.Join(dir, string(f))
		if code, _, stderr := runCLI(t, "convert", "-to", string(f), "-o", b, a); code != exitOK {
			t.Fatalf("convert: %s", stderr)
		}
		if code, stdout, _ := runCLI(t, "diff", a, b); code != exitOK {
			t.Errorf("%s: exit %d\n%s", f, code, stdout)
		}
	}
}
