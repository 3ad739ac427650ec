package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRenderEachFormat(t *testing.T) {
	for _, tc := range []struct {
		file, trace string
		services    []string
	}{
		{"jaeger.json", "4bf92f3577b34da6a3ce929d0e0e4736", []string{"frontend", "payment"}},
		{"zipkin.json", "0000000000000000a3ce929d0e0e4736", []string{"cart", "postgres"}},
		{"otlp.jsonl", "5b8efff798038103d269b633813fc60c", []string{"api", "db"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			out := t.TempDir()
			code, stdout, stderr := runCLI(t, "render", "-out", out, filepath.Join("..", "..", "internal", "traceio", "testdata", tc.file))
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.HasPrefix(stdout, "rendered 1 traces") {
				t.Fatalf("stdout %q", stdout)
			}
			text := collectortest.SVGText(t, filepath.Join(out, tc.trace+".svg"))
			for _, s := range tc.services {
				if !strings.Contains(text, s) {
					t.Errorf("picture does not mention %q", s)
				}
			}
			idx, err := os.ReadFile(filepath.Join(out, "index.html"))
			if err != nil || !bytes.Contains(idx, []byte(tc.trace+".svg")) {
				t.Fatalf("index.html does not list the picture: %v", err)
			}
		})
	}
}

func TestRenderBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("[{\"traceId\": \"1\",\n \"id\": 7}]"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		args []string
		code int
		want string
	}{
		"malformed":     {[]string{"render", "-out", dir, bad}, exitInput, bad + ":2: field [0].id: expected string"},
		"missing":       {[]string{"render", "-out", dir, filepath.Join(dir, "nope.json")}, exitInput, "no such file"},
		"no files":      {[]string{"render"}, exitUsage, "no input files"},
		"bad threshold": {[]string{"render", "-heatmap-threshold", "150%", bad}, exitUsage, "outside 0..100%"},
		"bad scale":     {[]string{"render", "-out", dir, "-scale", "rainbow", bad}, exitUsage, "color_scale"},
		"bad format":    {[]string{"render", "-format", "csv", bad}, exitUsage, `-format "csv"`},
		"no command":    {nil, exitUsage, "usage: tracemap render"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

func TestParseShare(t *testing.T) {
	for in, want := range map[string]float64{"5%": 0.05, "0.05": 0.05, "100%": 1, "0": 0} {
		if got, err := parseShare(in); err != nil || got != want {
			t.Errorf("parseShare(%q) = %v, %v", in, got, err)
		}
	}
}
