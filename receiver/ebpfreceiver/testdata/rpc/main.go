// Command rpc is a target program of the ebpf receiver's tests for gRPC:
// a google.golang.org/grpc server (the standard health service, unary
// Check and server-streaming Watch, and shop.Stream with client-streaming
// Collect and bidirectional Chat) and HTTP endpoints that call it as a
// client: its own server, or with -upstream another rpc process's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/testdata"
)

// shop.Stream, written out by hand (its messages are the health
// service's): Collect counts the requests a client streams, Chat answers
// each request and fails with INTERNAL on one for the service "fail".
var (
	collectDesc = grpc.StreamDesc{StreamName: "Collect", ClientStreams: true, Handler: collect}
	chatDesc    = grpc.StreamDesc{StreamName: "Chat", ClientStreams: true, ServerStreams: true, Handler: chat}
	streamSvc   = grpc.ServiceDesc{ServiceName: "shop.Stream", HandlerType: (*any)(nil), Streams: []grpc.StreamDesc{collectDesc, chatDesc}}
)

func collect(_ any, s grpc.ServerStream) error {
	n := 0
	for {
		err := s.RecvMsg(new(healthpb.HealthCheckRequest))
		if errors.Is(err, io.EOF) {
			return s.SendMsg(&healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_ServingStatus(n)})
		}
		if err != nil {
			return err
		}
		n++
	}
}

func chat(_ any, s grpc.ServerStream) error {
	for {
		req := new(healthpb.HealthCheckRequest)
		err := s.RecvMsg(req)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if req.Service == "fail" {
			return status.Error(codes.Internal, "chat failed")
		}
		if err := s.SendMsg(&healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}); err != nil {
			return err
		}
	}
}

// wrapped is what a stream interceptor returns instead of the stream.
type wrapped struct{ grpc.ClientStream }

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "HTTP listen address")
	upstream := flag.String("upstream", "", "URL of another rpc process whose gRPC server to call")
	useTLS := flag.Bool("tls", false, "serve and call gRPC over TLS, with gRPC's test certificates")
	flag.Parse()
	creds, srvOpts := insecure.NewCredentials(), []grpc.ServerOption(nil)
	if *useTLS {
		sc, err := credentials.NewServerTLSFromFile(testdata.Path("x509/server1_cert.pem"), testdata.Path("x509/server1_key.pem"))
		if err == nil {
			creds, err = credentials.NewClientTLSFromFile(testdata.Path("x509/server_ca_cert.pem"), "x.test.example.com")
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		srvOpts = append(srvOpts, grpc.Creds(sc))
	}
	rpcLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srv := grpc.NewServer(srvOpts...)
	hs := health.NewServer()
	hs.SetServingStatus("shop", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(srv, hs)
	srv.RegisterService(&streamSvc, nil)
	go srv.Serve(rpcLn)

	target := rpcLn.Addr().String()
	if *upstream != "" {
		resp, err := http.Get(*upstream + "/grpc-addr")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		target = string(b)
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(creds))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	client := healthpb.NewHealthClient(conn)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /grpc-addr", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, rpcLn.Addr())
	})
	// GET /check/{service}: a unary Check; the gRPC code is the body. A
	// traceparent query parameter goes out as the call's metadata.
	mux.HandleFunc("GET /check/{service}", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if tp := r.URL.Query().Get("traceparent"); tp != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "traceparent", tp)
		}
		_, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: r.PathValue("service")})
		fmt.Fprintf(w, "%d", status.Code(err))
	})
	// GET /collect: a client stream of three requests.
	mux.HandleFunc("GET /collect", func(w http.ResponseWriter, r *http.Request) {
		s, err := conn.NewStream(r.Context(), &collectDesc, "/shop.Stream/Collect")
		for i := 0; err == nil && i < 3; i++ {
			err = s.SendMsg(&healthpb.HealthCheckRequest{})
		}
		resp := new(healthpb.HealthCheckResponse)
		if err == nil {
			err = s.CloseSend()
		}
		if err == nil {
			err = s.RecvMsg(resp)
		}
		fmt.Fprintf(w, "%d %d", status.Code(err), resp.Status)
	})
	// A client whose stream interceptor wraps every stream.
	wrapping, err := grpc.NewClient(target, grpc.WithTransportCredentials(creds), grpc.WithStreamInterceptor(
		func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			s, err := streamer(ctx, desc, cc, method, opts...)
			return wrapped{s}, err
		}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// GET /chat?say=a,b: a bidirectional stream, one request per word,
	// read to its end ("fail" makes the server end it with INTERNAL).
	// With wrapped=1 through the wrapping client.
	mux.HandleFunc("GET /chat", func(w http.ResponseWriter, r *http.Request) {
		cc := conn
		if r.URL.Query().Get("wrapped") != "" {
			cc = wrapping
		}
		s, err := cc.NewStream(r.Context(), &chatDesc, "/shop.Stream/Chat")
		for _, word := range strings.Split(r.URL.Query().Get("say"), ",") {
			if err != nil {
				break
			}
			if err = s.SendMsg(&healthpb.HealthCheckRequest{Service: word}); err == nil {
				err = s.RecvMsg(new(healthpb.HealthCheckResponse))
			}
		}
		if err == nil {
			err = s.CloseSend()
		}
		if err == nil {
			err = s.RecvMsg(new(healthpb.HealthCheckResponse))
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
		fmt.Fprintf(w, "%d", status.Code(err))
	})
	// GET /streams?n=N: N Chat streams open at once, then each closed
	// and read to its end.
	mux.HandleFunc("GET /streams", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		streams := make([]grpc.ClientStream, n)
		for i := range streams {
			s, err := conn.NewStream(r.Context(), &chatDesc, "/shop.Stream/Chat")
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			streams[i] = s
		}
		for _, s := range streams {
			err := s.CloseSend()
			if err == nil {
				err = s.RecvMsg(new(healthpb.HealthCheckResponse))
			}
			if !errors.Is(err, io.EOF) {
				http.Error(w, fmt.Sprint(err), http.StatusBadGateway)
				return
			}
		}
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
