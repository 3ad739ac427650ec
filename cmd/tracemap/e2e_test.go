//go:build e2e

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/loadgen"
)

const collectorSVG = `
receivers:
  otlp:
    protocols:
      http:
exporters:
  svg:
    mode: all
    bucket: file://{{.Dir}}/pictures
    key: "{{"{{"}}.TraceID{{"}}"}}.svg"
    service_map:
      enabled: false
    heat:
      threshold: 0.05
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [svg]
`

// A picture drawn offline is byte for byte the one the collector draws from
// the same data.
func TestRenderMatchesTheCollector(t *testing.T) {
	gen, err := loadgen.NewGenerator(loadgen.Shape{Services: 5, Depth: 2, Fanout: 2, ErrorShare: 0.3, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	td := gen.Traces(6)
	doc, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "traces.jsonl")
	if err := os.WriteFile(in, append(doc, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}

	offline := t.TempDir()
	if code, _, stderr := runCLI(t, "render", "-out", offline, in); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}

	c := collectortest.Start(t, collectorSVG)
	c.SendJSONFile(t, in) // one line: one batch, as the offline render sees it
	online := filepath.Join(c.Dir, "pictures")
	collectortest.Eventually(t, 30*time.Second, func() bool {
		m, _ := filepath.Glob(filepath.Join(online, "*.svg"))
		return len(m) == 6
	})
	c.Stop(t)

	pictures, _ := filepath.Glob(filepath.Join(offline, "*.svg"))
	if len(pictures) != 6 {
		t.Fatalf("offline render wrote %d pictures, want 6", len(pictures))
	}
	for _, p := range pictures {
		want, err := os.ReadFile(filepath.Join(online, filepath.Base(p)))
		if err != nil {
			t.Fatalf("collector did not draw %s: %v", filepath.Base(p), err)
		}
		got, _ := os.ReadFile(p)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs between tracemap render (%d bytes) and the collector (%d bytes)", filepath.Base(p), len(got), len(want))
		}
	}
}
