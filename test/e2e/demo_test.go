//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
)

// The demo (`make demo`) shows pictures: the demo shop's traffic through
// examples/demo/config.yaml yields trace pictures, a service map and an index.
func TestDemoProducesPictures(t *testing.T) {
	root, err := collectortest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(root, "examples", "demo", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	shop := filepath.Join(t.TempDir(), "demoshop")
	if out, err := exec.Command("go", "build", "-o", shop, filepath.Join(root, "cmd", "demoshop")).CombinedOutput(); err != nil {
		t.Fatalf("build demoshop: %v\n%s", err, out)
	}
	c := collectortest.Start(t, collectortest.Literal(string(cfg)))
	shippingAddr, err := c.Port("shipping")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	shipping := exec.CommandContext(ctx, shop, "-role", "shipping", "-shipping", shippingAddr)
	if err := shipping.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shipping.Process.Kill(); _ = shipping.Wait() }()
	out, err := exec.CommandContext(ctx, shop, "-collector", c.GRPC, "-shipping", shippingAddr, "-rate", "30", "-duration", "8s").CombinedOutput()
	if err != nil {
		t.Fatalf("demoshop: %v\n%s", err, out)
	}
	traces := func() []string {
		m, _ := filepath.Glob(filepath.Join(c.Dir, "windows", "*", "*", "exemplars", "*.svg"))
		return m
	}
	// decision_wait is 5s; the exemplars follow when their 10s window ends.
	collectortest.Eventually(t, 20*time.Second, func() bool { return len(traces()) > 0 })
	c.Stop(t) // ends the service-map window and writes the listings

	pics := traces()
	t.Logf("%d trace pictures", len(pics))
	// Requests cut short when the shop stops make a few partial traces, so
	// these are shares, not every picture.
	withShipping, failing := 0, 0
	for _, p := range pics {
		text := collectortest.SVGText(t, p)
		if strings.Contains(text, "shipping") {
			withShipping++
		}
		if strings.Contains(text, "status: ERROR") {
			failing++
		}
	}
	if withShipping < len(pics)*8/10 {
		t.Errorf("%d of %d pictures show the uninstrumented shipping service", withShipping, len(pics))
	}
	if failing == 0 || failing == len(pics) {
		t.Errorf("%d of %d pictures show failures; payment fails 15%% of calls", failing, len(pics))
	}
	maps, _ := filepath.Glob(filepath.Join(c.Dir, "windows", "*", "*", "servicemap-*.svg"))
	if len(maps) == 0 {
		t.Fatal("no service map written")
	}
	mapText := collectortest.SVGText(t, maps[len(maps)-1])
	for _, svc := range []string{"frontend", "checkout", "payment", "inventory", "shipping"} {
		if !strings.Contains(mapText, svc) {
			t.Errorf("service map lacks %s", svc)
		}
	}
	days, _ := filepath.Glob(filepath.Join(c.Dir, "windows", "*", "index.html"))
	if len(days) == 0 {
		t.Fatal("no windows/<day>/index.html")
	}
	idx, err := os.ReadFile(days[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(idx), "/index-") {
		t.Fatal("the day's index.html lists no window page")
	}
}

// make demo adds the ebpf receiver as a second --config when run as root.
func TestDemoEBPFOverlayValidates(t *testing.T) {
	root, err := collectortest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	demo := filepath.Join(root, "examples", "demo")
	out, err := exec.Command(collectortest.Binary(t), "validate",
		"--config", filepath.Join(demo, "config.yaml"), "--config", filepath.Join(demo, "ebpf-overlay.yml")).CombinedOutput()
	if err != nil {
		t.Fatalf("demo config with the ebpf overlay does not validate: %v\n%s", err, out)
	}
}
