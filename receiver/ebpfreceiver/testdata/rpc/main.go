// Command rpc is a target program of the ebpf receiver's tests for gRPC:
// a google.golang.org/grpc server (the standard health service, unary
// Check and streaming Watch) and an HTTP endpoint that calls it as a
// client.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "HTTP listen address")
	flag.Parse()
	rpcLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	hs.SetServingStatus("shop", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	go srv.Serve(rpcLn)

	conn, err := grpc.NewClient(rpcLn.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	client := healthpb.NewHealthClient(conn)
	mux := http.NewServeMux()
	// GET /check/{service}: a unary Check; the gRPC code is the body.
	mux.HandleFunc("GET /check/{service}", func(w http.ResponseWriter, r *http.Request) {
		_, err := client.Check(r.Context(), &healthpb.HealthCheckRequest{Service: r.PathValue("service")})
		fmt.Fprintf(w, "%d", status.Code(err))
	})
	// GET /missing: a method the server does not have (UNIMPLEMENTED).
	mux.HandleFunc("GET /missing", func(w http.ResponseWriter, r *http.Request) {
		err := conn.Invoke(r.Context(), "/shop.Missing/Call", &healthpb.HealthCheckRequest{}, &healthpb.HealthCheckResponse{})
		fmt.Fprintf(w, "%d", status.Code(err))
	})
	// GET /watch: a server-streaming Watch, ended by the client after the
	// first message.
	mux.HandleFunc("GET /watch", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{Service: "shop"})
		if err == nil {
			_, err = stream.Recv()
		}
		fmt.Fprintf(w, "%d", status.Code(err))
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	http.Serve(ln, mux)
}
