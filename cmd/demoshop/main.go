// Command demoshop is the demo's small shop: frontend -> checkout -> payment,
// inventory and shipping, calling each other over HTTP on loopback.
//
// With -role shop it runs frontend, checkout, payment and inventory in one
// process, each instrumented with the OpenTelemetry Go SDK (otelhttp) under
// its own service.name and exporting OTLP/gRPC to the collector, plus a load
// driver. payment fails a share of its calls and inventory is slow now and
// then, so the pictures have something to show. With -role shipping it runs
// the shipping service with no tracing SDK at all: only its callers' client
// spans (and the ebpf receiver, when run as root) see it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

type config struct {
	role          string
	collector     string
	shippingAddr  string
	rate          float64
	duration      time.Duration
	paymentErrors float64
	slowShare     float64
}

func main() {
	var cfg config
	flag.StringVar(&cfg.role, "role", "shop", "shop (the instrumented services and the load) or shipping (the uninstrumented service)")
	flag.StringVar(&cfg.collector, "collector", "127.0.0.1:4317", "OTLP gRPC endpoint of the collector")
	flag.StringVar(&cfg.shippingAddr, "shipping", "127.0.0.1:8085", "address of the shipping service (listen address with -role shipping)")
	flag.Float64Var(&cfg.rate, "rate", 20, "frontend requests per second sent by the load driver")
	flag.DurationVar(&cfg.duration, "duration", 0, "stop after this long (0: until interrupted)")
	flag.Float64Var(&cfg.paymentErrors, "payment-errors", 0.15, "share of payment calls that fail")
	flag.Float64Var(&cfg.slowShare, "slow", 0.05, "share of inventory calls that are slow (300-800ms)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.duration)
		defer cancel()
	}
	var err error
	switch cfg.role {
	case "shop":
		err = runShop(ctx, cfg)
	case "shipping":
		err = serve(ctx, cfg.shippingAddr, shippingHandler())
	default:
		err = fmt.Errorf("unknown -role %q (want shop or shipping)", cfg.role)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// service is one instrumented service of the shop.
type service struct {
	name string
	tp   *sdktrace.TracerProvider
	addr string
}

func newService(ctx context.Context, name, collector string) (*service, error) {
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(collector), otlptracegrpc.WithInsecure())
	if err != nil {
		return nil, err
	}
	res := resource.NewSchemaless(semconv.ServiceName(name), semconv.ServiceNamespace("demoshop"))
	// A short batch delay keeps every span of a request inside the
	// collector's tail-sampling wait, so traces are judged whole.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(time.Second)), sdktrace.WithResource(res))
	return &service{name: name, tp: tp}, nil
}

// handler wraps h so each request is a SERVER span of this service.
func (s *service) handler(h http.Handler) http.Handler {
	return otelhttp.NewHandler(h, s.name, otelhttp.WithTracerProvider(s.tp), otelhttp.WithPropagators(propagation.TraceContext{}),
		otelhttp.WithSpanNameFormatter(spanName))
}

func spanName(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }

// client calls peer with CLIENT spans that name it, so a peer without
// tracing still shows up in the service graph.
func (s *service) client(peer string) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: otelhttp.NewTransport(http.DefaultTransport,
		otelhttp.WithTracerProvider(s.tp), otelhttp.WithPropagators(propagation.TraceContext{}),
		otelhttp.WithSpanNameFormatter(spanName),
		otelhttp.WithSpanOptions(trace.WithAttributes(attribute.String("peer.service", peer))))}
}

