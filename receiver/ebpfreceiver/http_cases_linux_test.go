//go:build linux && amd64

package ebpfreceiver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

// The HTTP cases that are easy to get wrong, on testdata/edge: h2c with
// prior knowledge through x/net's h2c handler (no "PRI *" span, the
// requests themselves with protocol 2), a hijacked connection writing its
// own 101, panicking and aborting handlers, routes through middleware that
// copies the request and through StripPrefix, and a Host header with a port.
func TestHTTPEdgeCases(t *testing.T) {
	targettest.RequireBPF(t)
	tg := targettest.Start(t, targettest.BuildProgram(t, "edge", "edge", false))
	h := startReceiver(t, testConfig(Config{Names: []string{"edge"}, RingBufferSize: 1 << 16}))

	// h2c prior knowledge: two requests on one HTTP/2 connection.
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	h2c := &http.Client{Transport: &http.Transport{Protocols: p}}
	for range 2 {
		resp, err := h2c.Get(tg.URL + "/hello")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("served over %s, want HTTP/2", resp.Proto)
		}
	}
	for _, r := range h.wait(t, 2) {
		if r.span.Name() != "GET /hello" || r.span.Kind() != ptrace.SpanKindServer || !r.span.ParentSpanID().IsEmpty() {
			t.Errorf("h2c span %q kind %v parent %v", r.span.Name(), r.span.Kind(), r.span.ParentSpanID())
		}
		// The h2c handler serves the hijacked connection wrapped in a type
		// of its own: the addresses are read under it.
		wantAttrs(t, r, map[string]any{
			"network.protocol.version": "2", "http.response.status_code": int64(200), "url.scheme": "http",
			"url.path": "/hello", "client.address": "127.0.0.1",
		})
		if p, ok := r.attr("client.port").(int64); !ok || p <= 0 {
			t.Errorf("h2c span client.port = %v", r.attr("client.port"))
		}
	}

	for _, tc := range []struct {
		path, name string
		status     ptrace.StatusCode
		attrs      map[string]any
	}{
		{"/ws", "GET /ws", ptrace.StatusCodeUnset, map[string]any{"http.response.status_code": nil, "error.type": nil}},
		{"/panic", "GET /panic", ptrace.StatusCodeError, map[string]any{"http.response.status_code": nil, "error.type": "panic"}},
		{"/abort", "GET /abort", ptrace.StatusCodeError, map[string]any{"http.response.status_code": nil, "error.type": "panic"}},
		{"/mw/items/7", "GET /mw/items/{id}", ptrace.StatusCodeUnset, map[string]any{"http.route": "/mw/items/{id}", "http.response.status_code": int64(200)}},
		{"/strip/items/8", "GET /strip/items/{id}", ptrace.StatusCodeUnset, map[string]any{"http.route": "/strip/items/{id}", "http.response.status_code": int64(200)}},
	} {
		req, _ := http.NewRequest("GET", tg.URL+tc.path, nil)
		if tc.path == "/ws" {
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
		}
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		if resp, err := c.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if tc.path == "/ws" && resp.StatusCode != 101 {
				t.Errorf("/ws answered %d", resp.StatusCode)
			}
		} else if tc.status != ptrace.StatusCodeError {
			t.Fatal(err)
		}
		r := h.wait(t, 1)[0]
		if r.span.Name() != tc.name || r.span.Status().Code() != tc.status {
			t.Errorf("%s: span %q status %v, want %q %v", tc.path, r.span.Name(), r.span.Status().Code(), tc.name, tc.status)
		}
		wantAttrs(t, r, tc.attrs)
	}

	// Host with a port: server.address and server.port are what the
	// client asked for.
	req, _ := http.NewRequest("GET", tg.URL+"/hello", nil)
	req.Host = "example.com:9999"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	wantAttrs(t, h.wait(t, 1)[0], map[string]any{"server.address": "example.com", "server.port": int64(9999)})
}

