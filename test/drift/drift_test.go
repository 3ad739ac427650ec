//go:build e2e

package drift

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/pins"
)

// generate runs ocb on the manifest without compiling, into a temporary
// directory (local replaces made absolute), and returns that directory: its
// go.mod is the module graph `make build` compiles, resolved with the
// module cache and proxy this test runs with.
func generate(t *testing.T, root, manifest string) string {
	t.Helper()
	ocb := filepath.Join(root, "bin", "builder")
	if out, err := exec.Command("make", "-C", root, "-s", "ocb").CombinedOutput(); err != nil {
		t.Fatalf("make ocb: %v\n%s", err, out)
	}
	data, err := os.ReadFile(manifest) //nolint:gosec // a manifest of this repository
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	dist, _ := m["dist"].(map[string]any)
	// ocb resolves output_path against its working directory (the
	// manifest's directory here) and local replaces against output_path.
	base := filepath.Dir(manifest)
	if p, ok := dist["output_path"].(string); ok {
		base = filepath.Join(base, p)
	}
	out := t.TempDir()
	dist["output_path"] = out
	if rs, ok := m["replaces"].([]any); ok {
		for i, r := range rs {
			from, to, found := strings.Cut(r.(string), " => ")
			if found && (strings.HasPrefix(to, ".") || strings.HasPrefix(to, "/")) {
				rs[i] = from + " => " + filepath.Join(base, to)
			}
		}
	}
	cfg, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "builder-config.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ocb, "--skip-compilation", "--config", cfgPath)
	cmd.Dir = filepath.Dir(manifest)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		t.Fatalf("ocb --skip-compilation %s: %v\n%s", manifest, err, log.Bytes())
	}
	return out
}

// Each manifest resolves to a graph on the pins, and every component comes
// from the module the manifest names.
func TestResolvedGraphOnThePins(t *testing.T) {
	root, v := setup(t)
	for _, name := range manifests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(root, name)
			m, err := pins.LoadManifest(path)
			if err != nil {
				t.Fatal(err)
			}
			g, err := pins.ListModules(generate(t, root, path))
			if err != nil {
				t.Fatal(err)
			}
			report(t, append(g.CheckImports(m), v.CheckGraph(g)...))
		})
	}
}

// The distro binary itself was built from a graph on the pins, and prints
// the version builder-config.yaml gives it.
func TestDistroBinaryOnThePins(t *testing.T) {
	root, v := setup(t)
	bin := collectortest.Binary(t)
	g, err := pins.BinaryModules(bin)
	if err != nil {
		t.Fatal(err)
	}
	if len(g) < 100 {
		t.Fatalf("go version -m %s lists %d modules; expected the collector's hundreds", bin, len(g))
	}
	report(t, v.CheckGraph(g))

	m, err := pins.LoadManifest(filepath.Join(root, "builder-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput() //nolint:gosec // the binary under test
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", bin, err, out)
	}
	if got, want := strings.TrimSpace(string(out)), m.Dist.Name+" version "+m.Dist.Version; got != want {
		t.Fatalf("--version printed %q, want %q", got, want)
	}
}
