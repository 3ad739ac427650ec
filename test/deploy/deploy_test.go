//go:build e2e

// Package deploy checks the shipped collector configs and Kubernetes
// manifests: every config in examples/ and in the ConfigMaps under
// deploy/kubernetes passes the distribution's own `validate`, the ConfigMaps
// carry exactly the example configs they are generated from, and the
// workloads have what running them safely needs.
package deploy

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
)

var update = flag.Bool("update", false, "rewrite the ConfigMaps in deploy/kubernetes from their example configs")

const sourceAnnotation = "tracemap.io/source"

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := collectortest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// object is the part of a Kubernetes object these tests read.
type object struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name        string            `yaml:"name"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec struct {
		ClusterIP   string `yaml:"clusterIP"`
		ServiceName string `yaml:"serviceName"`
		Template    struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
		VolumeClaimTemplates []struct {
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
		} `yaml:"volumeClaimTemplates"`
	} `yaml:"spec"`
	file string
}

type podSpec struct {
	Containers []container `yaml:"containers"`
	Volumes    []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
	} `yaml:"volumes"`
}

type container struct {
	Name  string   `yaml:"name"`
	Args  []string `yaml:"args"`
	Env   []envVar `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	VolumeMounts   []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type envVar struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

// manifests reads every object of every YAML file in deploy/kubernetes.
func manifests(t *testing.T) []object {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "deploy", "kubernetes")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s (%v)", dir, err)
	}
	var objs []object
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var o object
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			o.file = filepath.Base(f)
			objs = append(objs, o)
		}
	}
	return objs
}

func validate(t *testing.T, path string) {
	t.Helper()
	cmd := exec.Command(collectortest.Binary(t), "validate", "--config", path)
	// The configs take their deployment specifics from the environment with
	// defaults; validate them as a fresh machine sees them.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s does not validate: %v\n%s", path, err, out)
	}
}

// Every YAML file under examples/ and the load harness's configs in
// test/load are collector configs.
func TestExampleConfigsValidate(t *testing.T) {
	root := repoRoot(t)
	var n int
	check := func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
			return err
		}
		n++
		rel, _ := filepath.Rel(root, path)
		t.Run(rel, func(t *testing.T) { validate(t, path) })
		return nil
	}
	for _, dir := range []string{"examples", filepath.Join("test", "load")} {
		if err := filepath.WalkDir(filepath.Join(root, dir), check); err != nil {
			t.Fatal(err)
		}
	}
	if n < 6 {
		t.Fatalf("found %d configs, want at least the three gateway examples and three load configs", n)
	}
}

func TestConfigMapsValidate(t *testing.T) {
	var n int
	for _, o := range manifests(t) {
		if o.Kind != "ConfigMap" {
			continue
		}
		for key, cfg := range o.Data {
			if filepath.Ext(key) != ".yaml" {
				continue
			}
			n++
			t.Run(o.Metadata.Name+"/"+key, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), key)
				if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
					t.Fatal(err)
				}
				validate(t, path)
			})
		}
	}
	if n != 2 {
		t.Fatalf("found %d collector configs in ConfigMaps, want 2 (tier 1 and tier 2)", n)
	}
}

// configMap is the generated text of a ConfigMap carrying the config at src
// (relative to the repository root) under config.yaml.
func configMap(name, src, comment string, cfg []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n# Generated from %s: test/deploy fails when the two differ\n", comment, src)
	b.WriteString("# (regenerate: go test ./test/deploy -run TestConfigMapsMatchExamples -update).\n")
	fmt.Fprintf(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: tracemap\n", name)
	fmt.Fprintf(&b, "  annotations:\n    %s: %s\ndata:\n  config.yaml: |\n", sourceAnnotation, src)
	for _, line := range strings.SplitAfter(string(cfg), "\n") {
		if strings.TrimSpace(line) == "" {
			b.WriteString(strings.TrimLeft(line, " \t"))
			continue
		}
		b.WriteString("    " + line)
	}
	return b.Bytes()
}

// The ConfigMaps are copies of the example configs, kept in step by this test.
func TestConfigMapsMatchExamples(t *testing.T) {
	root := repoRoot(t)
	for _, cm := range []struct{ file, name, src, comment string }{
		{"tier1-configmap.yaml", "tracemap-tier1", "examples/gateway/tier1-dns.yaml",
			"Tier-1 collector config (DNS resolver over the gateways' headless service)."},
		{"tier2-configmap.yaml", "tracemap-gateway", "examples/gateway/tier2.yaml", "Tier-2 gateway config."},
	} {
		src, err := os.ReadFile(filepath.Join(root, cm.src))
		if err != nil {
			t.Fatal(err)
		}
		want := configMap(cm.name, cm.src, cm.comment, src)
		path := filepath.Join(root, "deploy", "kubernetes", cm.file)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("deploy/kubernetes/%s is not the ConfigMap of %s; run go test ./test/deploy -run TestConfigMapsMatchExamples -update", cm.file, cm.src)
		}
		// The generated text must also read back as the config itself.
		var o object
		if err := yaml.Unmarshal(got, &o); err != nil {
			t.Fatalf("%s: %v", cm.file, err)
		}
		if o.Data["config.yaml"] != string(src) || o.Metadata.Annotations[sourceAnnotation] != cm.src {
			t.Errorf("%s does not carry %s verbatim under config.yaml", cm.file, cm.src)
		}
	}
}

