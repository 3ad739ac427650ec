package loadgen

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Sender pushes pre-built batches over OTLP/gRPC. Each worker builds its
// batch once and only rewrites trace IDs before each send, so the sender
// costs little CPU next to the collector it measures.
type Sender struct {
	Addr           string
	Shape          Shape
	Workers        int     // concurrent exporters, default 2
	TracesPerBatch int     // traces in one request, default 50
	Rate           float64 // spans per second over all workers; 0 sends as fast as accepted
}

// Result counts what a run sent.
type Result struct {
	Requests int64
	Spans    int64 // accepted by the collector
	Refused  int64 // spans in failed requests or rejected by partial success
	Errors   int64 // failed requests
	Elapsed  time.Duration
}

// Run sends until ctx ends.
func (s *Sender) Run(ctx context.Context) (Result, error) {
	if err := s.Shape.Validate(); err != nil {
		return Result{}, err
	}
	workers := max(s.Workers, 1)
	perBatch := s.TracesPerBatch
	if perBatch <= 0 {
		perBatch = 50
	}
	conn, err := grpc.NewClient(s.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return Result{}, err
	}
	defer conn.Close()
	client := ptraceotlp.NewGRPCClient(conn)

	var res Result
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		shape := s.Shape
		shape.Seed += uint64(w)
		b := newBatch(shape, perBatch, uint16(w))
		var interval time.Duration
		if s.Rate > 0 {
			interval = time.Duration(float64(time.Second) * float64(b.spans) * float64(workers) / s.Rate)
		}
		wg.Go(func() { b.loop(ctx, client, interval, &res) })
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res, nil
}

// batch is one worker's pre-built request and where its trace IDs sit.
type batch struct {
	req    ptraceotlp.ExportRequest
	spans  int
	ids    []ptrace.Span // every span, to rewrite its trace ID
	low    []uint64      // the per-trace low half of each span's trace ID
	worker uint16
	seq    uint64
}

func newBatch(shape Shape, traces int, worker uint16) *batch {
	g, _ := NewGenerator(shape) // shape was validated by Run
	td := g.Traces(traces)
	b := &batch{req: ptraceotlp.NewExportRequestFromTraces(td), spans: td.SpanCount(), worker: worker}
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				id := sp.TraceID()
				b.ids = append(b.ids, sp)
				b.low = append(b.low, binary.BigEndian.Uint64(id[8:]))
			}
		}
	}
	return b
}

// renumber gives every trace of the batch a trace ID never sent before:
// the high half carries the worker and a sequence number, the low half
// stays distinct per trace.
func (b *batch) renumber() {
	b.seq++
	var id pcommon.TraceID
	binary.BigEndian.PutUint64(id[:8], uint64(b.worker)<<48|b.seq)
	for i, sp := range b.ids {
		binary.BigEndian.PutUint64(id[8:], b.low[i])
		sp.SetTraceID(id)
	}
}

func (b *batch) loop(ctx context.Context, client ptraceotlp.GRPCClient, interval time.Duration, res *Result) {
	next := time.Now()
	for ctx.Err() == nil {
		if interval > 0 {
			if d := time.Until(next); d > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(d):
				}
			}
			next = next.Add(interval)
		}
		b.renumber()
		resp, err := client.Export(ctx, b.req)
		atomic.AddInt64(&res.Requests, 1)
		if err != nil {
			if ctx.Err() != nil {
				return // the run ended mid-request: not a refusal
			}
			atomic.AddInt64(&res.Errors, 1)
			atomic.AddInt64(&res.Refused, int64(b.spans))
			time.Sleep(10 * time.Millisecond) // the collector pushes back: give it air
			continue
		}
		rejected := resp.PartialSuccess().RejectedSpans()
		atomic.AddInt64(&res.Refused, rejected)
		atomic.AddInt64(&res.Spans, int64(b.spans)-rejected)
	}
}
