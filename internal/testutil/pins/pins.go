// Package pins reads the release versions tracemap is built from
// (versions.mk at the repository root) and the ocb manifests that name its
// components, and checks module versions against them: the drift test
// (test/drift) and `make upgrade-check` (cmd/upgradecheck) share it.
package pins

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Module path prefixes of the two families whose versions are pinned.
const (
	CorePrefix    = "go.opentelemetry.io/collector"
	ContribPrefix = "github.com/open-telemetry/opentelemetry-collector-contrib"
)

// Versions holds the variables of versions.mk by name.
type Versions map[string]string

// The variables of versions.mk every user of this package relies on.
const (
	Core       = "CORE_VERSION"
	CoreStable = "CORE_STABLE_VERSION"
	Contrib    = "CONTRIB_VERSION"
	OCB        = "OCB_VERSION"
	Operator   = "OPERATOR_VERSION"
)

var assignment = regexp.MustCompile(`^([A-Z][A-Z0-9_]*) := (\S+)$`)

// LoadVersions reads root/versions.mk: `NAME := value` lines, comments and
// blank lines; anything else is an error, so the file stays that simple.
func LoadVersions(root string) (Versions, error) {
	path := filepath.Join(root, "versions.mk")
	data, err := os.ReadFile(path) //nolint:gosec // the repository's own file
	if err != nil {
		return nil, err
	}
	v := Versions{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := assignment.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("%s:%d: want `NAME := version`, got %q", path, n, line)
		}
		v[m[1]] = m[2]
	}
	for _, name := range []string{Core, CoreStable, Contrib, OCB} {
		if v[name] == "" {
			return nil, fmt.Errorf("%s: %s is not set", path, name)
		}
	}
	return v, nil
}

// Family names the pinned family a module belongs to: "core", "contrib" or
// "" for any other module.
func Family(module string) string {
	switch {
	case module == CorePrefix || strings.HasPrefix(module, CorePrefix+"/"):
		return "core"
	case module == ContribPrefix || strings.HasPrefix(module, ContribPrefix+"/"):
		return "contrib"
	}
	return ""
}

// Check returns nil when module@version agrees with the pins, else an error
// that names the module, the version found and the versions allowed. Modules
// outside the two families always agree.
func (v Versions) Check(module, version string) error {
	switch Family(module) {
	case "core":
		if version != v[Core] && version != v[CoreStable] {
			return fmt.Errorf("%s %s is off the pinned core pair %s / %s", module, version, v[Core], v[CoreStable])
		}
	case "contrib":
		if version != v[Contrib] {
			return fmt.Errorf("%s %s is off the pinned contrib version %s", module, version, v[Contrib])
		}
	}
	return nil
}

// Manifest is an ocb v0.161 manifest (builder-config.yaml), with every key
// ocb reads, so that decoding it strictly rejects only real typos.
type Manifest struct {
	Path string `yaml:"-"`
	Dist struct {
		Module                  string `yaml:"module"`
		Name                    string `yaml:"name"`
		Go                      string `yaml:"go"`
		Description             string `yaml:"description"`
		OutputPath              string `yaml:"output_path"`
		Version                 string `yaml:"version"`
		BuildTags               string `yaml:"build_tags"`
		DebugCompilation        bool   `yaml:"debug_compilation"`
		CGoEnabled              bool   `yaml:"cgo_enabled"`
		UseAbsoluteReplacePaths bool   `yaml:"use_absolute_replace_paths"`
	} `yaml:"dist"`
	Receivers    []Component    `yaml:"receivers"`
	Processors   []Component    `yaml:"processors"`
	Exporters    []Component    `yaml:"exporters"`
	Extensions   []Component    `yaml:"extensions"`
	Connectors   []Component    `yaml:"connectors"`
	Telemetry    *Component     `yaml:"telemetry"`
	Providers    []Component    `yaml:"providers"`
	Converters   []Component    `yaml:"converters"`
	Replaces     []string       `yaml:"replaces"`
	Excludes     []string       `yaml:"excludes"`
	ConfResolver map[string]any `yaml:"conf_resolver"`
}

// Component is one entry of a manifest: `gomod: MODULE VERSION` and an
// optional `import:` package inside that module.
type Component struct {
	GoMod  string `yaml:"gomod"`
	Import string `yaml:"import"`
	Name   string `yaml:"name"`
	Path   string `yaml:"path"`
}

// Module is the module path of the gomod line.
func (c Component) Module() string { m, _, _ := strings.Cut(c.GoMod, " "); return m }

// Version is the version of the gomod line.
func (c Component) Version() string { _, v, _ := strings.Cut(c.GoMod, " "); return v }

// Package is the import path of the component: import, else the module.
func (c Component) Package() string {
	if c.Import != "" {
		return c.Import
	}
	return c.Module()
}

// LoadManifest reads an ocb manifest, rejecting unknown keys so a typo in a
// key cannot hide a component from the checks.
func LoadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path) //nolint:gosec // a manifest of this repository
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	m := &Manifest{Path: path}
	if err := dec.Decode(m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Components lists every component of the manifest in manifest order.
func (m *Manifest) Components() []Component {
	var all []Component
	for _, list := range [][]Component{m.Receivers, m.Processors, m.Exporters, m.Extensions, m.Connectors, m.Providers, m.Converters} {
		all = append(all, list...)
	}
	if m.Telemetry != nil {
		all = append(all, *m.Telemetry)
	}
	return all
}

// CheckManifest returns one error per entry that is not named by a module
// at an exact version on the pins: an entry without a version, off the pinned
// release, or whose import path lies outside its module.
func (v Versions) CheckManifest(m *Manifest) []error {
	var errs []error
	for _, c := range m.Components() {
		mod, ver := c.Module(), c.Version()
		switch {
		case ver == "" || strings.Contains(ver, " "):
			errs = append(errs, fmt.Errorf("%s: %q: want `gomod: MODULE VERSION`", m.Path, c.GoMod))
		case c.Import != "" && c.Import != mod && !strings.HasPrefix(c.Import, mod+"/"):
			errs = append(errs, fmt.Errorf("%s: import %s is not inside module %s", m.Path, c.Import, mod))
		default:
			if err := v.Check(mod, ver); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m.Path, err))
			}
		}
	}
	return errs
}
