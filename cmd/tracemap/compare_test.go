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
