//go:build e2e

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/loadgen"
)

// The full pipeline, with the file exporter writing what the svg exporter
// draws from: heatmap's and layout's tracemap.* values are in the file.
const collectorWithFile = `
receivers:
  otlp:
    protocols:
      grpc:
processors:
  heatmap:
  layout:
    wait: 100ms
exporters:
  svg:
    mode: all
    bucket: file://{{.Dir}}/pictures
    key: "{{"{{"}}.TraceID{{"}}"}}.svg"
    service_map:
      enabled: false
    index: {html: false, json: false}
  file:
    path: {{.Dir}}/traces.jsonl
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [heatmap, layout]
      exporters: [svg, file]
`

// TestRenderOfTheCollectorsOwnFile: a real run's traces.jsonl redraws byte
// for byte. Traffic arrives in several batches, so heatmap's figures differ
// from trace to trace (the window fills); tracemap render uses the figures
// each trace carries, not figures of its own.
func TestRenderOfTheCollectorsOwnFile(t *testing.T) {
	gen, err := loadgen.NewGenerator(loadgen.Shape{Services: 5, Depth: 2, Fanout: 2, ErrorShare: 0.4, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	c := collectortest.Start(t, collectorWithFile)
	const batches, per = 4, 3
	for range batches {
		c.SendGRPC(t, gen.Traces(per))
		time.Sleep(300 * time.Millisecond) // layout's wait: one batch at a time
	}
	online := filepath.Join(c.Dir, "pictures")
	collectortest.Eventually(t, 30*time.Second, func() bool {
		m, _ := filepath.Glob(filepath.Join(online, "*.svg"))
		return len(m) == batches*per
	})
	c.Stop(t)

	offline := t.TempDir()
	if code, _, stderr := runCLI(t, "render", "-out", offline, filepath.Join(c.Dir, "traces.jsonl")); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	pictures, _ := filepath.Glob(filepath.Join(online, "*.svg"))
	if len(pictures) != batches*per {
		t.Fatalf("collector drew %d pictures, want %d", len(pictures), batches*per)
	}
	for _, p := range pictures {
		want, _ := os.ReadFile(p)
		got, err := os.ReadFile(filepath.Join(offline, filepath.Base(p)))
		if err != nil {
			t.Fatalf("tracemap render did not draw %s: %v", filepath.Base(p), err)
		}
		if !bytes.Equal(got, want) {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			from := max(i-80, 0)
			t.Errorf("%s differs between tracemap render (%d bytes) and the collector (%d bytes) at byte %d:\n%q\n%q",
				filepath.Base(p), len(got), len(want), i, got[from:min(i+40, len(got))], want[from:min(i+40, len(want))])
		}
	}
}
