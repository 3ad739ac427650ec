// Package profiletest records pprof profiles of real Go code for tests of
// what reads them.
package profiletest

import (
	"bytes"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// Spin keeps a CPU busy for d; in a CPU profile its frame is
// github.com/tracemap/tracemap/internal/testutil/profiletest.Spin.
//
//go:noinline
func Spin(d time.Duration) {
	x := 0
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := range 10000 {
			x += i * i % 7
		}
	}
	runtime.KeepAlive(x) // the work is not optimised away
}

// CPU records a CPU profile (gzip-compressed, as runtime/pprof writes it) of
// Spin until it holds at least minSamples samples, trying a few times on a
// busy machine, and returns it with its parsed form.
func CPU(t testing.TB, minSamples int) ([]byte, *profile.Profile) {
	t.Helper()
	for try := 0; ; try++ {
		var buf bytes.Buffer
		if err := pprof.StartCPUProfile(&buf); err != nil {
			t.Fatal(err)
		}
		Spin(400 * time.Millisecond)
		pprof.StopCPUProfile()
		p, err := profile.Parse(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Sample) >= minSamples || try == 5 {
			return buf.Bytes(), p
		}
	}
}
