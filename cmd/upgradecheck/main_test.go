package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	if got := escape("github.com/Azure/azure-sdk-for-go"); got != "github.com/!azure/azure-sdk-for-go" {
		t.Fatalf("escape = %s", got)
	}
}

func TestRequires(t *testing.T) {
	mod := "module x\n\ngo 1.24\n\nrequire go.opentelemetry.io/collector/component v1.71.0\n\nrequire (\n\tgithub.com/a/b v1.2.3 // indirect\n\tgithub.com/c/d v0.1.0\n)\n"
	got := requires([]byte(mod))
	want := [][2]string{{"go.opentelemetry.io/collector/component", "v1.71.0"}, {"github.com/a/b", "v1.2.3"}, {"github.com/c/d", "v0.1.0"}}
	if len(got) != len(want) {
		t.Fatalf("requires = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("require %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// A fake proxy that serves every module at v0.165.0 / v1.71.0 except
// loadbalancingexporter; tailsamplingprocessor requires pkg/ottl/xottl,
// which it does not serve either.
func TestRunNamesWhatIsMissing(t *testing.T) {
	const contrib = "github.com/open-telemetry/opentelemetry-collector-contrib"
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, "/")
		module, file, _ := strings.Cut(path, "/@v/")
		switch {
		case module == contrib+"/exporter/loadbalancingexporter", module == contrib+"/pkg/ottl/xottl":
			http.Error(w, "not found: "+module+"@"+strings.TrimSuffix(strings.TrimSuffix(file, ".info"), ".mod")+": 403 Forbidden\nmore", http.StatusForbidden)
		case module == "go.opentelemetry.io/collector/otelcol" && file == "v0.165.0.mod":
			_, _ = w.Write([]byte("module go.opentelemetry.io/collector/otelcol\n\nrequire go.opentelemetry.io/collector/component v1.71.0\n"))
		case module == contrib+"/processor/tailsamplingprocessor" && file == "v0.165.0.mod":
			_, _ = w.Write([]byte("module m\n\nrequire (\n\t" + contrib + "/pkg/ottl/xottl v0.165.0 // indirect\n\tgo.opentelemetry.io/collector/pdata v1.71.0\n)\n"))
		case strings.HasSuffix(file, ".mod"):
			_, _ = w.Write([]byte("module " + module + "\n"))
		default:
			_, _ = w.Write([]byte(`{"Version":"` + strings.TrimSuffix(file, ".info") + `"}`))
		}
	}))
	defer proxy.Close()
	var out bytes.Buffer
	err := run(&checker{proxy: proxy.URL, client: proxy.Client()}, release{core: "v0.165.0"}, &out)
	if err == nil || err.Error() != "2 module versions missing" {
		t.Fatalf("err = %v\n%s", err, out.String())
	}
	want := "checking core v0.165.0 / v1.71.0 and contrib v0.165.0 against " + proxy.URL + "\n" +
		"MISSING " + contrib + "/exporter/loadbalancingexporter@v0.165.0  (missing: 403 Forbidden not found: " + contrib + "/exporter/loadbalancingexporter@v0.165.0: 403 Forbidden)\n" +
		"        needed by builder-config.yaml\n" +
		"MISSING " + contrib + "/pkg/ottl/xottl@v0.165.0  (missing: 403 Forbidden not found: " + contrib + "/pkg/ottl/xottl@v0.165.0: 403 Forbidden)\n" +
		"        needed by " + contrib + "/processor/tailsamplingprocessor\n"
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
