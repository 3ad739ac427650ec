//go:build linux && amd64

package ebpfreceiver

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/clock"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/discover"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/gobin"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/metadata"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/probes"
)

type ebpfReceiver struct {
	cfg     *Config
	set     receiver.Settings
	next    consumer.Traces
	tel     *metadata.Telemetry
	obsrep  *receiverhelper.ObsReport
	matcher *discover.Matcher
	host    string

	probes *probes.Probes
	clock  *clock.Clock
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	procs   map[int]*tracedProcess
	pending ptrace.Traces
	byPID   map[int]ptrace.SpanSlice // spans of pending, per process
	count   int
	full    chan struct{}
	lost    uint64
	closed  bool       // Shutdown began: attach no more, wait no more
	drained *sync.Cond // signalled when the pending batch is taken
}

type tracedProcess struct {
	info  processInfo
	probe *probes.Process
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Traces) (receiver.Traces, error) {
	tel, err := metadata.NewTelemetry(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	obsrep, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID: set.ID, Transport: "ebpf", ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	r := &ebpfReceiver{
		cfg: cfg, set: set, next: next, tel: tel, obsrep: obsrep,
		matcher: discover.NewMatcher(cfg.PIDs, cfg.Executables, cfg.Names),
		host:    hostname(),
		procs:   map[int]*tracedProcess{},
		full:    make(chan struct{}, 1),
	}
	r.drained = sync.NewCond(&r.mu)
	return r, nil
}

// Start loads the probes and attaches them to every matching process. It
// fails when the kernel cannot run the probes, or when processes matched
// and none could be probed; otherwise it warns per process.
func (r *ebpfReceiver) Start(ctx context.Context, _ component.Host) error {
	p, err := probes.Load(r.cfg.RingBufferSize)
	if err != nil {
		return fmt.Errorf("ebpf receiver: %w", err)
	}
	r.probes = p
	r.clock = clock.New()
	r.resetPending()

	found, err := r.matcher.Scan()
	if err != nil {
		r.closeProbes()
		return fmt.Errorf("ebpf receiver: scan /proc: %w", err)
	}
	var errs []error
	for _, proc := range found {
		if err := r.attach(proc); err != nil {
			errs = append(errs, err)
		}
	}
	if len(r.procs) == 0 && (len(errs) > 0 || (len(r.cfg.Names) == 0 && len(r.cfg.Executables) == 0)) {
		r.closeProbes()
		if len(errs) == 0 {
			errs = append(errs, fmt.Errorf("none of the pids %v is running", r.cfg.PIDs))
		}
		return fmt.Errorf("ebpf receiver: nothing could be attached: %w", errors.Join(errs...))
	}
	if len(r.procs) == 0 {
		r.set.Logger.Info("No matching process is running yet; waiting for one to start")
	}

	r.clock.Start(r.cfg.ClockRefresh)
	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Add(2)
	go r.readLoop()
	go r.flushLoop(runCtx)
	return nil
}

// closeProbes undoes a Start that fails, so that Shutdown has nothing to do.
func (r *ebpfReceiver) closeProbes() {
	r.probes.Close()
	r.probes = nil
}

// attach probes one matched process; errors are logged and counted.
func (r *ebpfReceiver) attach(proc discover.Process) error {
	err := r.attachProcess(proc)
	if err != nil {
		r.tel.AttachErrors.Add(context.Background(), 1)
		r.set.Logger.Warn("Cannot trace process", zap.Int("pid", proc.PID), zap.String("executable", proc.Exe), zap.Error(err))
	}
	return err
}

func (r *ebpfReceiver) attachProcess(proc discover.Process) error {
	bin, err := gobin.Open(fmt.Sprintf("/proc/%d/exe", proc.PID))
	if err != nil {
		return err
	}
	defer bin.Close()
	handle, warns, err := r.probes.Attach(proc.PID, bin, probes.Options{Functions: r.cfg.Functions, Goroutines: r.cfg.Goroutines})
	if err != nil {
		return err
	}
	for _, w := range warns {
		r.set.Logger.Warn("Probe not attached", zap.Int("pid", proc.PID), zap.Error(w))
	}
	name := filepath.Base(proc.Exe)
	svc := r.cfg.ServiceNames[name]
	if svc == "" {
		svc = name
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return handle.Close()
	}
	r.procs[proc.PID] = &tracedProcess{
		info:  processInfo{pid: proc.PID, exe: proc.Exe, service: svc, goVersion: bin.GoVersion},
		probe: handle,
	}
	r.tel.AttachedProcesses.Add(context.Background(), 1)
	r.set.Logger.Info("Tracing process", zap.Int("pid", proc.PID), zap.String("executable", proc.Exe), zap.String("service.name", svc))
	return nil
}

// detach removes the probes of a process; why goes into the log.
func (r *ebpfReceiver) detach(pid int, why string) {
	r.mu.Lock()
	tp, ok := r.procs[pid]
	delete(r.procs, pid)
	r.mu.Unlock()
	if !ok {
		return
	}
	if err := tp.probe.Close(); err != nil {
		r.set.Logger.Debug("Detach", zap.Int("pid", pid), zap.Error(err))
	}
	r.tel.AttachedProcesses.Add(context.Background(), -1)
	r.set.Logger.Info("Probes detached", zap.Int("pid", pid), zap.String("reason", why))
}

// readLoop turns ring-buffer events into pending spans and follows
// processes starting and exiting, until the probes are closed.
func (r *ebpfReceiver) readLoop() {
	defer r.wg.Done()
	for {
		ev, err := r.probes.Read()
		if err != nil {
			if errors.Is(err, probes.ErrClosed) {
				return
			}
			r.set.Logger.Debug("Bad event", zap.Error(err))
			continue
		}
		switch {
		case ev.Span != nil:
			r.add(ev.Span)
		case ev.Exec != 0:
			pid := int(ev.Exec)
			r.detach(pid, "exec") // a traced process replaced its program
			if proc, ok := r.matcher.Match(pid); ok {
				_ = r.attach(proc) // attach counts and logs its own failure
			}
		case ev.Exit != 0:
			r.detach(int(ev.Exit), "exit")
		}
	}
}

func (r *ebpfReceiver) resetPending() {
	r.pending = ptrace.NewTraces()
	r.byPID = map[int]ptrace.SpanSlice{}
	r.count = 0
}

// add appends a span to the pending batch. When two batches are pending
// (the pipeline is slower than the kernel) it waits: the ring buffer then
// fills and the BPF program counts what it drops, so memory stays bounded
// and every loss shows in tracemap_ebpf_lost_events.
func (r *ebpfReceiver) add(ev *probes.Span) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.count >= 2*r.cfg.MaxBatch && !r.closed {
		r.drained.Wait()
	}
	pid := int(ev.PID)
	spans, ok := r.byPID[pid]
	if !ok {
		tp, known := r.procs[pid]
		if !known {
			// Detached after its exit went unreported; its maps are gone too.
			r.tel.DroppedSpans.Add(context.Background(), 1)
			return
		}
		rs := r.pending.ResourceSpans().AppendEmpty()
		fillResource(rs.Resource(), tp.info, r.host)
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName(metadata.ScopeName)
		spans = ss.Spans()
		r.byPID[pid] = spans
	}
	fillSpan(spans.AppendEmpty(), ev, r.clock, r.cfg.Functions)
	r.count++
	if r.count >= r.cfg.MaxBatch {
		select {
		case r.full <- struct{}{}:
		default:
		}
	}
}

