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
// and fails statements that mention "missing_table".
type memDriver struct{}

func (memDriver) Open(string) (driver.Conn, error) { return &memConn{}, nil }

type memConn struct{}

func (*memConn) Prepare(string) (driver.Stmt, error) {
	return nil, errors.New("prepare: not supported")
}
func (*memConn) Close() error              { return nil }
func (*memConn) Begin() (driver.Tx, error) { return nil, errors.New("begin: not supported") }

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
	mux := http.NewServeMux()
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
