//go:build linux

package discover

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeProc builds a /proc-like tree whose exe links point at the given paths.
func fakeProc(t *testing.T, exes map[int]string) string {
	dir := t.TempDir()
	for pid, exe := range exes {
		d := filepath.Join(dir, itoa(pid))
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(exe, filepath.Join(d, "exe")); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, "self"), 0o755)
	return dir
}

func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }

func TestMatcher(t *testing.T) {
	bin := t.TempDir()
	shop := filepath.Join(bin, "shop")
	os.WriteFile(shop, nil, 0o755)
	m := NewMatcher([]int{12}, []string{shop}, []string{"payment"})
	m.proc = fakeProc(t, map[int]string{
		11: shop,
		12: "/usr/bin/other",
		13: "/opt/x/payment (deleted)",
		14: "/usr/bin/bash",
	})
	got, err := m.Scan()
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{11: shop, 12: "/usr/bin/other", 13: "/opt/x/payment"}
	if len(got) != len(want) {
		t.Fatalf("Scan = %+v, want pids 11, 12, 13", got)
	}
	for _, p := range got {
		if want[p.PID] != p.Exe {
			t.Errorf("pid %d: exe %q, want %q", p.PID, p.Exe, want[p.PID])
		}
	}
	if _, ok := m.Match(99); ok {
		t.Error("a missing pid matched")
	}
	if !m.Alive(14) || m.Alive(99) {
		t.Error("Alive wrong")
	}
}