func runShop(ctx context.Context, cfg config) error {
	names := []string{"frontend", "checkout", "payment", "inventory"}
	svcs := map[string]*service{}
	for _, n := range names {
		s, err := newService(ctx, n, cfg.collector)
		if err != nil {
			return err
		}
		svcs[n] = s
	}
	defer func() {
		// Flush what the services recorded before exiting.
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, s := range svcs {
			_ = s.tp.Shutdown(sctx)
		}
	}()
	listeners := map[string]net.Listener{}
	for _, n := range names {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		listeners[n] = l
		svcs[n].addr = l.Addr().String()
	}
	handlers := map[string]http.Handler{
		"frontend":  frontend(svcs["frontend"], svcs["checkout"].addr),
		"checkout":  checkout(svcs["checkout"], svcs["payment"].addr, svcs["inventory"].addr, cfg.shippingAddr),
		"payment":   payment(cfg.paymentErrors),
		"inventory": inventory(cfg.slowShare),
	}
	errc := make(chan error, len(names))
	for _, n := range names {
		srv := &http.Server{Handler: svcs[n].handler(handlers[n]), ReadHeaderTimeout: 5 * time.Second}
		go func() { errc <- srv.Serve(listeners[n]) }()
		defer srv.Close()
	}
	log.Printf("demoshop: frontend on http://%s, sending %.0f requests/s, traces to %s", svcs["frontend"].addr, cfg.rate, cfg.collector)
	drive(ctx, "http://"+svcs["frontend"].addr+"/", cfg.rate)
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// drive sends requests to the frontend at rate until ctx ends.
func drive(ctx context.Context, url string, rate float64) {
	client := &http.Client{Timeout: 10 * time.Second}
	tick := time.NewTicker(time.Duration(float64(time.Second) / max(rate, 0.1)))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			go func() {
				resp, err := client.Get(url)
				if err == nil {
					resp.Body.Close()
				}
			}()
		}
	}
}

func frontend(s *service, checkoutAddr string) http.Handler {
	c := s.client("checkout")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		work(2, 6)
		status := call(r.Context(), c, http.MethodPost, "http://"+checkoutAddr+"/checkout")
		if status >= 500 {
			http.Error(w, "checkout failed", http.StatusBadGateway)
			return
		}
		fmt.Fprintln(w, "thank you for your order")
	})
}

func checkout(s *service, paymentAddr, inventoryAddr, shippingAddr string) http.Handler {
	pay, inv, ship := s.client("payment"), s.client("inventory"), s.client("shipping")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		work(1, 3)
		if st := call(r.Context(), inv, http.MethodPost, "http://"+inventoryAddr+"/reserve"); st >= 500 {
			http.Error(w, "inventory failed", http.StatusBadGateway)
			return
		}
		// shipping has no tracing: if it is not running the call fails, and
		// the picture shows that too.
		call(r.Context(), ship, http.MethodGet, "http://"+shippingAddr+"/quote")
		if st := call(r.Context(), pay, http.MethodPost, "http://"+paymentAddr+"/charge"); st >= 500 {
			http.Error(w, "payment failed", http.StatusBadGateway)
			return
		}
		fmt.Fprintln(w, "ok")
	})
}

func payment(errShare float64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		work(20, 40)
		if rand.Float64() < errShare {
			http.Error(w, "card declined by processor", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "charged")
	})
}

func inventory(slowShare float64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if rand.Float64() < slowShare {
			work(300, 800)
		} else {
			work(5, 15)
		}
		fmt.Fprintln(w, "reserved")
	})
}

func shippingHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /quote", func(w http.ResponseWriter, _ *http.Request) {
		work(8, 20)
		fmt.Fprintln(w, `{"carrier":"demo","days":2}`)
	})
	return mux
}

// call makes a request and returns its status (599 for transport errors).
func call(ctx context.Context, c *http.Client, method, url string) int {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return 599
	}
	resp, err := c.Do(req)
	if err != nil {
		return 599
	}
	resp.Body.Close()
	return resp.StatusCode
}

// work sleeps between lo and hi milliseconds, standing in for real work.
func work(lo, hi int) {
	time.Sleep(time.Duration(lo+rand.IntN(hi-lo+1)) * time.Millisecond)
}

func serve(ctx context.Context, addr string, h http.Handler) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
