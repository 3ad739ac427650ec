//go:build linux && amd64

package ebpfreceiver

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/clock"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/discover"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/gobin"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/metadata"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/probes"
)

// Causes of lost events, the cause attribute of
// otelcol_receiver_ebpf_lost_events (metadata.yaml lists them).
const (
	causeRingBufferFull = "ring_buffer_full"
	causeProcessEvent   = "process_event_lost"
	causeMalformed      = "malformed"
	causeProcessUnknown = "process_unknown"
	causeInflightFull   = "inflight_table_full"
	causeStreamFull     = "stream_table_full"
	causeAbandoned      = "call_abandoned"
	causeDetached       = "detached"
)

type ebpfReceiver struct {
	cfg     *Config
	set     receiver.Settings
	next    consumer.Traces
	tel     *metadata.TelemetryBuilder
	obsrep  *receiverhelper.ObsReport
	matcher *discover.Matcher
	host    string

	probes *probes.Probes
	clock  *clock.Clock
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// prepared caches what probing an executable file needs, so that a
	// restarted program (or a second process of it) attaches fast.
	prepared map[fileID]*probes.Prepared

	// lifecycle receives exec and exit events from the reader, which
	// never waits for attaching or detaching.
	lifeMu   sync.Mutex
	lifeQ    []probes.Event
	lifeWake chan struct{}
	rescan   chan struct{} // process events were lost: look at /proc

	mu      sync.Mutex
	procs   map[int]*tracedProcess
	pending ptrace.Traces
	byPID   map[int]ptrace.SpanSlice // spans of pending, per process
	count   int
	full    chan struct{}
	lost    probes.Lost
	keep    uint32     // spans in 1000 the kernel keeps of those it may shed
	trigger string     // what last lowered keep: triggerRingBuffer or triggerCPUBudget
	closed  bool       // Shutdown began: attach no more, wait no more
	drained *sync.Cond // signalled when the pending batch is taken

	// readerCPU is the CPU time in ns of the reader's thread, as the
	// reader last measured it; the flush loop compares it against
	// cpu_budget at each tick (lastTick, lastCPU).
	readerCPU atomic.Int64
	lastTick  time.Time
	lastCPU   int64
}

// fileID identifies an executable file's contents.
type fileID struct {
	dev, ino, size uint64
	mtime          int64
}

func fileIDOf(path string) (fileID, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fileID{}, err
	}
	return fileID{dev: st.Dev, ino: st.Ino, size: uint64(st.Size), mtime: st.Mtim.Nano()}, nil
}

type tracedProcess struct {
	info  processInfo
	file  fileID
	probe *probes.Process // nil while attaching
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Traces) (receiver.Traces, error) {
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
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
		matcher:  discover.NewMatcher(cfg.PIDs, cfg.Executables, cfg.Names),
		host:     hostname(),
		procs:    map[int]*tracedProcess{},
		prepared: map[fileID]*probes.Prepared{},
		full:     make(chan struct{}, 1),
		lifeWake: make(chan struct{}, 1),
		rescan:   make(chan struct{}, 1),
		keep:     1000,
		trigger:  triggerRingBuffer,
	}
	r.drained = sync.NewCond(&r.mu)
	return r, nil
}

// Start loads the probes and attaches them to every matching process. It
// fails when the kernel cannot run the probes, or when only pids are
// configured and none could be probed; otherwise it warns per process and
// waits for matching programs to start.
func (r *ebpfReceiver) Start(_ context.Context, _ component.Host) error {
	p, err := probes.Load(r.cfg.RingBufferSize)
	if err != nil {
		return fmt.Errorf("ebpf receiver: %w", err)
	}
	r.probes = p
	r.clock = clock.New()
	r.resetPending()
	if err := p.SetHoldNames(r.matcher.Names()); err != nil {
		r.closeProbes()
		return fmt.Errorf("ebpf receiver: %w", err)
	}

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
	byName := len(r.cfg.Names)+len(r.cfg.Executables) > 0
	if len(r.procs) == 0 && !byName {
		r.closeProbes()
		if len(errs) == 0 {
			errs = append(errs, fmt.Errorf("none of the pids %v is running", r.cfg.PIDs))
		}
		return fmt.Errorf("ebpf receiver: nothing could be attached: %w", errors.Join(errs...))
	}
	if len(r.procs) == 0 {
		r.set.Logger.Info("No matching process can be traced yet; waiting for one to start")
	}

	if r.cfg.Shedding {
		r.tel.ReceiverEbpfKeepPermille.Record(context.Background(), int64(r.keep))
	}
	r.clock.Start(r.cfg.ClockRefresh)
	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Add(3)
	go r.readLoop()
	go r.lifecycleLoop(runCtx)
	go r.flushLoop(runCtx)
	return nil
}

