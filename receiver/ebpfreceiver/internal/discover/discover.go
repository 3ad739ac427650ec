//go:build linux

// Package discover finds the processes to trace: by PID, by executable path
// and by executable name, scanning /proc at start; processes started later
// are checked one by one as the exec tracepoint reports them.
package discover

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Matcher decides whether a process is a target.
type Matcher struct {
	pids  map[int]bool
	paths map[string]bool
	names map[string]bool
	proc  string // /proc, replaceable in tests
}

// NewMatcher matches processes by PID, by executable path (symlinks
// resolved) and by executable file name.
func NewMatcher(pids []int, paths, names []string) *Matcher {
	m := &Matcher{pids: map[int]bool{}, paths: map[string]bool{}, names: map[string]bool{}, proc: "/proc"}
	for _, p := range pids {
		m.pids[p] = true
	}
	for _, p := range paths {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		m.paths[filepath.Clean(p)] = true
	}
	for _, n := range names {
		m.names[n] = true
	}
	return m
}

// Process is a matched process.
type Process struct {
	PID int
	// Exe is the executable's path as the kernel reports it.
	Exe string
}

// Match reports whether pid is a target and the path of its executable.
func (m *Matcher) Match(pid int) (Process, bool) {
	exe, err := os.Readlink(fmt.Sprintf("%s/%d/exe", m.proc, pid))
	if err != nil {
		return Process{}, false // gone, or a kernel thread
	}
	exe = strings.TrimSuffix(exe, " (deleted)")
	if m.pids[pid] || m.paths[exe] || m.names[filepath.Base(exe)] {
		return Process{PID: pid, Exe: exe}, true
	}
	return Process{}, false
}

// Scan returns every running process that matches.
func (m *Matcher) Scan() ([]Process, error) {
	entries, err := os.ReadDir(m.proc)
	if err != nil {
		return nil, err
	}
	var out []Process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if p, ok := m.Match(pid); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// Alive reports whether the process still exists.
func (m *Matcher) Alive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("%s/%d", m.proc, pid))
	return err == nil
}

// Names are the executable file names a newly started process can match
// by: the configured names and the file names of the configured paths.
func (m *Matcher) Names() []string {
	var out []string
	for n := range m.names {
		out = append(out, n)
	}
	for p := range m.paths {
		out = append(out, filepath.Base(p))
	}
	return out
}
