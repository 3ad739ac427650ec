//go:build linux && amd64

package probes

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tracemap/tracemap/internal/testutil/need"
)

// The committed BPF object and its Go bindings must be what the sources
// produce: rerun this file's go:generate line into a temporary directory
// and compare byte for byte (clang output is deterministic here).
func TestGeneratedObjectsMatchSources(t *testing.T) {
	need.Tool(t, "Debian packages clang llvm libbpf-dev", "clang")
	src, err := os.ReadFile("probes.go")
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, line := range strings.Split(string(src), "\n") {
		if rest, ok := strings.CutPrefix(line, "//go:generate go run "); ok {
			args = strings.Fields(rest)
		}
	}
	if len(args) < 2 {
		t.Fatal("no go:generate line in probes.go")
	}
	dir := t.TempDir()
	// bpf2go's own flags come before the "--" that starts clang's.
	cmdArgs := append([]string{"run", args[0], "-output-dir", dir, "-go-package", "probes"}, args[1:]...)
	cmd := exec.Command("go", cmdArgs...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bpf2go: %v\n%s", err, out)
	}
	for _, f := range []string{"bpf_x86_bpfel.o", "bpf_x86_bpfel.go"} {
		want, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date with bpf/probes.c: run `make generate`", f)
		}
	}
}