// closeProbes undoes a Start that fails, so that Shutdown has nothing to do.
func (r *ebpfReceiver) closeProbes() {
	r.probes.Close()
	r.probes = nil
}

// attach probes one matched process; errors are logged and counted,
// except for a process that exited meanwhile (a short-lived match).
func (r *ebpfReceiver) attach(proc discover.Process) error {
	err := r.attachProcess(proc)
	if err != nil {
		if !r.matcher.Alive(proc.PID) {
			r.set.Logger.Debug("Matching process exited before it could be traced", zap.Int("pid", proc.PID), zap.Error(err))
			return nil
		}
		r.tel.ReceiverEbpfAttachErrors.Add(context.Background(), 1)
		r.set.Logger.Warn("Cannot trace process", zap.Int("pid", proc.PID), zap.String("executable", proc.Exe), zap.Error(err))
	}
	return err
}

func (r *ebpfReceiver) attachProcess(proc discover.Process) error {
	exe := fmt.Sprintf("/proc/%d/exe", proc.PID)
	id, err := fileIDOf(exe)
	if err != nil {
		return err
	}
	bin, err := gobin.Open(exe)
	if err != nil {
		return err
	}
	defer bin.Close()
	prep, err := r.prepare(id, bin)
	if err != nil {
		return err
	}
	for _, fn := range prep.Missing {
		r.set.Logger.Debug("Function not in this program", zap.Int("pid", proc.PID), zap.String("function", fn))
	}
	for _, err := range prep.Untraced {
		r.set.Logger.Warn("Part of the program cannot be traced", zap.Int("pid", proc.PID), zap.Error(err))
	}
	name := filepath.Base(proc.Exe)
	svc := r.cfg.ServiceNames[name]
	if svc == "" {
		svc = name
	}
	// Known before its probes fire, so that no span of it is unattributed.
	tp := &tracedProcess{info: processInfo{pid: proc.PID, exe: proc.Exe, service: svc, goVersion: bin.GoVersion}, file: id}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.procs[proc.PID] = tp
	r.mu.Unlock()
	handle, err := r.probes.Attach(proc.PID, prep)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		delete(r.procs, proc.PID)
		return err
	}
	tp.probe = handle
	r.tel.ReceiverEbpfAttachedProcesses.Add(context.Background(), 1)
	r.set.Logger.Info("Tracing process", zap.Int("pid", proc.PID), zap.String("executable", proc.Exe), zap.String("service.name", svc))
	return nil
}

// maxPrepared bounds the cache of prepared executables.
const maxPrepared = 64

func (r *ebpfReceiver) prepare(id fileID, bin *gobin.Binary) (*probes.Prepared, error) {
	if p, ok := r.prepared[id]; ok {
		return p, nil
	}
	p, err := probes.Prepare(bin, probes.Options{Functions: r.cfg.Functions, Goroutines: r.cfg.Goroutines, Channels: r.cfg.Channels})
	if err != nil {
		return nil, err
	}
	if len(r.prepared) >= maxPrepared {
		clear(r.prepared)
	}
	r.prepared[id] = p
	return p, nil
}

