//go:build linux && amd64

package ebpfreceiver

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

// database/sql calls become CLIENT spans, children of the request's server
// span: the operation as the name, the statement without its literals,
// ERROR with error.type for a failing statement. The driver of
// testdata/store is its own, so db.system is other_sql.
func TestDatabaseSQLSpans(t *testing.T) {
	targettest.RequireBPF(t)
	tg := targettest.Start(t, targettest.BuildProgram(t, "store", "store", false))
	h := startReceiver(t, testConfig(Config{Names: []string{"store"}, RingBufferSize: 1 << 16}))
	for _, tc := range []struct {
		method, path, name, text string
		status                   ptrace.StatusCode
	}{
		{"GET", "/users/42", "SELECT", "SELECT name FROM users WHERE id = ? AND note = ?", ptrace.StatusCodeUnset},
		{"POST", "/users", "INSERT", "INSERT INTO users (name, age) VALUES (?, ?)", ptrace.StatusCodeUnset},
		{"GET", "/broken", "SELECT", "SELECT * FROM missing_table", ptrace.StatusCodeError},
		// Prepared statements (Stmt.QueryContext, Stmt.ExecContext).
		{"GET", "/stmt/users/42", "SELECT", "SELECT name FROM users WHERE id = ? AND note = ?", ptrace.StatusCodeUnset},
		{"POST", "/stmt/users", "INSERT", "INSERT INTO users (name, age) VALUES (?, ?)", ptrace.StatusCodeUnset},
		{"GET", "/stmt/broken", "SELECT", "SELECT * FROM missing_table WHERE id = ?", ptrace.StatusCodeError},
	} {
		timed(t, tc.method, tg.URL+tc.path, nil)
		spans := h.wait(t, 2)
		var srv, db rec
		for _, r := range spans {
			if r.span.Kind() == ptrace.SpanKindServer {
				srv = r
			} else {
				db = r
			}
		}
		if db.span.Name() != tc.name || db.span.Kind() != ptrace.SpanKindClient || db.span.Status().Code() != tc.status {
			t.Errorf("%s: db span %q kind %v status %v", tc.path, db.span.Name(), db.span.Kind(), db.span.Status().Code())
		}
		if db.span.ParentSpanID() != srv.span.SpanID() || db.span.TraceID() != srv.span.TraceID() {
			t.Errorf("%s: db span is not the child of the server span", tc.path)
		}
		want := map[string]any{"db.system": "other_sql", "db.query.text": tc.text, "db.operation.name": tc.name, "error.type": nil}
		if tc.status == ptrace.StatusCodeError {
			want["error.type"] = "_OTHER"
		}
		wantAttrs(t, db, want)
	}
}

func TestDBSystem(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/lib/pq.(*conn).Prepare":                   "postgresql",
		"github.com/jackc/pgx/v5/stdlib.(*Conn).Prepare":      "postgresql",
		"github.com/go-sql-driver/mysql.(*mysqlConn).Prepare": "mysql",
		"modernc.org/sqlite.(*conn).Prepare":                  "sqlite",
		"main.(*memConn).Prepare":                             "other_sql",
		"":                                                    "other_sql",
	} {
		if got := dbSystem(in); got != want {
			t.Errorf("dbSystem(%q) = %q, want %q", in, got, want)
		}
	}
}
