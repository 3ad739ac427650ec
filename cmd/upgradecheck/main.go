// Command upgradecheck asks the Go module proxy, module by module, whether
// tracemap could move to another collector release: every core and contrib
// component of the manifests (builder-config.yaml, test/chain), ocb, the
// collector modules go.mod requires, and every core and contrib
// module those require at that release. It prints each missing module with
// the proxy's answer and exits 1 when any is missing.
//
//	go run ./cmd/upgradecheck -version v0.165.0   (make upgrade-check VERSION=v0.165.0)
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/pins"
)

func main() {
	version := flag.String("version", "", "the core and contrib 0.x release to check, e.g. v0.165.0")
	stable := flag.String("stable", "", "the core 1.x release that goes with it (default: what the proxy's otelcol@version requires)")
	contrib := flag.String("contrib", "", "the contrib release, when it differs from the core one (a contrib patch release such as v0.165.1)")
	flag.Parse()
	if !regexp.MustCompile(`^v0\.\d+\.\d+$`).MatchString(*version) {
		fmt.Fprintln(os.Stderr, "usage: upgradecheck -version v0.x.y [-stable v1.x.y]")
		os.Exit(2)
	}
	proxy, err := goproxy()
	if err == nil {
		err = run(&checker{proxy: proxy, client: &http.Client{Timeout: 30 * time.Second}}, release{*version, *stable, *contrib}, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "upgradecheck:", err)
		os.Exit(1)
	}
}

// goproxy is the first proxy URL of `go env GOPROXY`.
func goproxy() (string, error) {
	out, err := exec.Command("go", "env", "GOPROXY").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOPROXY: %w", err)
	}
	for _, p := range strings.FieldsFunc(strings.TrimSpace(string(out)), func(r rune) bool { return r == ',' || r == '|' }) {
		if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
			return strings.TrimSuffix(p, "/"), nil
		}
	}
	return "", fmt.Errorf("GOPROXY %q names no proxy URL", strings.TrimSpace(string(out)))
}

// errMissing is a module version the proxy does not serve.
var errMissing = errors.New("missing")

// checker asks one proxy and remembers every answer.
type checker struct {
	proxy  string
	client *http.Client
	mu     sync.Mutex
	seen   map[string]error
}

// escape is the proxy protocol's case encoding of a module path.
func escape(path string) string {
	var b strings.Builder
	for _, r := range path {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// get fetches module@version's file ("info" or "mod") from the proxy; a 404
// or 410 (or this mirror's 403) is errMissing with the proxy's first line.
func (c *checker) get(module, version, file string) ([]byte, error) {
	resp, err := c.client.Get(c.proxy + "/" + escape(module) + "/@v/" + version + "." + file)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return body, nil
	case http.StatusNotFound, http.StatusGone, http.StatusForbidden:
		line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
		return nil, fmt.Errorf("%w: %s %s", errMissing, resp.Status, line)
	}
	return nil, fmt.Errorf("%s@%s: %s", module, version, resp.Status)
}

// exists reports, once per module@version, whether the proxy serves it.
func (c *checker) exists(module, version string) error {
	key := module + "@" + version
	c.mu.Lock()
	err, done := c.seen[key]
	c.mu.Unlock()
	if done {
		return err
	}
	_, err = c.get(module, version, "info")
	c.mu.Lock()
	if c.seen == nil {
		c.seen = map[string]error{}
	}
	c.seen[key] = err
	c.mu.Unlock()
	return err
}

var requireLine = regexp.MustCompile(`^\s*(?:require\s+)?(\S+)\s+(v\S+)(?:\s*//.*)?$`)

// requires lists the require lines of a go.mod file.
func requires(gomod []byte) [][2]string {
	var out [][2]string
	inBlock := false
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "require (":
			inBlock = true
		case inBlock && line == ")":
			inBlock = false
		case inBlock || strings.HasPrefix(line, "require "):
			if m := requireLine.FindStringSubmatch(line); m != nil {
				out = append(out, [2]string{m[1], m[2]})
			}
		}
	}
	return out
}

