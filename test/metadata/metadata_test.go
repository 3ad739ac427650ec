// Package metadata checks every component directory (receiver/*,
// processor/*, exporter/*, extension/*, connector/*) that has a
// metadata.yaml against its hand-written internal/metadata files, in the
// shape mdatagen v0.161 generates: the component type, the stability of each
// signal, the scope name, and for every telemetry metric its instrument name
// (otelcol_<key>), field, kind, unit and description.
package metadata

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
)

const module = "github.com/tracemap/tracemap"

// spec is the part of metadata.yaml the generated files depend on.
type spec struct {
	DisplayName string `yaml:"display_name"`
	Type        string `yaml:"type"`
	Status      struct {
		Class         string              `yaml:"class"`
		Stability     map[string][]string `yaml:"stability"`
		Distributions []string            `yaml:"distributions"`
	} `yaml:"status"`
	Telemetry struct {
		Metrics map[string]metric `yaml:"metrics"`
	} `yaml:"telemetry"`
}

type metric struct {
	Stability   string      `yaml:"stability"`
	Description string      `yaml:"description"`
	Unit        string      `yaml:"unit"`
	Sum         *instrument `yaml:"sum"`
	Gauge       *instrument `yaml:"gauge"`
	Histogram   *instrument `yaml:"histogram"`
}

type instrument struct {
	ValueType string `yaml:"value_type"`
	Monotonic bool   `yaml:"monotonic"`
	Async     bool   `yaml:"async"`
}

// initialisms are the words mdatagen writes in capitals in Go names (Go's
// common initialisms, as golint lists them).
var initialisms = map[string]bool{}

func init() {
	for _, w := range strings.Fields("ACL API ASCII CPU CSS DNS EOF GUID HTML HTTP HTTPS ID IP JSON LHS QPS RAM RHS RPC SLA SMTP SQL SSH TCP TLS TTL UDP UI UID UUID URI URL UTF8 VM XML XMPP XSRF XSS") {
		initialisms[w] = true
	}
}

// camel is mdatagen's Go name of a snake_case key: new_trace_id_received
// becomes NewTraceIDReceived.
func camel(key string) string {
	var b strings.Builder
	for _, part := range strings.Split(key, "_") {
		switch {
		case part == "":
		case initialisms[strings.ToUpper(part)]:
			b.WriteString(strings.ToUpper(part))
		default:
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// meterMethod is the metric.Meter method mdatagen calls for m.
func (m metric) meterMethod() (string, error) {
	var in *instrument
	var kind string
	switch {
	case m.Sum != nil && m.Gauge == nil && m.Histogram == nil:
		in, kind = m.Sum, "Counter"
		if !m.Sum.Monotonic {
			kind = "UpDownCounter"
		}
	case m.Gauge != nil && m.Sum == nil && m.Histogram == nil:
		in, kind = m.Gauge, "Gauge"
	case m.Histogram != nil && m.Sum == nil && m.Gauge == nil:
		in, kind = m.Histogram, "Histogram"
	default:
		return "", errors.New("want exactly one of sum, gauge, histogram")
	}
	prefix := map[string]string{"int": "Int64", "double": "Float64"}[in.ValueType]
	if prefix == "" {
		return "", fmt.Errorf("value_type %q: want int or double", in.ValueType)
	}
	if in.Async {
		if kind == "Histogram" {
			return "", errors.New("a histogram cannot be async")
		}
		return prefix + "Observable" + kind, nil
	}
	return prefix + kind, nil
}

// description is the instrument description mdatagen writes: the
// metadata.yaml text with the metric's stability appended, except stable.
func (m metric) description() string {
	if m.Stability == "" || m.Stability == "stable" {
		return m.Description
	}
	return m.Description + " [" + strings.ToUpper(m.Stability[:1]) + m.Stability[1:] + "]"
}

// created is one instrument NewTelemetryBuilder creates.
type created struct {
	field, method, name, unit, description string
}

func stringArg(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// callOf returns the selector name and arguments of a call expression.
func callOf(e ast.Expr) (string, []ast.Expr, bool) {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return "", nil, false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return "", nil, false
	}
	return sel.Sel.Name, call.Args, true
}

// parseStatus reads Type, ScopeName and the *Stability constants of
// generated_status.go.
func parseStatus(path string) (typ, scope string, stability map[string]string, err error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return "", "", nil, err
	}
	stability = map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || len(vs.Values) != 1 {
			return true
		}
		name := vs.Names[0].Name
		switch {
		case name == "Type":
			if fn, args, ok := callOf(vs.Values[0]); ok && fn == "MustNewType" && len(args) == 1 {
				typ, _ = stringArg(args[0])
			}
		case name == "ScopeName":
			scope, _ = stringArg(vs.Values[0])
		case strings.HasSuffix(name, "Stability"):
			if sel, ok := vs.Values[0].(*ast.SelectorExpr); ok {
				stability[strings.TrimSuffix(name, "Stability")] = strings.TrimPrefix(sel.Sel.Name, "StabilityLevel")
			}
		}
		return true
	})
	return typ, scope, stability, nil
}

