// Package drift checks that tracemap is built from the release versions in
// versions.mk and nothing else: the manifests, go.mod, test/operator's
// go.mod and the Makefile (this file, unit tier), and the module graph each
// manifest resolves to and the built distro (drift_test.go, e2e tier).
package drift

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/pins"
)

// manifests are the ocb manifests the build and the tests compile.
var manifests = []string{"builder-config.yaml", filepath.Join("test", "chain", "builder-config.yaml")}

func setup(t *testing.T) (string, pins.Versions) {
	t.Helper()
	root, err := collectortest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	v, err := pins.LoadVersions(root)
	if err != nil {
		t.Fatal(err)
	}
	return root, v
}

func report(t *testing.T, errs []error) {
	t.Helper()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

func TestManifestsNameModulesAtThePinnedRelease(t *testing.T) {
	root, v := setup(t)
	for _, name := range manifests {
		m, err := pins.LoadManifest(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		report(t, v.CheckManifest(m))
	}
}

func TestGoModResolvesToThePins(t *testing.T) {
	root, v := setup(t)
	g, err := pins.ListModules(root)
	if err != nil {
		t.Fatal(err)
	}
	report(t, v.CheckGraph(g))
}

// The operator test's own module (test/operator) requires the operator at
// the pinned version, read from its go.mod without resolving its graph.
func TestOperatorModulePinned(t *testing.T) {
	root, v := setup(t)
	data, err := os.ReadFile(filepath.Join(root, "test", "operator", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?github\.com/open-telemetry/opentelemetry-operator (\S+)`).FindSubmatch(data)
	if m == nil || string(m[1]) != v[pins.Operator] {
		t.Fatalf("test/operator/go.mod requires the operator at %q, versions.mk pins %s", m, v[pins.Operator])
	}
}

// The Makefile takes every version from versions.mk: it includes the file
// and assigns no *_VERSION of its own.
func TestMakefileUsesTheVersionsFile(t *testing.T) {
	root, _ := setup(t)
	data, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^include versions\.mk$`).Match(data) {
		t.Error("Makefile does not `include versions.mk`")
	}
	if own := regexp.MustCompile(`(?m)^[A-Z_]*VERSION\s*[:?]?=.*$`).FindAll(data, -1); len(own) > 0 {
		t.Errorf("Makefile sets versions of its own, move them to versions.mk: %s", own)
	}
}

// The distribution's version lives once, in builder-config.yaml's
// dist.version; the newest CHANGELOG entry is that version.
func TestChangelogNamesTheDistroVersion(t *testing.T) {
	root, _ := setup(t)
	m, err := pins.LoadManifest(filepath.Join(root, "builder-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "## ") {
			if f := strings.Fields(line); len(f) < 2 || f[1] != m.Dist.Version {
				t.Fatalf("newest CHANGELOG.md entry is %q, builder-config.yaml dist.version is %s", line, m.Dist.Version)
			}
			return
		}
	}
	t.Fatal("CHANGELOG.md has no `## VERSION` entry")
}

// Image tags in deploy/ are copies of dist.version that must follow it.
func TestImageTagsAreTheDistroVersion(t *testing.T) {
	root, _ := setup(t)
	m, err := pins.LoadManifest(filepath.Join(root, "builder-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tag := regexp.MustCompile(`ghcr\.io/tracemap/otelcol-tracemap:([^\s"'` + "`" + `]+)`)
	found := 0
	err = filepath.WalkDir(filepath.Join(root, "deploy"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path) //nolint:gosec // a file of this repository
		if err != nil {
			return err
		}
		for _, mm := range tag.FindAllSubmatch(data, -1) {
			found++
			if string(mm[1]) != m.Dist.Version {
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s: image tag %s, builder-config.yaml dist.version is %s", rel, mm[1], m.Dist.Version)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("no ghcr.io/tracemap/otelcol-tracemap image named under deploy/")
	}
}
