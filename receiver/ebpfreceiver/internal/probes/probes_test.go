//go:build linux && amd64

package probes

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/gobin"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

func TestServerSpanEvent(t *testing.T) {
	targettest.RequireBPF(t)
	bin := targettest.Build(t, "shop", false)
	tg := targettest.Start(t, bin)

	p, err := Load(1 << 16)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	b, err := gobin.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	prep, err := Prepare(b, Options{Functions: []string{"main.chargeCard", "main.absent"}, Goroutines: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(prep.Missing) != 1 || prep.Missing[0] != "main.absent" {
		t.Errorf("Missing = %v, want [main.absent]", prep.Missing)
	}
	proc, err := p.Attach(tg.PID, prep)
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Close()
	resp, err := http.Get(tg.URL + "/users/42")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	ev := readSpan(t, p)
	t.Logf("%+v", ev)
	if ev.Kind != KindServer || ev.Method != "GET" || ev.Path != "/users/42" || ev.Route != "GET /users/{id}" || ev.Status != 200 {
		t.Fatalf("unexpected span %+v", ev)
	}
}

func readSpan(t *testing.T, p *Probes) *Span {
	t.Helper()
	done := make(chan *Span, 1)
	go func() {
		for {
			ev, err := p.Read()
			if err != nil {
				close(done)
				return
			}
			if ev.Span != nil {
				done <- ev.Span
				return
			}
		}
	}()
	select {
	case s := <-done:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no span event")
	}
	return nil
}

func TestMain(m *testing.M) { os.Exit(targettest.Main(m)) }

func TestLoadWithoutUprobes(t *testing.T) {
	defer func(p string) { uprobePMU = p }(uprobePMU)
	uprobePMU = filepath.Join(t.TempDir(), "missing")
	_, err := Load(1 << 16)
	if !errors.Is(err, ErrNoUprobes) || err.Error() != "uprobes not supported by this kernel" {
		t.Fatalf("Load = %v", err)
	}
}

// A prepared statement's span knows its driver as a DB query's does: the
// connection it runs on is read where the statement gets it.
func TestPreparedStatementDriver(t *testing.T) {
	targettest.RequireBPF(t)
	tg := targettest.Start(t, targettest.BuildProgram(t, "store", "store", false))
	p, err := Load(1 << 16)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	b, err := gobin.Open(targettest.Paths("store")[0])
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	prep, err := Prepare(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	proc, err := p.Attach(tg.PID, prep)
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Close()
	for _, tc := range []struct {
		path, query string
		prepared    bool
	}{
		{"/users/42", "SELECT name FROM users WHERE id = 42 AND note = 'private'", false},
		{"/stmt/users/42", "SELECT name FROM users WHERE id = ? AND note = 'private'", true},
	} {
		resp, err := http.Get(tg.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var db *Span
		for db == nil {
			if ev := readSpan(t, p); ev.Kind == KindDB {
				db = ev
			}
		}
		if db.Path != tc.query || (db.FuncID&2 != 0) != tc.prepared || proc.DriverMethod(db.DriverFn) != "main.(*memConn).Prepare" {
			t.Errorf("%s: db span %q fn %d driver %q", tc.path, db.Path, db.FuncID, proc.DriverMethod(db.DriverFn))
		}
	}
}