// detach removes the probes of a process; why goes into the log.
func (r *ebpfReceiver) detach(pid int, why string) {
	r.mu.Lock()
	tp, ok := r.procs[pid]
	delete(r.procs, pid)
	r.mu.Unlock()
	if !ok || tp.probe == nil {
		return
	}
	if err := tp.probe.Close(); err != nil {
		r.set.Logger.Debug("Detach", zap.Int("pid", pid), zap.Error(err))
	}
	r.tel.ReceiverEbpfAttachedProcesses.Add(context.Background(), -1)
	r.set.Logger.Info("Probes detached", zap.Int("pid", pid), zap.String("reason", why))
}

// readLoop turns ring-buffer events into pending spans and hands process
// starts and exits to the lifecycle loop, until the probes are closed.
// With a cpu_budget it runs on an OS thread of its own, whose CPU time it
// measures at most once a millisecond.
func (r *ebpfReceiver) readLoop() {
	defer r.wg.Done()
	var measured time.Time
	if r.cfg.CPUBudget > 0 {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	for {
		ev, err := r.probes.Read()
		if r.cfg.CPUBudget > 0 {
			if now := time.Now(); now.Sub(measured) >= time.Millisecond {
				measured = now
				r.readerCPU.Store(threadCPU())
			}
		}
		if err != nil {
			if errors.Is(err, probes.ErrClosed) {
				return
			}
			r.lose(causeMalformed, 1)
			r.set.Logger.Debug("Bad event", zap.Error(err))
			continue
		}
		if ev.Span != nil {
			r.add(ev.Span)
			continue
		}
		r.lifeMu.Lock()
		r.lifeQ = append(r.lifeQ, ev)
		r.lifeMu.Unlock()
		select {
		case r.lifeWake <- struct{}{}:
		default:
		}
	}
}

// lifecycleLoop attaches to processes that start, detaches from those that
// exit, and checks now and then that no exit went unreported.
func (r *ebpfReceiver) lifecycleLoop(ctx context.Context) {
	defer r.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.continueHeld() // nothing stays stopped because of us
			return
		case <-t.C:
			r.checkAlive()
			r.sweep()
		case <-r.rescan:
			r.scan()
		case <-r.lifeWake:
			r.lifeMu.Lock()
			q := r.lifeQ
			r.lifeQ = nil
			r.lifeMu.Unlock()
			for _, ev := range q {
				r.handle(ev)
			}
		}
	}
}

func (r *ebpfReceiver) handle(ev probes.Event) {
	switch {
	case ev.Exec != 0:
		pid := int(ev.Exec)
		r.exec(pid)
		if ev.Held {
			if err := probes.Continue(pid); err != nil {
				r.set.Logger.Debug("Continue", zap.Int("pid", pid), zap.Error(err))
			}
		}
	case ev.Exit != 0:
		r.detach(int(ev.Exit), "exit")
	}
}

// exec follows a process that executed a program. Launchers such as env
// and nohup exec the target in the same process, so one process reports
// several execs, and by the time an event is handled /proc may already
// show the final program: a process already probed for the file it runs
// keeps its probes (they are placed on the file) and only its load bias is
// updated.
func (r *ebpfReceiver) exec(pid int) {
	r.mu.Lock()
	tp := r.procs[pid]
	r.mu.Unlock()
	if tp != nil && tp.probe != nil {
		if id, err := fileIDOf(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && id == tp.file {
			if err := tp.probe.Reexec(); err != nil {
				r.set.Logger.Debug("Update after exec", zap.Int("pid", pid), zap.Error(err))
			}
			return
		}
		r.detach(pid, "exec") // it replaced its program
	}
	if proc, ok := r.matcher.Match(pid); ok {
		r.attach(proc)
	}
}

// continueHeld resumes processes whose exec events were not handled.
func (r *ebpfReceiver) continueHeld() {
	r.lifeMu.Lock()
	q := r.lifeQ
	r.lifeQ = nil
	r.lifeMu.Unlock()
	for _, ev := range q {
		if ev.Held {
			probes.Continue(int(ev.Exec))
		}
	}
}

func (r *ebpfReceiver) resetPending() {
	r.pending = ptrace.NewTraces()
	r.byPID = map[int]ptrace.SpanSlice{}
	r.count = 0
}

// lose counts events that did not become spans.
func (r *ebpfReceiver) lose(cause string, n int64) {
	r.tel.ReceiverEbpfLostEvents.Add(context.Background(), n, metric.WithAttributes(attribute.String("cause", cause)))
}

// add appends a span to the pending batch. When two batches are pending
// (the pipeline is slower than the kernel) it waits: the ring buffer then
// fills and the BPF program counts what it drops, so memory stays bounded
// and every loss shows in otelcol_receiver_ebpf_lost_events.
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
			r.lose(causeProcessUnknown, 1)
			return
		}
		rs := r.pending.ResourceSpans().AppendEmpty()
		fillResource(rs.Resource(), tp.info, r.host)
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName(metadata.ScopeName)
		spans = ss.Spans()
		r.byPID[pid] = spans
	}
	var driver string
	if ev.Kind == probes.KindDB {
		if tp := r.procs[pid]; tp != nil && tp.probe != nil {
			driver = tp.probe.DriverMethod(ev.DriverFn)
		}
	}
	fillSpan(spans.AppendEmpty(), ev, r.clock, r.cfg.Functions, driver)
	r.count++
	if r.count >= r.cfg.MaxBatch {
		select {
		case r.full <- struct{}{}:
		default:
		}
	}
}

