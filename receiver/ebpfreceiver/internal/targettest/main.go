package targettest

import (
	"os"
	"sync"
	"testing"
)

var (
	mu     sync.Mutex
	dir    string
	builds = map[string]string{}
	byName = map[string][]string{}
)

// Main runs the tests and removes the binaries Build made. Use it from
// TestMain: os.Exit(targettest.Main(m)).
func Main(m *testing.M) int { return Wrap(m).Run() }

// Wrap is m with the removal of the binaries Build made after its run, for
// goleak.VerifyTestMain(targettest.Wrap(m)).
func Wrap(m *testing.M) interface{ Run() int } { return cleanup{m} }

type cleanup struct{ m *testing.M }

func (c cleanup) Run() int {
	code := c.m.Run()
	mu.Lock()
	defer mu.Unlock()
	if dir != "" {
		os.RemoveAll(dir)
	}
	return code
}
