package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/profiletest"
	"github.com/tracemap/tracemap/internal/traceio"
)

// kept is what every conversion keeps exactly: each span, its parent, its
// times, its status and its service.
func kept(td ptrace.Traces) []string {
	var out []string
	for _, rs := range td.ResourceSpans().All() {
		svc, _ := rs.Resource().Attributes().Get("service.name")
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				out = append(out, fmt.Sprintf("%s %s<-%s %s %q %d..%d %s",
					sp.TraceID(), sp.SpanID(), sp.ParentSpanID(), svc.AsString(), sp.Name(),
					sp.StartTimestamp(), sp.EndTimestamp(), sp.Status().Code()))
			}
		}
	}
	slices.Sort(out)
	return out
}

// convertible is the checkout trace (whole-microsecond times, an ERROR).
func convertible() ptrace.Traces { return checkout(nil) }

// TestConvertEveryPair converts A to B and back to A for every pair of
// formats tracemap reads, through the command.
func TestConvertEveryPair(t *testing.T) {
	formats := []traceio.Format{traceio.OTLP, traceio.OTLPProto, traceio.Jaeger, traceio.Zipkin}
	want := sorted(append(kept(convertible()), kept(other())...))
	for _, from := range formats {
		for _, to := range formats {
			t.Run(string(from)+"-"+string(to), func(t *testing.T) {
				dir := t.TempDir()
				src := writeTraces(t, dir, "in", from, convertible(), other())
				mid, back := filepath.Join(dir, "mid"), filepath.Join(dir, "back")
				for _, step := range [][]string{{"-to", string(to), "-o", mid, src}, {"-to", string(from), "-o", back, mid}} {
					if code, _, stderr := runCLI(t, append([]string{"convert"}, step...)...); code != exitOK {
						t.Fatalf("convert %v: exit %d: %s", step, code, stderr)
					}
				}
				for _, f := range []struct {
					path string
					fmt  traceio.Format
				}{{mid, to}, {back, from}} {
					td, got, err := traceio.ReadFile(f.path, "")
					if err != nil || got != f.fmt {
						t.Fatalf("%s: detected %q, %v", f.path, got, err)
					}
					if g := kept(td); !slices.Equal(g, want) {
						t.Fatalf("%s lost spans, parents, times or status:\n%s", f.path, strings.Join(g, "\n"))
					}
				}
			})
		}
	}
}

func sorted(s []string) []string { slices.Sort(s); return s }

func TestConvertMixedInputsToStdout(t *testing.T) {
	dir := t.TempDir()
	a := writeTraces(t, dir, "a.json", traceio.Jaeger, convertible())
	b := writeTraces(t, dir, "b.json", traceio.Zipkin, other())
	code, stdout, stderr := runCLI(t, "convert", "-to", "otlp", a, b)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	td, _, err := traceio.Read("stdout", []byte(stdout), traceio.OTLP)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kept(td), sorted(append(kept(convertible()), kept(other())...)); !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if lines := strings.Count(stdout, "\n"); lines != 2 {
		t.Fatalf("%d OTLP lines, want one per input batch (2)", lines)
	}
}

func TestConvertBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("[{\"traceId\": \"1\",\n \"id\": 7}]"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.json")
	if err := os.WriteFile(empty, []byte("  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := writeTraces(t, dir, "good.jsonl", traceio.OTLP, other())
	out := filepath.Join(dir, "out.json")
	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"malformed":  {[]string{"convert", "-to", "zipkin", "-o", out, good, bad}, exitInput, bad + ":2:8: field [0].id: expected a string, found a number"},
		"empty":      {[]string{"convert", "-to", "zipkin", "-o", out, empty}, exitInput, empty + ": empty input (only white space): expected trace data"},
		"no -to":     {[]string{"convert", good}, exitUsage, "-to is required"},
		"bad -to":    {[]string{"convert", "-to", "csv", good}, exitUsage, `-to: unknown output format "csv" (want otlp, otlp-proto, jaeger, zipkin)`},
		"no inputs":  {[]string{"convert", "-to", "otlp"}, exitUsage, "no input files"},
		"bad output": {[]string{"convert", "-to", "otlp", "-o", filepath.Join(dir, "nope", "x"), good}, exitRender, "no such file"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Fatalf("a failed conversion left %s", out)
			}
		})
	}
}

// A CPU profile recorded here converts, through -sample, into one trace
// whose root lasts the profile's total.
func TestConvertPprof(t *testing.T) {
	data, p := profiletest.CPU(t, 5)
	var total int64
	for _, s := range p.Sample {
		total += s.Value[1] // cpu/nanoseconds
	}
	in := filepath.Join(t.TempDir(), "cpu.pprof")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "convert", "-to", "otlp", "-sample", "cpu", in)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	td, _, err := traceio.Read("converted", []byte(stdout), traceio.OTLP)
	if err != nil {
		t.Fatal(err)
	}
	var roots []time.Duration
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				if sp.ParentSpanID().IsEmpty() {
					roots = append(roots, time.Duration(sp.EndTimestamp()-sp.StartTimestamp()))
				}
			}
		}
	}
	if len(roots) != 1 || roots[0] != time.Duration(total) {
		t.Fatalf("roots %v, want one lasting the profile's %v", roots, time.Duration(total))
	}
}
