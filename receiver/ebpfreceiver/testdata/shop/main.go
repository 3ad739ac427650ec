// Command shop is the target program of the ebpf receiver's tests: a plain
// net/http server with no tracing SDK. Built twice (as frontend and backend)
// it calls itself across processes.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"
)

var backend = flag.String("backend", "", "base URL of the service /call forwards to")

//go:noinline
func chargeCard(amount int) int {
	time.Sleep(2 * time.Millisecond)
	return amount * 2
}

//go:noinline
func work(n int) int {
	time.Sleep(time.Millisecond)
	return n + 1
}

//go:noinline
func tick(i int) int {
	return i*7 + 1
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	useTLS := flag.Bool("tls", false, "serve HTTPS (HTTP/2 for clients that ask) with a self-signed certificate")
	flag.Parse()
	// /call trusts a backend's self-signed certificate and speaks HTTP/1.1
	// to it: a same-host TLS pair the tests stitch.
	client := http.DefaultTransport.(*http.Transport)
	client.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	client.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	})
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "user %s", r.PathValue("id"))
	})
	mux.HandleFunc("POST /fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /charge", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d", chargeCard(21))
	})
	mux.HandleFunc("GET /spawn", func(w http.ResponseWriter, r *http.Request) {
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				work(i)
			}()
		}
		wg.Wait()
		io.WriteString(w, "spawned")
	})
	// A worker pool started before any request: handlers hand it work
	// over a channel.
	jobs := make(chan func())
	for range 2 {
		go func() {
			for job := range jobs {
				job()
			}
		}()
	}
	mux.HandleFunc("GET /pool", func(w http.ResponseWriter, r *http.Request) {
		done := make(chan int)
		jobs <- func() { done <- work(7) }
		fmt.Fprintf(w, "%d", <-done)
	})
	mux.HandleFunc("GET /burst", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		sum := 0
		for i := range n {
			sum += tick(i)
		}
		fmt.Fprintf(w, "%d", sum)
	})
	mux.HandleFunc("GET /call", func(w http.ResponseWriter, r *http.Request) {
		target := *backend + r.URL.Query().Get("to")
		resp, err := http.Get(target)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		w.WriteHeader(resp.StatusCode)
	})

	if *backend != "" {
		// A reverse proxy forwards the request's headers, traceparent too.
		to, err := url.Parse(*backend)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		mux.Handle("/proxy/", http.StripPrefix("/proxy", httputil.NewSingleHostReverseProxy(to)))
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	if *useTLS {
		srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{selfSigned()}}}
		srv.ServeTLS(ln, "", "")
		return
	}
	http.Serve(ln, mux)
}

func selfSigned() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
