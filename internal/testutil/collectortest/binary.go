package collectortest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
)

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// DistroPath returns the distribution binary: $TRACEMAP_DISTRO when set (as
// `make test` does after building it), else distro/otelcol-tracemap brought up
// to date by `make build` once per test process. Concurrent test processes
// serialise the build on a lock file.
func DistroPath() (string, error) {
	buildOnce.Do(func() {
		if p := os.Getenv("TRACEMAP_DISTRO"); p != "" {
			buildPath, buildErr = filepath.Abs(p)
			if buildErr == nil {
				_, buildErr = os.Stat(buildPath)
			}
			return
		}
		root, err := RepoRoot()
		if err != nil {
			buildErr = err
			return
		}
		buildPath, buildErr = makeBuild(root)
	})
	return buildPath, buildErr
}

func makeBuild(root string) (string, error) {
	if err := os.MkdirAll(filepath.Join(root, "distro"), 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(root, "distro", ".build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck
	cmd := exec.Command("make", "-s", "build")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("make build: %w\n%s", err, out)
	}
	return filepath.Join(root, "distro", "otelcol-tracemap"), nil
}
