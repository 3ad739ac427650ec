// Package need is the one way a test asks for a tool or a privilege it cannot
// run without. Outside CI a missing prerequisite skips the test with a message
// that says how to get it; under CI=true the same message fails the test, so a
// green CI run means every test ran.
package need

import (
	"os"
	"os/exec"
	"testing"
)

// missing skips or, under CI=true, fails with msg.
func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and a prerequisite is missing: %s", msg)
		return
	}
	t.Skip(msg)
}

// Tool returns the path of the first of names found on $PATH, with how to
// install it (a Debian package name, say) in the message when none is.
func Tool(t testing.TB, install string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	missing(t, names[0]+" is not installed ("+install+")")
	return ""
}

// Chromium returns the browser: $TRACEMAP_CHROMIUM, else chromium on $PATH.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("TRACEMAP_CHROMIUM"); p != "" {
		return p
	}
	return Tool(t, "Debian package chromium", "chromium", "chromium-browser")
}

// Dot returns Graphviz's dot.
func Dot(t testing.TB) string {
	t.Helper()
	return Tool(t, "Debian package graphviz", "dot")
}

// Root requires uid 0 (uprobes, BPF maps, mounting a tmpfs); why says what for.
func Root(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "needs root: "+why)
	}
}

// BTF requires the kernel's BTF, which CO-RE eBPF programs load against.
func BTF(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		missing(t, "needs kernel BTF at /sys/kernel/btf/vmlinux")
	}
}
