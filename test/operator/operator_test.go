// Package operator checks the OpenTelemetry Operator resources in
// deploy/operator: each decodes strictly into the operator's own
// OpenTelemetryCollector type (an unknown or misspelt field fails), and its
// spec.config is the example config it names, byte for byte.
package operator

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-operator/apis/v1beta1"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite spec.config of deploy/operator/*.yaml from the example configs")

const root = "../.."

// configKey ends the hand-written part of a resource; the example config
// follows it, indented under spec.config.
const configKey = "  config:\n"

var resources = []struct {
	file, example string
	mode          v1beta1.Mode
}{
	{"deploy/operator/tier1.yaml", "examples/gateway/tier1-dns.yaml", v1beta1.ModeDeployment},
	{"deploy/operator/tier2.yaml", "examples/gateway/tier2.yaml", v1beta1.ModeStatefulSet},
}

func indent(data []byte) []byte {
	var b bytes.Buffer
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if strings.TrimSpace(line) != "" {
			b.WriteString("    ")
		}
		b.WriteString(line)
	}
	return b.Bytes()
}

// distroVersion is dist.version of builder-config.yaml, the image tag.
func distroVersion(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "builder-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Dist struct {
			Version string `json:"version"`
		} `json:"dist"`
	}
	if err := yaml.Unmarshal(data, &m); err != nil || m.Dist.Version == "" {
		t.Fatalf("builder-config.yaml dist.version: %v", err)
	}
	return m.Dist.Version
}

func TestResources(t *testing.T) {
	version := distroVersion(t)
	for _, r := range resources {
		t.Run(filepath.Base(r.file), func(t *testing.T) {
			path := filepath.Join(root, r.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			example, err := os.ReadFile(filepath.Join(root, r.example))
			if err != nil {
				t.Fatal(err)
			}
			head, cfg, ok := bytes.Cut(data, []byte(configKey))
			if !ok {
				t.Fatalf("%s has no %q line", r.file, strings.TrimSpace(configKey))
			}
			if want := indent(example); !bytes.Equal(cfg, want) {
				if !*update {
					t.Fatalf("spec.config of %s is not %s (regenerate: go test -run TestResources -update)", r.file, r.example)
				}
				data = append(append(head, configKey...), want...)
				if err := os.WriteFile(path, data, 0o600); err != nil {
					t.Fatal(err)
				}
			}

			var c v1beta1.OpenTelemetryCollector
			if err := yaml.UnmarshalStrict(data, &c); err != nil {
				t.Fatalf("%s: %v", r.file, err)
			}
			if c.APIVersion != "opentelemetry.io/v1beta1" || c.Kind != "OpenTelemetryCollector" || c.Namespace != "tracemap" {
				t.Errorf("%s: %s %s in namespace %q", r.file, c.APIVersion, c.Kind, c.Namespace)
			}
			if c.Spec.Mode != r.mode {
				t.Errorf("%s: mode %q, want %q", r.file, c.Spec.Mode, r.mode)
			}
			if want := "ghcr.io/tracemap/otelcol-tracemap:" + version; c.Spec.Image != want {
				t.Errorf("%s: image %q, want %q (the tag is builder-config.yaml's dist.version)", r.file, c.Spec.Image, want)
			}
			if c.Spec.UpgradeStrategy != v1beta1.UpgradeStrategyNone {
				t.Errorf("%s: upgradeStrategy %q: the operator must not rewrite a config of a distribution it does not know", r.file, c.Spec.UpgradeStrategy)
			}

			// The operator reads the same pipelines as the collector will.
			var ex struct {
				Service struct {
					Pipelines map[string]*v1beta1.Pipeline `json:"pipelines"`
				} `json:"service"`
			}
			if err := yaml.Unmarshal(example, &ex); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Spec.Config.Service.Pipelines, ex.Service.Pipelines) || len(ex.Service.Pipelines) == 0 {
				t.Errorf("%s: pipelines %v, the example has %v", r.file, c.Spec.Config.Service.Pipelines, ex.Service.Pipelines)
			}
		})
	}
}

// A misspelt field fails the strict decoding this test relies on.
func TestStrictDecodingCatchesTypos(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, resources[0].file))
	if err != nil {
		t.Fatal(err)
	}
	typo := regexp.MustCompile(`(?m)^  replicas:`).ReplaceAll(data, []byte("  replica:"))
	var c v1beta1.OpenTelemetryCollector
	err = yaml.UnmarshalStrict(typo, &c)
	if err == nil || !strings.Contains(err.Error(), `json: unknown field "replica"`) {
		t.Fatalf("decoding a resource with spec.replica: %v", err)
	}
}
