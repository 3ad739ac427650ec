package need

import (
	"os/exec"
	"testing"
)

func TestToolFindsWhatIsOnPath(t *testing.T) {
	want, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	if got := Tool(t, "", "no-such-tool-tracemap", "sh"); got != want {
		t.Fatalf("Tool = %q, want %q", got, want)
	}
}

// fakeTB records how a prerequisite check ended without ending the real test.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Skip(args ...any)                  { f.skipped = args[0].(string) }
func (f *fakeTB) Fatalf(format string, args ...any) { f.failed = format }

func TestMissingSkipsOutsideCIAndFailsInCI(t *testing.T) {
	t.Setenv("CI", "")
	f := &fakeTB{TB: t}
	Tool(f, "apt-get install nothing", "no-such-tool-tracemap")
	if f.skipped != "no-such-tool-tracemap is not installed (apt-get install nothing)" || f.failed != "" {
		t.Fatalf("outside CI: skipped %q, failed %q", f.skipped, f.failed)
	}
	t.Setenv("CI", "true")
	f = &fakeTB{TB: t}
	Tool(f, "apt-get install nothing", "no-such-tool-tracemap")
	if f.failed == "" || f.skipped != "" {
		t.Fatalf("under CI=true: skipped %q, failed %q", f.skipped, f.failed)
	}
}