// stableFor finds the core 1.x release that goes with core version: the
// version of component that otelcol@version requires.
func (c *checker) stableFor(version string) (string, error) {
	mod, err := c.get(pins.CorePrefix+"/otelcol", version, "mod")
	if err != nil {
		return "", fmt.Errorf("%s/otelcol@%s: %w (pass -stable)", pins.CorePrefix, version, err)
	}
	for _, r := range requires(mod) {
		if r[0] == pins.CorePrefix+"/component" {
			return r[1], nil
		}
	}
	return "", fmt.Errorf("%s/otelcol@%s requires no %s/component (pass -stable)", pins.CorePrefix, version, pins.CorePrefix)
}

// target is a module the release must serve and why it is needed.
type target struct{ module, version, why string }

// release is the set of versions to check.
type release struct{ core, stable, contrib string }

func run(c *checker, rel release, w io.Writer) error {
	version, stable := rel.core, rel.stable
	if rel.contrib == "" {
		rel.contrib = version
	}
	root, err := collectortest.RepoRoot()
	if err != nil {
		return err
	}
	current, err := pins.LoadVersions(root)
	if err != nil {
		return err
	}
	if stable == "" {
		if stable, err = c.stableFor(version); err != nil {
			return err
		}
	}
	// move maps a pinned version to its counterpart at the new release.
	// Core and contrib may share a version; the family tells them apart.
	move := func(module, pinned string) string {
		switch {
		case pins.Family(module) == "contrib" && pinned == current[pins.Contrib]:
			return rel.contrib
		case pinned == current[pins.Core]:
			return version
		case pinned == current[pins.CoreStable]:
			return stable
		}
		return ""
	}
	fmt.Fprintf(w, "checking core %s / %s and contrib %s against %s\n", version, stable, rel.contrib, c.proxy)

	direct := []target{{pins.CorePrefix + "/cmd/builder", version, "ocb"}}
	for _, name := range []string{"builder-config.yaml", filepath.Join("test", "chain", "builder-config.yaml")} {
		m, err := pins.LoadManifest(filepath.Join(root, name))
		if err != nil {
			return err
		}
		for _, comp := range m.Components() {
			if pins.Family(comp.Module()) != "" {
				direct = append(direct, target{comp.Module(), move(comp.Module(), comp.Version()), name})
			}
		}
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod")) //nolint:gosec // the repository's own go.mod
	if err != nil {
		return err
	}
	for _, r := range requires(gomod) {
		if pins.Family(r[0]) != "" {
			direct = append(direct, target{r[0], move(r[0], r[1]), "go.mod"})
		}
	}

	missing := map[string][]string{} // module@version -> what needs it
	var mu sync.Mutex
	note := func(t target, err error) {
		mu.Lock()
		defer mu.Unlock()
		key := t.module + "@" + t.version + "  (" + err.Error() + ")"
		missing[key] = append(missing[key], t.why)
	}
	checkAll(direct, func(t target) {
		if t.version == "" {
			note(t, errors.New("its version is not on versions.mk's pins, so it has no counterpart at the new release"))
			return
		}
		if err := c.exists(t.module, t.version); err != nil {
			note(t, err)
			return
		}
		if t.module == pins.CorePrefix+"/cmd/builder" {
			return
		}
		// What the component requires at that release must be served too
		// (go.mod lists every module of a pruned graph).
		mod, err := c.get(t.module, t.version, "mod")
		if err != nil {
			note(t, err)
			return
		}
		var deps []target
		for _, r := range requires(mod) {
			if pins.Family(r[0]) != "" {
				deps = append(deps, target{r[0], r[1], t.module})
			}
		}
		checkAll(deps, func(d target) {
			if err := c.exists(d.module, d.version); err != nil {
				note(d, err)
			}
		})
	})

	if len(missing) == 0 {
		fmt.Fprintln(w, "every module is served: versions.mk, the manifests and go.mod can move (docs/upgrading.md)")
		return nil
	}
	keys := make([]string, 0, len(missing))
	for k := range missing {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		by := missing[k]
		sort.Strings(by)
		fmt.Fprintf(w, "MISSING %s\n        needed by %s\n", k, strings.Join(dedupe(by), ", "))
	}
	return fmt.Errorf("%d module versions missing", len(keys))
}

// checkAll runs f on every target, four at a time.
func checkAll(ts []target, f func(target)) {
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, t := range ts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(t)
		}()
	}
	wg.Wait()
}

func dedupe(sorted []string) []string {
	out := sorted[:0]
	for i, s := range sorted {
		if i == 0 || s != sorted[i-1] {
			out = append(out, s)
		}
	}
	return out
}
