package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracemap/tracemap/internal/testutil/tracetest"
	"github.com/tracemap/tracemap/internal/traceio"
)

func TestComparePicture(t *testing.T) {
	dir := t.TempDir()
	ta, tb := tracetest.TwoCheckouts()
	fa := writeTraces(t, dir, "fast.json", traceio.Jaeger, ta)
	fb := writeTraces(t, dir, "slow.json", traceio.Zipkin, tb)
	out := filepath.Join(dir, "compare.svg")
	code, stdout, stderr := runCLI(t, "compare", "-o", out, fa, fb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "wrote " + out + ": 5 spans in both, 2 only in A, 1 only in B\n"; stdout != want {
		t.Fatalf("stdout %q, want %q", stdout, want)
	}
	svg, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// The picture itself is tested in internal/tracecompare; here, that the
	// command drew these two traces from files of two formats.
	for _, want := range []string{"fast.json", "slow.json", "charge retry", "+375%"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("picture lacks %q", want)
		}
	}
}

func TestCompareTwoTracesOfOneFile(t *testing.T) {
	dir := t.TempDir()
	ta, tb := tracetest.TwoCheckouts()
	both := writeTraces(t, dir, "both.jsonl", traceio.OTLP, ta, tb)
	one := writeTraces(t, dir, "one.jsonl", traceio.OTLP, ta)
	out := filepath.Join(dir, "c.svg")
	// a 64-bit ID is left-padded, as Jaeger and Zipkin write them
	code, stdout, stderr := runCLI(t, "compare", "-trace", "B2", "-trace", "000000000000000000000000000000a1", "-o", out, both)
	if code != exitOK || stdout != "wrote "+out+": 5 spans in both, 1 only in A, 2 only in B\n" {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"several traces": {[]string{"compare", both, both}, exitInput, both + " holds 2 traces; pick one with -trace"},
		"unknown trace":  {[]string{"compare", "-trace", "a1", "-trace", "c3", both}, exitInput, both + ": no trace 000000000000000000000000000000c3 (it holds 2 traces)"},
		"one -trace":     {[]string{"compare", "-trace", "a1", both}, exitUsage, "-trace: give two trace IDs (A, then B), got 1"},
		"bad -trace":     {[]string{"compare", "-trace", "xyz", both}, exitUsage, `"xyz" is not a trace ID (1 to 32 hex digits)`},
		"one file":       {[]string{"compare", both}, exitUsage, "one file: pick its two traces with -trace ID1 -trace ID2"},
		"three files":    {[]string{"compare", both, both, both}, exitUsage, "want one or two input files, got 3"},
		"missing":        {[]string{"compare", one, filepath.Join(dir, "nope")}, exitInput, "no such file"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}