// Every collector workload mounts its ConfigMap, is probed on health_check,
// has requests and limits; the gateways have a volume for the persistent
// queue and the headless service the tier-1 DNS resolver is pointed at.
func TestWorkloads(t *testing.T) {
	objs := manifests(t)
	configMaps := map[string]string{}
	headless := map[string]bool{}
	for _, o := range objs {
		switch o.Kind {
		case "ConfigMap":
			configMaps[o.Metadata.Name] = o.Data["config.yaml"]
		case "Service":
			if o.Spec.ClusterIP == "None" {
				headless[o.Metadata.Name] = true
			}
		}
	}
	workloads := map[string]object{}
	for _, o := range objs {
		if o.Kind != "Deployment" && o.Kind != "StatefulSet" {
			continue
		}
		workloads[o.Kind] = o
		pod := o.Spec.Template.Spec
		if len(pod.Containers) != 1 {
			t.Fatalf("%s %s: want one collector container", o.Kind, o.Metadata.Name)
		}
		c := pod.Containers[0]
		var cfg string
		for _, v := range pod.Volumes {
			if v.ConfigMap != nil {
				cfg = configMaps[v.ConfigMap.Name]
			}
		}
		if cfg == "" {
			t.Errorf("%s %s mounts no known collector ConfigMap", o.Kind, o.Metadata.Name)
		}
		for _, r := range []string{"cpu", "memory"} {
			if c.Resources.Requests[r] == "" || c.Resources.Limits[r] == "" {
				t.Errorf("%s %s: %s request and limit required (memory_limiter works from the limit)", o.Kind, o.Metadata.Name, r)
			}
		}
		healthPort := 0
		for _, p := range c.Ports {
			if p.Name == "health" {
				healthPort = p.ContainerPort
			}
		}
		if want := fmt.Sprintf("0.0.0.0:%d", healthPort); !strings.Contains(cfg, "health_check:\n    endpoint: "+want) {
			t.Errorf("%s %s: port 'health' (%d) is not the config's health_check endpoint", o.Kind, o.Metadata.Name, healthPort)
		}
		for name, p := range map[string]*probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
			if p == nil || p.HTTPGet == nil || p.HTTPGet.Port != "health" {
				t.Errorf("%s %s: %s probe must GET the health_check port", o.Kind, o.Metadata.Name, name)
			}
		}
		env := map[string]string{}
		for _, e := range c.Env {
			env[e.Name] = e.Value
		}
		switch o.Kind {
		case "StatefulSet":
			if !headless[o.Spec.ServiceName] {
				t.Errorf("StatefulSet %s: serviceName %q is not a headless service", o.Metadata.Name, o.Spec.ServiceName)
			}
			queue := env["TRACEMAP_QUEUE_DIR"]
			onClaim := false
			for _, m := range c.VolumeMounts {
				for _, vc := range o.Spec.VolumeClaimTemplates {
					if m.Name == vc.Metadata.Name && queue != "" && strings.HasPrefix(queue+"/", m.MountPath+"/") {
						onClaim = true
					}
				}
			}
			if !onClaim {
				t.Errorf("StatefulSet %s: TRACEMAP_QUEUE_DIR %q is not on a volumeClaimTemplate", o.Metadata.Name, queue)
			}
		case "Deployment":
			host := env["TRACEMAP_GATEWAY_SERVICE"]
			if name, _, _ := strings.Cut(host, "."); !headless[name] {
				t.Errorf("Deployment %s: TRACEMAP_GATEWAY_SERVICE %q does not name a headless service", o.Metadata.Name, host)
			}
		}
	}
	if len(workloads) != 2 {
		t.Fatalf("want a tier-1 Deployment and a tier-2 StatefulSet, found %v", workloads)
	}
}