// flushLoop passes batches on until ctx (Shutdown) ends it. The batch in
// flight when Shutdown comes is passed on with a context of its own:
// Shutdown stopping the loop must not make the pipeline refuse it.
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
			r.adjustShedding()
		case <-r.full:
		}
		r.flush(context.WithoutCancel(ctx))
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
	r.tel.ReceiverEbpfSpans.Add(ctx, int64(n))
	if err != nil {
		r.tel.ReceiverEbpfDroppedSpans.Add(ctx, int64(n))
		r.set.Logger.Warn("Next consumer refused spans", zap.Int("spans", n), zap.Error(err))
	}
}

// pollLost reports events the kernel dropped since the last poll. A lost
// process start may be a program to trace: the lifecycle loop then scans
// /proc again.
func (r *ebpfReceiver) pollLost() {
	n, err := r.probes.Lost()
	if err != nil {
		return
	}
	if d := n.Spans - r.lost.Spans; d > 0 {
		r.lose(causeRingBufferFull, int64(d))
		r.set.Logger.Warn("Ring buffer full: events lost; raise ring_buffer_size", zap.Uint64("lost", d), zap.Uint64("total", n.Spans))
	}
	if d := n.Shed - r.lost.Shed; d > 0 {
		r.tel.ReceiverEbpfShedSpans.Add(context.Background(), int64(d), metric.WithAttributes(attribute.String("trigger", r.trigger)))
	}
	for cause, d := range map[string]uint64{
		causeInflightFull: n.InflightFull - r.lost.InflightFull,
		causeStreamFull:   n.StreamFull - r.lost.StreamFull,
		causeAbandoned:    n.Abandoned - r.lost.Abandoned,
	} {
		if d == 0 {
			continue
		}
		r.lose(cause, int64(d))
		if cause != causeAbandoned {
			r.set.Logger.Warn("Too many calls in flight: a table of the kernel's is full, their spans are lost", zap.String("cause", cause), zap.Uint64("lost", d))
		}
	}
	if d := n.Processes - r.lost.Processes; d > 0 {
		r.lose(causeProcessEvent, int64(d))
		select {
		case r.rescan <- struct{}{}:
		default:
		}
	}
	r.lost = n
}

// Shedding thresholds, looked at every flush tick: above shedAbove of the
// ring buffer full, or above the CPU budget, the kernel keeps half as many
// sheddable spans; below shedBelow full and below half the budget, twice
// as many, back to all; never fewer than minKeep in 1000.
const (
	shedAbove = 0.5
	shedBelow = 0.125
	minKeep   = 10
)

// Triggers of shedding, the trigger attribute of otelcol_receiver_ebpf_shed_spans.
const (
	triggerRingBuffer = "ring_buffer"
	triggerCPUBudget  = "cpu_budget"
)

