// Command whoami is a server-only target program (no HTTP client, so the
// linker drops the client's types from its DWARF), standard library only,
// so that the tests can build it with every supported Go release.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /who/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "I am %s\n", r.PathValue("name"))
	})
	mux.HandleFunc("POST /fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusServiceUnavailable)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	http.Serve(ln, mux)
}