func (r *ebpfReceiver) flushLoop(ctx context.Context) {
	defer r.wg.Done()
	t := time.NewTicker(r.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.pollLost()
			r.checkAlive()
		case <-r.full:
		}
		r.flush(ctx)
	}
}

func (r *ebpfReceiver) flush(ctx context.Context) {
	r.mu.Lock()
	td, n := r.pending, r.count
	r.resetPending()
	r.drained.Broadcast()
	r.mu.Unlock()
	if n == 0 {
		return
	}
	opCtx := r.obsrep.StartTracesOp(ctx)
	err := r.next.ConsumeTraces(opCtx, td)
	r.obsrep.EndTracesOp(opCtx, "ebpf", n, err)
	r.tel.Spans.Add(ctx, int64(n))
	if err != nil {
		r.tel.DroppedSpans.Add(ctx, int64(n))
		r.set.Logger.Warn("Next consumer refused spans", zap.Int("spans", n), zap.Error(err))
	}
}

// pollLost reports events the kernel dropped since the last poll.
func (r *ebpfReceiver) pollLost() {
	n, err := r.probes.Lost()
	if err != nil || n <= r.lost {
		return
	}
	r.tel.LostEvents.Add(context.Background(), int64(n-r.lost))
	r.set.Logger.Warn("Ring buffer full: events lost; raise ring_buffer_size", zap.Uint64("lost", n-r.lost), zap.Uint64("total", n))
	r.lost = n
}

// checkAlive detaches processes whose exit event was lost.
func (r *ebpfReceiver) checkAlive() {
	r.mu.Lock()
	var gone []int
	for pid := range r.procs {
		if !r.matcher.Alive(pid) {
			gone = append(gone, pid)
		}
	}
	r.mu.Unlock()
	for _, pid := range gone {
		r.detach(pid, "gone")
	}
}

// Shutdown stops reading, detaches everything, then passes on what is
// pending.
func (r *ebpfReceiver) Shutdown(ctx context.Context) error {
	if r.probes == nil {
		return nil
	}
	r.mu.Lock()
	r.closed = true
	r.drained.Broadcast()
	r.mu.Unlock()
	// Stop both loops first: the reader attaches and detaches processes.
	errs := []error{r.probes.StopReading()}
	if r.cancel != nil {
		r.cancel()
	}
	r.wg.Wait()
	r.mu.Lock()
	pids := make([]int, 0, len(r.procs))
	for pid := range r.procs {
		pids = append(pids, pid)
	}
	r.mu.Unlock()
	for _, pid := range pids {
		r.detach(pid, "shutdown")
	}
	errs = append(errs, r.probes.Close())
	r.clock.Stop()
	r.flush(ctx)
	r.probes = nil
	return errors.Join(errs...)
}