// nextKeep is the keep rate (per 1000) after a tick that saw the ring
// buffer this full and the reader use this share of its CPU budget (0
// without one), and the trigger when it lowers the rate.
func nextKeep(keep uint32, fill, cpuShare float64) (uint32, string) {
	switch {
	case cpuShare > 1:
		return max(keep/2, minKeep), triggerCPUBudget
	case fill > shedAbove:
		return max(keep/2, minKeep), triggerRingBuffer
	case fill < shedBelow && cpuShare < 0.5:
		return min(keep*2, 1000), ""
	}
	return keep, ""
}

// threadCPU is the CPU time the calling OS thread used, in ns.
func threadCPU() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// cpuShare is the share of its CPU budget the reader used since the last
// tick; 0 without a budget.
func (r *ebpfReceiver) cpuShare() float64 {
	if r.cfg.CPUBudget == 0 {
		return 0
	}
	now, cpu := time.Now(), r.readerCPU.Load()
	var share float64
	if !r.lastTick.IsZero() {
		share = float64(cpu-r.lastCPU) / float64(now.Sub(r.lastTick)) / r.cfg.CPUBudget
	}
	r.lastTick, r.lastCPU = now, cpu
	return share
}

// adjustShedding sets the kernel's keep rate from the ring buffer's fill
// and the reader's CPU use.
func (r *ebpfReceiver) adjustShedding() {
	if !r.cfg.Shedding {
		return
	}
	share := r.cpuShare()
	keep, trigger := nextKeep(r.keep, r.probes.Fill(), share)
	if keep == r.keep {
		return
	}
	if err := r.probes.SetKeep(keep); err != nil {
		r.set.Logger.Debug("Set shedding rate", zap.Error(err))
		return
	}
	if trigger != "" {
		r.trigger = trigger
		r.set.Logger.Info("Shedding spans in the kernel (roots, errors and stitching spans are kept)", zap.String("trigger", trigger),
			zap.Float64("keep_ratio", float64(keep)/1000), zap.Float64("cpu_budget_used", share))
	} else {
		r.set.Logger.Info("Shedding less", zap.Float64("keep_ratio", float64(keep)/1000))
	}
	r.keep = keep
	r.tel.ReceiverEbpfKeepPermille.Record(context.Background(), int64(keep))
}

// scan attaches to matching processes not traced yet.
func (r *ebpfReceiver) scan() {
	found, err := r.matcher.Scan()
	if err != nil {
		r.set.Logger.Debug("Scan /proc", zap.Error(err))
		return
	}
	for _, proc := range found {
		r.mu.Lock()
		_, known := r.procs[proc.PID]
		r.mu.Unlock()
		if !known {
			r.attach(proc)
		}
	}
}

// sweep counts and removes the calls in flight that can never end: their
// process was detached, or their goroutine ended inside them.
func (r *ebpfReceiver) sweep() {
	sw, err := r.probes.Sweep()
	if err != nil {
		r.set.Logger.Debug("Sweep calls in flight", zap.Error(err))
	}
	if sw.Detached > 0 {
		r.lose(causeDetached, int64(sw.Detached))
	}
	if sw.Abandoned > 0 {
		r.lose(causeAbandoned, int64(sw.Abandoned))
	}
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
	// Stop the loops first: the lifecycle loop attaches and detaches.
	errs := []error{r.probes.StopReading()}
	if r.cancel != nil {
		r.cancel()
	}
	r.wg.Wait()
	r.continueHeld()
	r.mu.Lock()
	pids := make([]int, 0, len(r.procs))
	for pid := range r.procs {
		pids = append(pids, pid)
	}
	r.mu.Unlock()
	for _, pid := range pids {
		r.detach(pid, "shutdown")
	}
	r.sweep()
	r.pollLost()
	errs = append(errs, r.probes.Close())
	r.clock.Stop()
	r.flush(ctx)
	r.probes = nil
	r.tel.Shutdown()
	return errors.Join(errs...)
}