// parseTelemetry reads the instruments NewTelemetryBuilder creates and the
// scope names Meter and Tracer use, from generated_telemetry.go.
func parseTelemetry(path string) ([]created, []string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return nil, nil, err
	}
	var out []created
	var scopes []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if fn, args, ok := callOf(n); ok && (fn == "Meter" || fn == "Tracer") && len(args) == 1 {
				if s, ok := stringArg(args[0]); ok {
					scopes = append(scopes, s)
				}
			}
		case *ast.AssignStmt:
			if len(n.Lhs) != 2 || len(n.Rhs) != 1 {
				return true
			}
			lhs, ok := n.Lhs[0].(*ast.SelectorExpr)
			if !ok {
				return true
			}
			method, args, ok := callOf(n.Rhs[0])
			if !ok || len(args) == 0 {
				return true
			}
			c := created{field: lhs.Sel.Name, method: method}
			c.name, _ = stringArg(args[0])
			for _, opt := range args[1:] {
				if fn, a, ok := callOf(opt); ok && len(a) == 1 {
					switch fn {
					case "WithUnit":
						c.unit, _ = stringArg(a[0])
					case "WithDescription":
						c.description, _ = stringArg(a[0])
					}
				}
			}
			out = append(out, c)
		}
		return true
	})
	return out, scopes, nil
}

