package pins

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// Module is one module of a resolved build list; Version is the version the
// build uses (a replacement's version when the module is replaced by
// another module, "" when replaced by a directory).
type Module struct {
	Path    string
	Version string
	Main    bool
}

// Graph is a resolved build list.
type Graph []Module

// ListModules runs `go list -m -json all` in dir (a module's directory) and
// returns its build list.
func ListModules(dir string) (Graph, error) {
	cmd := exec.Command("go", "list", "-m", "-json", "all")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m -json all in %s: %w\n%s", dir, err, stderr.Bytes())
	}
	type listed struct {
		Path    string
		Version string
		Main    bool
		Replace *listed
	}
	var g Graph
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var m listed
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return g, nil
		} else if err != nil {
			return nil, err
		}
		version := m.Version
		if m.Replace != nil {
			version = m.Replace.Version
		}
		g = append(g, Module{Path: m.Path, Version: version, Main: m.Main})
	}
}

// BinaryModules reads the build list compiled into a Go binary
// (`go version -m`): the `dep` lines, with a `=>` replacement's version.
func BinaryModules(binary string) (Graph, error) {
	out, err := exec.Command("go", "version", "-m", binary).Output() //nolint:gosec // the path of the binary under test
	if err != nil {
		return nil, fmt.Errorf("go version -m %s: %w", binary, err)
	}
	return parseVersionM(out)
}

// parseVersionM reads the output of `go version -m`.
func parseVersionM(out []byte) (Graph, error) {
	var g Graph
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 3 && f[0] == "dep":
			g = append(g, Module{Path: f[1], Version: f[2]})
		case len(f) >= 2 && f[0] == "=>" && len(g) > 0:
			g[len(g)-1].Version = ""
			if len(f) >= 3 {
				g[len(g)-1].Version = f[2]
			}
		}
	}
	return g, sc.Err()
}

// CheckGraph returns one error per module of the graph that is off the pins.
func (v Versions) CheckGraph(g Graph) []error {
	var errs []error
	for _, m := range g {
		if m.Main {
			continue
		}
		if err := v.Check(m.Path, m.Version); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// Containing returns the module of the graph that holds package pkg: the
// longest module path that is pkg or a prefix of it at a path boundary.
func (g Graph) Containing(pkg string) (Module, bool) {
	var best Module
	found := false
	for _, m := range g {
		if (pkg == m.Path || strings.HasPrefix(pkg, m.Path+"/")) && len(m.Path) > len(best.Path) {
			best, found = m, true
		}
	}
	return best, found
}

// CheckImports returns one error per component of the manifest whose package
// the graph resolves from another module than the one the manifest names:
// that module's version is then chosen by whatever else requires it, or is
// the newest the proxy serves that day.
func (g Graph) CheckImports(m *Manifest) []error {
	var errs []error
	for _, c := range m.Components() {
		got, ok := g.Containing(c.Package())
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s: no module of the build list holds %s", m.Path, c.Package()))
		case got.Path != c.Module():
			errs = append(errs, fmt.Errorf("%s: %s is in module %s (resolved to %s), but the manifest names %s; name the module that contains it",
				m.Path, c.Package(), got.Path, got.Version, c.GoMod))
		}
	}
	return errs
}
