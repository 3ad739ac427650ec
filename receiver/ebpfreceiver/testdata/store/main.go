// Command store is a target program of the ebpf receiver's tests that uses
// database/sql, with a small in-memory driver of its own (standard library
// only), behind an HTTP server.
package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
)

// memDriver answers every query with one row holding the query's length,
// and fails statements that mention "missing_table", also prepared ones.
type memDriver struct{}

func (memDriver) Open(string) (driver.Conn, error) { return &memConn{}, nil }

type memConn struct{}

func (*memConn) Prepare(query string) (driver.Stmt, error) { return memStmt(query), nil }
func (*memConn) Close() error                              { return nil }
func (*memConn) Begin() (driver.Tx, error)                 { return nil, errors.New("begin: not supported") }

func check(query string) error {
	if strings.Contains(query, "missing_table") {
		return errors.New(`relation "missing_table" does not exist`)
	}
	return nil
}

func (*memConn) QueryContext(_ context.Context, query string, _ []driver.NamedValue) (driver.Rows, error) {
	if err := check(query); err != nil {
		return nil, err
	}
	return &memRows{n: int64(len(query))}, nil
}

func (*memConn) ExecContext(_ context.Context, query string, _ []driver.NamedValue) (driver.Result, error) {
	if err := check(query); err != nil {
		return nil, err
	}
	return driver.RowsAffected(1), nil
}

// memStmt is a prepared statement: its query.
type memStmt string

func (memStmt) Close() error  { return nil }
func (memStmt) NumInput() int { return -1 }

func (s memStmt) Exec([]driver.Value) (driver.Result, error) {
	return (*memConn)(nil).ExecContext(context.Background(), string(s), nil)
}

func (s memStmt) Query([]driver.Value) (driver.Rows, error) {
	return (*memConn)(nil).QueryContext(context.Background(), string(s), nil)
}

type memRows struct {
	n    int64
	done bool
}

func (*memRows) Columns() []string { return []string{"n"} }
func (*memRows) Close() error      { return nil }
func (r *memRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	dest[0] = r.n
	return nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	sql.Register("mem", memDriver{})
	db, err := sql.Open("mem", "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Prepared statements, and the same three cases through them.
	stmts := map[string]*sql.Stmt{}
	for name, q := range map[string]string{
		"user":   "SELECT name FROM users WHERE id = ? AND note = 'private'",
		"add":    "INSERT INTO users (name, age) VALUES (?, 36)",
		"broken": "SELECT * FROM missing_table WHERE id = 7",
	} {
		if stmts[name], err = db.Prepare(q); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stmt/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		var n int64
		if err := stmts["user"].QueryRowContext(r.Context(), r.PathValue("id")).Scan(&n); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("POST /stmt/users", func(w http.ResponseWriter, r *http.Request) {
		if _, err := stmts["add"].ExecContext(r.Context(), "ada"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /stmt/broken", func(w http.ResponseWriter, r *http.Request) {
		if _, err := stmts["broken"].QueryContext(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		var n int64
		q := fmt.Sprintf("SELECT name FROM users WHERE id = %s AND note = 'private'", r.PathValue("id"))
		if err := db.QueryRowContext(r.Context(), q).Scan(&n); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%d", n)
	})
	mux.HandleFunc("POST /users", func(w http.ResponseWriter, r *http.Request) {
		if _, err := db.ExecContext(r.Context(), "INSERT INTO users (name, age) VALUES ('ada', 36)"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /broken", func(w http.ResponseWriter, r *http.Request) {
		if _, err := db.QueryContext(r.Context(), "SELECT * FROM missing_table"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	http.Serve(ln, mux)
}