// A reverse proxy that forwards the traceparent it received: the backend's
// parent is the proxy's client span (the connection matches exactly), not
// the span the incoming header names; the proxy's server span keeps that
// one.
func TestProxyForwardingTraceparent(t *testing.T) {
	targettest.RequireBPF(t)
	back := targettest.Start(t, targettest.Build(t, "backend", false))
	front := targettest.Start(t, targettest.Build(t, "frontend", false), "-backend", back.URL)
	h := startReceiver(t, testConfig(Config{Names: []string{"frontend", "backend"}, RingBufferSize: 1 << 16}))
	const traceID, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	code, _, _ := timed(t, "GET", front.URL+"/proxy/users/5", http.Header{"Traceparent": {"00-" + traceID + "-" + parent + "-01"}})
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	spans := map[string]rec{}
	for _, r := range h.wait(t, 3) {
		svc, _ := r.res.Get("service.name")
		spans[svc.Str()+" "+r.span.Kind().String()] = r
	}
	fs, fc, bs := spans["frontend Server"], spans["frontend Client"], spans["backend Server"]
	if fs.span.ParentSpanID().String() != parent || fs.attr(AttrParentVia) != "traceparent" {
		t.Errorf("proxy server span: parent %s via %v", fs.span.ParentSpanID(), fs.attr(AttrParentVia))
	}
	if fc.span.ParentSpanID() != fs.span.SpanID() {
		t.Errorf("proxy client span is not the child of its server span")
	}
	if bs.span.ParentSpanID() != fc.span.SpanID() || bs.attr(AttrParentVia) != "connection" || bs.span.TraceID().String() != traceID {
		t.Errorf("backend span: parent %s via %v trace %s, want the proxy's client span %s", bs.span.ParentSpanID(), bs.attr(AttrParentVia), bs.span.TraceID(), fc.span.SpanID())
	}
	if bs.span.Name() != "GET /users/{id}" || fs.span.Name() != "GET /proxy/" {
		t.Errorf("names %q, %q", fs.span.Name(), bs.span.Name())
	}
}

// HTTP/2 set up by golang.org/x/net/http2.ConfigureServer (Caddy's way):
// net/http's server hands x/net's response writer to the handler; its
// spans carry status, protocol, https and the addresses under the
// *tls.Conn like the bundled HTTP/2's, also when the program is stripped
// (x/net's layout then comes from the table of its version).
func TestXNetHTTP2ConfigureServer(t *testing.T) {
	targettest.RequireBPF(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile)
	for _, stripped := range []bool{false, true} {
		tg := targettest.Start(t, targettest.BuildProgram(t, "edge", "edge", stripped), "-cert", certFile, "-key", keyFile)
		h := startReceiver(t, testConfig(Config{Names: []string{"edge"}, RingBufferSize: 1 << 16}))
		getHTTP2(t, "https://"+tg.Addr, "/hello", "/mw/items/3")
		for i, r := range h.wait(t, 2) {
			want := []string{"GET /hello", "GET /mw/items/{id}"}[i]
			if r.span.Name() != want {
				t.Errorf("stripped %v: span %q, want %q", stripped, r.span.Name(), want)
			}
			wantAttrs(t, r, map[string]any{"http.response.status_code": int64(200), "network.protocol.version": "2", "url.scheme": "https", "client.address": "127.0.0.1"})
		}
		if err := h.rcv.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		tg.Stop()
	}

	// Stripped with an x/net release the table lacks: x/net's response
	// writer is not told apart, so its spans have no status (rather than
	// net/http's default 200) and no addresses; the request says it came
	// over TLS.
	bin := targettest.BuildRequiring(t, "edge", "golang.org/x/net", "v0.19.0", "edgeold", "-ldflags=-s -w")
	tg := targettest.Start(t, bin, "-cert", certFile, "-key", keyFile)
	h := startReceiver(t, testConfig(Config{Names: []string{"edgeold"}, RingBufferSize: 1 << 16}))
	getHTTP2(t, "https://"+tg.Addr, "/hello")
	wantAttrs(t, h.wait(t, 1)[0], map[string]any{"http.response.status_code": nil, "client.address": nil, "url.scheme": "https"})
}

// getHTTP2 gets each path from base over HTTP/2, trusting any certificate.
func getHTTP2(t *testing.T, base string, paths ...string) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}}
	for _, path := range paths {
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("served over %s, want HTTP/2", resp.Proto)
		}
	}
}

// writeSelfSigned writes a certificate for 127.0.0.1 and its key as PEM.
func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
}