// check returns every disagreement between dir/metadata.yaml and
// dir/internal/metadata, each naming the component and, for telemetry, the
// metric. class is the kind of component the directory holds, scope its
// import path.
func check(dir, class, scope string) []error {
	name := filepath.Base(dir)
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	data, err := os.ReadFile(filepath.Join(dir, "metadata.yaml")) //nolint:gosec // a component directory of this repository
	if err != nil {
		return []error{fmt.Errorf("%s: %w", name, err)}
	}
	var s spec
	if err := yaml.Unmarshal(data, &s); err != nil {
		return []error{fmt.Errorf("%s: metadata.yaml: %w", name, err)}
	}
	if s.Status.Class != class {
		fail("metadata.yaml status.class is %q, the directory holds a %s", s.Status.Class, class)
	}

	if err := checkReadme(dir, s); err != nil {
		fail("%v", err)
	}

	typ, gotScope, stability, err := parseStatus(filepath.Join(dir, "internal", "metadata", "generated_status.go"))
	if err != nil {
		return append(errs, fmt.Errorf("%s: %w", name, err))
	}
	if typ != s.Type {
		fail("generated_status.go Type is %q, metadata.yaml type is %q", typ, s.Type)
	}
	if gotScope != scope {
		fail("generated_status.go ScopeName is %q, want the package path %q", gotScope, scope)
	}
	want := map[string]string{}
	for level, signals := range s.Status.Stability {
		for _, signal := range signals {
			want[camel(signal)] = camel(level)
		}
	}
	for _, signal := range union(want, stability) {
		if stability[signal] != want[signal] {
			fail("%sStability is %q in generated_status.go, %q in metadata.yaml", signal, stability[signal], want[signal])
		}
	}

	telemetry := filepath.Join(dir, "internal", "metadata", "generated_telemetry.go")
	if _, err := os.Stat(telemetry); err != nil && len(s.Telemetry.Metrics) == 0 {
		return errs
	}
	instruments, scopes, err := parseTelemetry(telemetry)
	if err != nil {
		return append(errs, fmt.Errorf("%s: %w", name, err))
	}
	for _, sc := range scopes {
		if sc != scope {
			fail("generated_telemetry.go uses scope %q, want %q", sc, scope)
		}
	}
	byName := map[string]created{}
	for _, in := range instruments {
		byName[in.name] = in
	}
	keys := make([]string, 0, len(s.Telemetry.Metrics))
	for k := range s.Telemetry.Metrics {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		m := s.Telemetry.Metrics[key]
		if prefix := s.Status.Class + "_" + s.Type + "_"; !strings.HasPrefix(key, prefix) {
			fail("metric %s: key does not start with %s", key, prefix)
		}
		in, ok := byName["otelcol_"+key]
		if !ok {
			fail("metric %s: generated_telemetry.go creates no instrument otelcol_%s", key, key)
			continue
		}
		delete(byName, in.name)
		method, err := m.meterMethod()
		switch {
		case err != nil:
			fail("metric %s: metadata.yaml: %v", key, err)
		case in.method != method:
			fail("metric %s: generated_telemetry.go creates it with %s, metadata.yaml says %s", key, in.method, method)
		}
		if in.field != camel(key) {
			fail("metric %s: generated_telemetry.go field is %s, want %s", key, in.field, camel(key))
		}
		if in.unit != m.Unit {
			fail("metric %s: unit %q in generated_telemetry.go, %q in metadata.yaml", key, in.unit, m.Unit)
		}
		if in.description != m.description() {
			fail("metric %s: description %q in generated_telemetry.go, want %q", key, in.description, m.description())
		}
	}
	extra := make([]string, 0, len(byName))
	for n := range byName {
		extra = append(extra, n)
	}
	sort.Strings(extra)
	for _, n := range extra {
		fail("metric %s: generated_telemetry.go creates it, metadata.yaml does not list it", strings.TrimPrefix(n, "otelcol_"))
	}
	return errs
}

// levels are the stability levels in the order mdatagen lists them.
var levels = []string{"development", "alpha", "beta", "stable", "deprecated", "unmaintained"}

// readmeHeader is the title and status section a component README starts
// with, from metadata.yaml, in mdatagen's shape (an extension's stability
// names no signal).
func readmeHeader(s spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n<!-- status autogenerated section -->\n", s.DisplayName)
	b.WriteString("| Status        |           |\n| ------------- |-----------|\n")
	first := true
	var used []string
	for _, level := range levels {
		signals, ok := s.Status.Stability[level]
		if !ok {
			continue
		}
		label := "Stability    "
		if !first {
			label = "             "
		}
		first = false
		used = append(used, level)
		if s.Status.Class == "extension" {
			fmt.Fprintf(&b, "| %s | [%s] |\n", label, level)
		} else {
			fmt.Fprintf(&b, "| %s | [%s]: %s |\n", label, level, strings.Join(signals, ", "))
		}
	}
	dists := slices.Sorted(slices.Values(s.Status.Distributions))
	fmt.Fprintf(&b, "| Distributions | [%s] |\n\n", strings.Join(dists, "], ["))
	for _, level := range used {
		fmt.Fprintf(&b, "[%s]: https://github.com/open-telemetry/opentelemetry-collector/blob/main/docs/component-stability.md#%s\n", level, level)
	}
	for _, d := range dists {
		fmt.Fprintf(&b, "[%s]: ../../README.md\n", d)
	}
	b.WriteString("<!-- end autogenerated section -->\n")
	return b.String()
}

