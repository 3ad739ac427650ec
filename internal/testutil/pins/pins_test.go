package pins

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func versions(t *testing.T) Versions {
	t.Helper()
	dir := t.TempDir()
	mk := "# comment\n\nCORE_VERSION := v0.161.0\nCORE_STABLE_VERSION := v1.67.0\nCONTRIB_VERSION := v0.161.0\nOCB_VERSION := v0.161.0\n"
	if err := os.WriteFile(filepath.Join(dir, "versions.mk"), []byte(mk), 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := LoadVersions(dir)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestLoadVersions(t *testing.T) {
	v := versions(t)
	if len(v) != 4 || v[Core] != "v0.161.0" || v[CoreStable] != "v1.67.0" {
		t.Fatalf("versions = %v", v)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "versions.mk"), []byte("CORE_VERSION = v0.161.0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadVersions(dir)
	if want := filepath.Join(dir, "versions.mk") + ":1: want `NAME := version`, got \"CORE_VERSION = v0.161.0\""; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

func TestCheck(t *testing.T) {
	v := versions(t)
	for _, ok := range [][2]string{
		{"go.opentelemetry.io/collector/pdata", "v1.67.0"},
		{"go.opentelemetry.io/collector/pdata/pprofile", "v0.161.0"},
		{"go.opentelemetry.io/collector", "v0.161.0"},
		{"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/ottl", "v0.161.0"},
		{"go.opentelemetry.io/collectorx", "v9.9.9"}, // not the family: a path boundary
		{"go.opentelemetry.io/otel", "v1.46.0"},
	} {
		if err := v.Check(ok[0], ok[1]); err != nil {
			t.Errorf("Check(%s, %s) = %v", ok[0], ok[1], err)
		}
	}
	for in, want := range map[[2]string]string{
		{"go.opentelemetry.io/collector/pdata", "v1.71.0"}:                                                      "go.opentelemetry.io/collector/pdata v1.71.0 is off the pinned core pair v0.161.0 / v1.67.0",
		{"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage", "v0.165.1"}: "github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage v0.165.1 is off the pinned contrib version v0.161.0",
	} {
		if err := v.Check(in[0], in[1]); err == nil || err.Error() != want {
			t.Errorf("Check(%s, %s) = %v, want %s", in[0], in[1], err, want)
		}
	}
}

func TestCheckManifest(t *testing.T) {
	m, err := LoadManifest(filepath.Join("testdata", "drifted.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got := errors.Join(versions(t).CheckManifest(m)...).Error()
	want := "testdata/drifted.yaml: go.opentelemetry.io/collector/exporter/debugexporter v0.162.0 is off the pinned core pair v0.161.0 / v1.67.0\n" +
		"testdata/drifted.yaml: \"go.opentelemetry.io/collector/exporter/otlpexporter\": want `gomod: MODULE VERSION`\n" +
		"testdata/drifted.yaml: import github.com/other/module/x is not inside module github.com/tracemap/tracemap"
	if got != want {
		t.Fatalf("errors:\n%s\nwant:\n%s", got, want)
	}
	if _, err := LoadManifest(filepath.Join("testdata", "typo.yaml")); err == nil {
		t.Fatal("a manifest with an unknown key loaded")
	}
}

// The failure of issue 11: the manifest names extension/storage, the
// package lives in the module extension/storage/filestorage.
func TestCheckImportsNamesTheContainingModule(t *testing.T) {
	const contrib = "github.com/open-telemetry/opentelemetry-collector-contrib"
	m := &Manifest{Path: "builder-config.yaml", Extensions: []Component{
		{GoMod: contrib + "/extension/storage v0.161.0", Import: contrib + "/extension/storage/filestorage"},
		{GoMod: contrib + "/extension/pprofextension v0.161.0"},
	}}
	g := Graph{{Path: "x", Main: true}, {Path: contrib + "/extension/storage", Version: "v0.161.0"},
		{Path: contrib + "/extension/storage/filestorage", Version: "v0.165.1"}, {Path: contrib + "/extension/pprofextension", Version: "v0.161.0"}}
	got := errors.Join(g.CheckImports(m)...)
	want := "builder-config.yaml: " + contrib + "/extension/storage/filestorage is in module " + contrib + "/extension/storage/filestorage (resolved to v0.165.1), but the manifest names " + contrib + "/extension/storage v0.161.0; name the module that contains it"
	if got == nil || got.Error() != want {
		t.Fatalf("got %v\nwant %s", got, want)
	}
}

func TestParseVersionM(t *testing.T) {
	out := "distro/otelcol-tracemap: go1.26.8\n" +
		"\tpath\tgithub.com/tracemap/tracemap/distro\n" +
		"\tmod\tgithub.com/tracemap/tracemap/distro\t(devel)\t\n" +
		"\tdep\tgo.opentelemetry.io/collector/pdata\tv1.67.0\th1:abc=\n" +
		"\tdep\tgithub.com/tracemap/tracemap\tv0.0.0\n" +
		"\t=>\t../\t\n" +
		"\tdep\tgithub.com/aws/aws-sdk-go-v2/service/servicediscovery\tv1.41.0\n" +
		"\t=>\tgithub.com/aws/aws-sdk-go-v2/service/servicediscovery\tv1.40.2\th1:def=\n" +
		"\tbuild\t-trimpath=true\n"
	g, err := parseVersionM([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := Graph{{Path: "go.opentelemetry.io/collector/pdata", Version: "v1.67.0"}, {Path: "github.com/tracemap/tracemap"},
		{Path: "github.com/aws/aws-sdk-go-v2/service/servicediscovery", Version: "v1.40.2"}}
	if len(g) != len(want) {
		t.Fatalf("graph = %v", g)
	}
	for i := range want {
		if g[i] != want[i] {
			t.Errorf("module %d = %+v, want %+v", i, g[i], want[i])
		}
	}
}
