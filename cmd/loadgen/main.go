// Command loadgen sends pre-built multi-service OTLP traces to a collector
// over gRPC, as fast as it accepts them or at a given rate.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/tracemap/tracemap/internal/testutil/loadgen"
)

func main() {
	var s loadgen.Sender
	s.RegisterFlags(flag.CommandLine)
	flag.StringVar(&s.Addr, "addr", "127.0.0.1:4317", "OTLP gRPC endpoint")
	duration := flag.Duration("duration", 10*time.Second, "how long to send")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	res, err := s.Run(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	fmt.Printf("sent %d spans in %d requests over %s (%.0f spans/s); refused %d spans, %d failed requests\n",
		res.Spans, res.Requests, res.Elapsed.Round(time.Millisecond),
		float64(res.Spans)/res.Elapsed.Seconds(), res.Refused, res.Errors)
	if res.Errors > 0 {
		os.Exit(1)
	}
}