// checkReadme reports a README.md that does not start with readmeHeader.
func checkReadme(dir string, s spec) error {
	if s.DisplayName == "" {
		return errors.New("metadata.yaml has no display_name (the README's title)")
	}
	data, err := os.ReadFile(filepath.Join(dir, "README.md")) //nolint:gosec // a component directory of this repository
	if err != nil {
		return err
	}
	if want := readmeHeader(s); !strings.HasPrefix(string(data), want) {
		return fmt.Errorf("README.md does not start with the header metadata.yaml implies:\n%s", want)
	}
	return nil
}

func union(a, b map[string]string) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// TestComponents checks every component directory with a metadata.yaml; a
// directory without one is listed in the log (the component shape of issue
// 13 gives every component one).
func TestComponents(t *testing.T) {
	root, err := collectortest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, class := range []string{"receiver", "processor", "exporter", "extension", "connector"} {
		dirs, _ := filepath.Glob(filepath.Join(root, class, "*"))
		for _, dir := range dirs {
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				continue
			}
			rel, _ := filepath.Rel(root, dir)
			if _, err := os.Stat(filepath.Join(dir, "metadata.yaml")); err != nil {
				t.Logf("%s has no metadata.yaml: not checked", rel)
				continue
			}
			checked++
			for _, err := range check(dir, class, module+"/"+filepath.ToSlash(rel)) {
				t.Error(err)
			}
		}
	}
	t.Logf("%d component directories checked", checked)
}

// The checker passes a component in mdatagen's shape and names every
// disagreement in one that drifted from its metadata.yaml.
func TestCheckerOnFixtures(t *testing.T) {
	if errs := check(filepath.Join("testdata", "processor", "sample"), "processor", "example.com/sample"); len(errs) > 0 {
		t.Fatalf("the fixture in mdatagen's shape fails: %v", errors.Join(errs...))
	}
	got := errors.Join(check(filepath.Join("testdata", "processor", "drifted"), "processor", "example.com/drifted")...)
	want := strings.Join([]string{
		`drifted: metadata.yaml has no display_name (the README's title)`,
		`drifted: generated_status.go Type is "drift", metadata.yaml type is "drifted"`,
		`drifted: LogsStability is "Alpha" in generated_status.go, "" in metadata.yaml`,
		`drifted: TracesStability is "Alpha" in generated_status.go, "Beta" in metadata.yaml`,
		`drifted: generated_telemetry.go uses scope "example.com/other", want "example.com/drifted"`,
		`drifted: metric processor_drifted_queue: generated_telemetry.go creates it with Int64Gauge, metadata.yaml says Int64ObservableUpDownCounter`,
		`drifted: metric processor_drifted_render: unit "ms" in generated_telemetry.go, "s" in metadata.yaml`,
		`drifted: metric processor_drifted_spans: generated_telemetry.go creates no instrument otelcol_processor_drifted_spans`,
		`drifted: metric processor_drifted_traces: description "Traces seen." in generated_telemetry.go, want "Traces seen. [Alpha]"`,
		`drifted: metric processor_drifted_span: generated_telemetry.go creates it, metadata.yaml does not list it`,
	}, "\n")
	if got == nil || got.Error() != want {
		t.Fatalf("errors:\n%v\nwant:\n%s", got, want)
	}
}

func TestCamelKeepsInitialisms(t *testing.T) {
	for in, want := range map[string]string{
		"processor_tail_sampling_new_trace_id_received": "ProcessorTailSamplingNewTraceIDReceived",
		"exporter_svg_http_requests":                    "ExporterSvgHTTPRequests",
		"processor_batch_batch_send_size":               "ProcessorBatchBatchSendSize",
	} {
		if got := camel(in); got != want {
			t.Errorf("camel(%s) = %s, want %s", in, got, want)
		}
	}
}
