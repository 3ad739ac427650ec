// Command edge is a target program of the ebpf receiver's tests for the
// HTTP cases that are easy to get wrong: h2c (HTTP/2 with prior knowledge
// over cleartext, through golang.org/x/net/http2/h2c), a hijacked
// connection answering 101, panicking handlers, and middleware that copies
// the request before the inner ServeMux.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
)

type ctxKey struct{}

// withValue is middleware in the otelhttp / chi style: it hands the inner
// handler a copy of the request.
func withValue(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, 1)))
	})
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	cert := flag.String("cert", "", "serve HTTPS with this certificate (PEM), HTTP/2 set up by x/net's http2.ConfigureServer as Caddy does")
	key := flag.String("key", "", "the certificate's key (PEM)")
	flag.Parse()

	inner := http.NewServeMux()
	inner.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "item %s", r.PathValue("id"))
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	})
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		buf.Flush()
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	})
	mux.HandleFunc("GET /abort", func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	})
	mux.Handle("/strip/", http.StripPrefix("/strip", inner))
	outer := http.NewServeMux()
	outer.Handle("/mw/", withValue(http.StripPrefix("/mw", inner)))
	outer.Handle("/", mux)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	// The panics are the point: keep their stack traces out of the test log.
	quiet := log.New(io.Discard, "", 0)
	if *cert != "" {
		srv := &http.Server{Handler: outer, ErrorLog: quiet}
		if err := http2.ConfigureServer(srv, &http2.Server{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		srv.ServeTLS(ln, *cert, *key)
		return
	}
	srv := &http.Server{Handler: h2c.NewHandler(outer, &http2.Server{}), ErrorLog: quiet}
	srv.Serve(ln)
}
