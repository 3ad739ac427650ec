package loadgen

import "flag"

// RegisterFlags binds the sender's settings, starting from DefaultShape, to
// command-line flags shared by cmd/loadgen and cmd/loadtest.
func (s *Sender) RegisterFlags(fs *flag.FlagSet) {
	s.Shape = DefaultShape
	fs.IntVar(&s.Shape.Services, "services", s.Shape.Services, "distinct services in the traces")
	fs.IntVar(&s.Shape.Depth, "depth", s.Shape.Depth, "service hops below the root")
	fs.IntVar(&s.Shape.Fanout, "fanout", s.Shape.Fanout, "calls made by each server span")
	fs.Float64Var(&s.Shape.ErrorShare, "errors", s.Shape.ErrorShare, "share of traces with a failing call (0..1)")
	fs.Uint64Var(&s.Shape.Seed, "seed", s.Shape.Seed, "random seed")
	fs.IntVar(&s.Workers, "workers", 2, "concurrent gRPC exporters")
	fs.IntVar(&s.TracesPerBatch, "batch", 10, "traces per request (10 traces of the default shape: 290 spans, about an SDK batch)")
	fs.Float64Var(&s.Rate, "rate", 0, "spans per second (0: as fast as the collector accepts)")
}
