package collectortest

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestRenderSetsPortsAndHealth(t *testing.T) {
	ports := &Ports{GRPC: "127.0.0.1:1001", HTTP: "127.0.0.1:1002", Health: "127.0.0.1:1003", Telemetry: "127.0.0.1:1004", extra: map[string]string{}}
	cfg := `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
exporters:
  file:
    path: {{.Dir}}/x.jsonl
  otlp:
    endpoint: {{.Port "peer"}}
service:
  extensions: [zpages]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [file]
`
	out, err := render(cfg, templateData{Ports: ports, Dir: "/tmp/o"})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	grpc := got["receivers"].(map[string]any)["otlp"].(map[string]any)["protocols"].(map[string]any)["grpc"].(map[string]any)
	if grpc["endpoint"] != "127.0.0.1:1001" {
		t.Errorf("grpc endpoint %v", grpc["endpoint"])
	}
	if _, ok := got["receivers"].(map[string]any)["otlp"].(map[string]any)["protocols"].(map[string]any)["http"]; ok {
		t.Error("render added an http protocol the config did not ask for")
	}
	if p := got["exporters"].(map[string]any)["file"].(map[string]any)["path"]; p != "/tmp/o/x.jsonl" {
		t.Errorf("file path %v", p)
	}
	if p := got["exporters"].(map[string]any)["otlp"].(map[string]any)["endpoint"]; p != ports.extra["peer"] || p == "" {
		t.Errorf("extra port %v", p)
	}
	exts := got["service"].(map[string]any)["extensions"].([]any)
	if len(exts) != 2 || exts[0] != "zpages" || exts[1] != "health_check" {
		t.Errorf("service extensions %v", exts)
	}
	if !strings.Contains(string(out), "port: 1004") {
		t.Errorf("telemetry port missing:\n%s", out)
	}
}

func TestRenderRejectsUnknownField(t *testing.T) {
	_, err := render("x: {{.Nope}}", templateData{Ports: &Ports{extra: map[string]string{}}})
	if err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseMetricsSumsLabelSets(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(`# HELP x
otelcol_receiver_accepted_spans{receiver="otlp",transport="grpc"} 10
otelcol_receiver_accepted_spans{receiver="otlp",transport="http"} 5
otelcol_process_cpu_seconds 1.5
`))
	if err != nil {
		t.Fatal(err)
	}
	if m["otelcol_receiver_accepted_spans"] != 15 || m["otelcol_process_cpu_seconds"] != 1.5 ||
		m[`otelcol_receiver_accepted_spans{receiver="otlp",transport="http"}`] != 5 {
		t.Fatalf("%v", m)
	}
}

func TestLiteralKeepsBraces(t *testing.T) {
	in := "key: \"{{.TraceID}}.svg\"\nx: \"}} {{\""
	out, err := render(Literal(in), templateData{Ports: &Ports{extra: map[string]string{}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "{{.TraceID}}.svg") || !strings.Contains(string(out), "}} {{") {
		t.Fatalf("braces not kept:\n%s", out)
	}
}
