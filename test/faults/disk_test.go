//go:build e2e

package faults

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/need"
)

// smallDisk mounts a tmpfs of size bytes (needs root, as in CI).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	need.Root(t, "mounting a small tmpfs (CI runs as root)")
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{'x'}, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// A full disk under the file:// bucket: writes fail with a clear error, the
// collector keeps accepting and stays healthy, and once space returns every
// queued picture is written.
func TestDiskFullOnFileBucket(t *testing.T) {
	disk := smallDisk(t, "8m")
	out := filepath.Join(disk, "out")
	// The default URL: internal/bucket.Resolve makes temporary files next
	// to their target, so a bucket on another mount than /tmp works as is.
	c := startGateway(t, "file://"+out)

	var next atomic.Uint64
	sendNormal(t, c, &next, 10)
	collectortest.Eventually(t, 30*time.Second, func() bool { return rendered(t, c) == 10 })

	filler := filepath.Join(disk, "filler")
	fill(t, filler)
	for range 5 {
		sendNormal(t, c, &next, 10)
		time.Sleep(500 * time.Millisecond)
	}
	collectortest.Eventually(t, 30*time.Second, func() bool {
		return c.MetricWith(t, "otelcol_exporter_svg_write_errors", `kind="trace"`) > 0
	})
	if !healthy(t, c) {
		t.Fatal("collector died on a full disk")
	}
	if r := c.Metric(t, "otelcol_receiver_refused_spans"); r != 0 {
		t.Errorf("collector refused %v spans because the disk was full", r)
	}
	if got := rendered(t, c); got != 10 {
		t.Errorf("%v pictures counted as written on a full disk", got)
	}
	log, err := os.ReadFile(c.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "no space left on device") {
		t.Error("the log does not say the disk is full")
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	sent := int(next.Load())
	collectortest.Eventually(t, 60*time.Second, func() bool { return rendered(t, c) == float64(sent) })
	if got := len(picturesIn(t, out)); got != sent {
		t.Errorf("%d pictures on disk, %d traces sent", got, sent)
	}
	c.Stop(t)
}
