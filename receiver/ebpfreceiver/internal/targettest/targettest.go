//go:build linux

// Package targettest builds and runs the target programs of the ebpf
// receiver's tests (testdata/shop) and skips tests that cannot load BPF.
package targettest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracemap/tracemap/internal/testutil/need"
)

// RequireBPF needs root on a kernel with BTF, the two things loading the
// receiver's programs needs (skipped without, failed under CI=true).
func RequireBPF(t testing.TB) {
	t.Helper()
	need.Root(t, "uprobes and BPF maps; run `sudo go test`")
	need.BTF(t)
}

func programDir(program string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", program)
}

// runTag sets this test binary's target programs apart from those of a
// concurrent run of the same tests elsewhere on the machine: the PID of the
// test binary, unique among running processes, in base 36.
var runTag = strconv.FormatInt(int64(os.Getpid()), 36)

// Name is the executable file name of the program that Build calls name:
// name-<run tag>. Receivers select processes by executable path and hold
// new ones by file name (the kernel's comm, 15 bytes, which this fits for
// names up to 9 bytes), so with it neither this run's receivers nor a
// concurrent run's see the other's processes.
func Name(name string) string { return name + "-" + runTag }

// Build compiles testdata/shop, an HTTP server, into a binary called
// Name(name), once per test binary. A stripped build has neither .symtab nor DWARF
// (-ldflags=-s -w).
func Build(t testing.TB, name string, stripped bool) string {
	t.Helper()
	return BuildProgram(t, "shop", name, stripped)
}

// BuildProgram compiles testdata/<program> like Build.
func BuildProgram(t testing.TB, program, name string, stripped bool) string {
	t.Helper()
	var flags []string
	if stripped {
		flags = append(flags, "-ldflags=-s -w")
	}
	return BuildWith(t, program, name, flags...)
}

// BuildWith compiles testdata/<program> with extra go build flags, such as
// -buildmode=pie.
func BuildWith(t testing.TB, program, name string, flags ...string) string {
	t.Helper()
	return BuildToolchain(t, "", program, name, flags...)
}

// BuildToolchain compiles testdata/<program> like BuildWith with another Go
// release (a GOTOOLCHAIN value such as go1.23.12, fetched through the module
// proxy the first time). The program is copied into a module of its own
// that asks for Go 1.23, so it must use the standard library only. An
// empty toolchain builds in this module with the installed Go.
func BuildToolchain(t testing.TB, toolchain, program, name string, flags ...string) string {
	t.Helper()
	gomod := ""
	if toolchain != "" {
		gomod = "module " + program + "\n\ngo 1.23\n"
	}
	return build(t, toolchain, gomod, program, name, flags...)
}

// BuildRequiring compiles testdata/<program> like BuildWith against
// another release of a module it uses (google.golang.org/grpc v1.64.1,
// say; fetched through the module proxy the first time), in a module of
// its own.
func BuildRequiring(t testing.TB, program, module, version, name string, flags ...string) string {
	t.Helper()
	return build(t, "local", "module "+program+"\n\ngo 1.23\n\nrequire "+module+" "+version+"\n", program, name, flags...)
}

// build compiles testdata/<program> into Name(name), in this module with
// the installed Go when gomod is empty, else copied into a module of its
// own with that go.mod, built with toolchain (a GOTOOLCHAIN value).
func build(t testing.TB, toolchain, gomod, program, name string, flags ...string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	key := strings.NewReplacer("/", "_", " ", "_", "=", "_", "\n", "_").Replace(strings.Join(append([]string{toolchain, gomod, program, name}, flags...), "-"))
	if out, ok := builds[key]; ok {
		return out
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "tracemap-ebpf-targets")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
	}
	sub := filepath.Join(dir, key)
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(sub, Name(name))
	args := append([]string{"build", "-o", out}, flags...)
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = programDir(program)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if gomod != "" {
		src := filepath.Join(sub, "src")
		if err := os.MkdirAll(src, 0o755); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(cmd.Dir, "*.go"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(src, filepath.Base(f)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte(gomod), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd.Dir = src
		cmd.Env = append(cmd.Env, "GOTOOLCHAIN="+toolchain, "GOFLAGS=-mod=mod")
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", name, err, b)
	}
	builds[key] = out
	byName[name] = append(byName[name], out)
	return out
}

// Paths are the binaries this test binary built as name. Tests configure
// the receiver with them rather than with a file name, so that only this
// run's processes match.
func Paths(name string) []string {
	mu.Lock()
	defer mu.Unlock()
	return append([]string(nil), byName[name]...)
}

// Target is a running target program.
type Target struct {
	Cmd  *exec.Cmd
	PID  int
	Addr string // host:port a server listens on
	URL  string // http://Addr
}

// Start runs bin with args and waits until it prints "listening on ADDR"
// (a server) or "ready". The process is killed when the test ends.
func Start(t testing.TB, bin string, args ...string) *Target {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tg := &Target{Cmd: cmd, PID: cmd.Process.Pid}
	t.Cleanup(func() { tg.Stop() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok || sc.Text() == "ready" {
				lines <- addr
			}
		}
	}()
	select {
	case tg.Addr = <-lines:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not start", bin)
	}
	if tg.Addr != "" {
		tg.URL = "http://" + tg.Addr
	}
	return tg
}

// Stop kills the process and waits for it.
func (tg *Target) Stop() {
	if tg.Cmd.ProcessState != nil {
		return
	}
	tg.Cmd.Process.Kill()
	tg.Cmd.Wait()
}
