//go:build linux && amd64

// Package probes loads the BPF programs that observe Go programs (uprobes on
// net/http and configured functions, raw tracepoints on exec and exit),
// attaches them to one process at a time and decodes their events.
package probes

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/gobin"
)

//go:generate go run github.com/cilium/ebpf/cmd/bpf2go@v0.20.0 -target amd64 -type span_event -type go_offsets -type proc_event -type shed_cfg bpf bpf/probes.c -- -I/usr/include/x86_64-linux-gnu -D__TARGET_ARCH_x86 -O2 -g -Wall

// Function names of the probe points.
const (
	ServerFunc       = "net/http.serverHandler.ServeHTTP"
	h1HeaderFunc     = "net/http.(*response).Header"
	h2HeaderFunc     = "net/http.(*http2responseWriter).Header"
	tcpConnCloseFunc = "net.(*TCPConn).Close"
	tlsConnCloseFunc = "crypto/tls.(*Conn).Close"
	// grpcSysConnCloseFunc is the wrapper gRPC's transport credentials put
	// around a TLS connection.
	grpcSysConnCloseFunc = "google.golang.org/grpc/internal/credentials.(*syscallConn).Close"
	// h2cBufConnCloseFunc is the connection type x/net's h2c handler
	// serves HTTP/2 on.
	h2cBufConnCloseFunc = "golang.org/x/net/http2/h2c.(*bufConn).Close"
	ClientFunc          = "net/http.(*Transport).roundTrip"
	ClientConnFunc      = "net/http.(*persistConn).roundTrip"
	NewprocFunc         = "runtime.newproc1"
	xh2HeaderFunc       = "golang.org/x/net/http2.(*responseWriter).Header"
	// XServerFunc is x/net's HTTP/2 server calling a handler.
	XServerFunc = "golang.org/x/net/http2.(*serverConn).runHandler"
	// RouteFunc is where a ServeMux finds the pattern of a request (Go >= 1.22).
	RouteFunc = "net/http.(*ServeMux).findHandler"
	// SQLQueryFunc and SQLExecFunc are what every query and exec of a
	// database/sql DB, Tx or Conn passes (prepared Stmts do not).
	SQLQueryFunc = "database/sql.(*DB).queryDC"
	SQLExecFunc  = "database/sql.(*DB).execDC"
	// Prepared statements: a Stmt's query and exec, and where each gets
	// its connection (which names the driver).
	SQLStmtQueryFunc = "database/sql.(*Stmt).QueryContext"
	SQLStmtExecFunc  = "database/sql.(*Stmt).ExecContext"
	sqlStmtQueryConn = "database/sql.rowsiFromStatement"
	sqlStmtExecConn  = "database/sql.resultFromStatement"
	// gRPC: one RPC on the server, the status it writes, a unary call, a
	// streaming call and its end.
	GRPCServerFunc       = "google.golang.org/grpc.(*Server).handleStream"
	grpcStatusFunc       = "google.golang.org/grpc/internal/transport.(*http2Server).writeStatus"
	grpcStatusFuncOld    = "google.golang.org/grpc/internal/transport.(*http2Server).WriteStatus" // older releases
	GRPCClientFunc       = "google.golang.org/grpc.(*ClientConn).Invoke"
	GRPCStreamFunc       = "google.golang.org/grpc.(*ClientConn).NewStream"
	grpcStreamFinishFunc = "google.golang.org/grpc.(*clientStream).finish"
	grpcNewStreamFunc    = "google.golang.org/grpc.newClientStream"
	grpcErrorFunc        = "google.golang.org/grpc/internal/status.(*Error).Error"
	grpcCloseSendFunc    = "google.golang.org/grpc.(*clientStream).CloseSend"
	errorStringFunc      = "errors.(*errorString).Error"
	// gRPC's transport, where a call meets its HTTP/2 stream: the client
	// creates the stream, its connection's writer sends the headers, the
	// server's reader receives them (with the metadata).
	grpcTransportStreamFunc = "google.golang.org/grpc/internal/transport.(*http2Client).newStream"
	grpcHeadersFunc         = "google.golang.org/grpc/internal/transport.(*loopyWriter).clientHeaderHandler"
	grpcHeadersFuncOld      = "google.golang.org/grpc/internal/transport.(*loopyWriter).headerHandler" // before gRPC 1.82
	grpcMetadataFunc        = "google.golang.org/grpc/internal/transport.(*http2Server).operateHeaders"
)

// recoverFuncs are the deferred functions that recover a panicking handler:
// HTTP/1's connection, the bundled and x/net's HTTP/2 handler goroutines.
var recoverFuncs = []string{
	"net/http.(*conn).serve.func1",
	"net/http.(*http2serverConn).runHandler.func1",
	"golang.org/x/net/http2.(*serverConn).runHandler.func1",
}

// Kind is the kind of span an event describes.
type Kind uint32

const (
	KindInternal   Kind = 1
	KindServer     Kind = 2
	KindClient     Kind = 3
	KindDB         Kind = 4 // a database/sql query or exec
	KindGRPCServer Kind = 5
	KindGRPCClient Kind = 6
)

// Span flags set by the BPF programs.
const (
	FlagRemoteParent = 1 << iota // parent from a traceparent header
	FlagTupleParent              // parent found through the connection 4-tuple
	FlagTransportErr             // the round trip returned an error
	FlagHasTuple                 // the address fields are valid
	FlagSampled                  // the traceparent had the sampled flag
	FlagHTTP2                    // served over HTTP/2
	FlagNoStatus                 // the response writer's type is unknown: no status
	FlagTLS                      // the connection is a *tls.Conn
	FlagHijacked                 // the handler took the connection over
	FlagPanic                    // the handler panicked or aborted
	_                            // FLAG_XNET: served by x/net/http2 (the BPF side's own)
	FlagHasStatus                // gRPC: Status holds the RPC's status code
)

const procHeld = 1

const (
	eventSpan = 1
	eventExec = 2
	eventExit = 3
)

// Span is a finished call observed in a traced process. Times are on the
// kernel's boot clock (CLOCK_BOOTTIME), in nanoseconds.
type Span struct {
	PID                    uint32
	Start, End             uint64
	Goroutine              uint64
	TraceID                [16]byte
	SpanID, ParentID       [8]byte
	Kind                   Kind
	FuncID                 uint32
	Status                 uint32
	Flags                  uint32
	Local, Remote          netip.AddrPort
	Method, Path, Route    string
	Host, Scheme, RawQuery string
	// DriverFn is, for KindDB, the run-time address of the driver conn
	// type's Prepare method (see Process.DriverMethod).
	DriverFn uint64
	// InnerRoute is the pattern of the innermost ServeMux when the request
	// went through more than one (Route is then the one around it).
	InnerRoute string
}

// Event is what the kernel reports: a span, or a process that started
// (Exec) or exited (Exit).
type Event struct {
	Span       *Span
	Exec, Exit uint32
	// Held: the exec'ed process is stopped until Continue.
	Held bool
}

// ErrNotPermitted means the caller lacks the privileges to load BPF.
var ErrNotPermitted = errors.New("not permitted: run as root or grant CAP_BPF and CAP_PERFMON")

// uprobePMU exists when the kernel can create uprobe perf events.
var uprobePMU = "/sys/bus/event_source/devices/uprobe/type"

// ErrNoUprobes means the kernel has no uprobe support.
var ErrNoUprobes = errors.New("uprobes not supported by this kernel")

// Probes are the loaded BPF programs and maps.
type Probes struct {
	objs   bpfObjects
	tps    []link.Link
	reader *ringbuf.Reader
	rec    ringbuf.Record

	mu      sync.Mutex // Fill against StopReading
	stopped bool
}

// Load checks kernel support, loads the programs with a ring buffer of
// ringBytes (a power of two, multiple of the page size) and attaches the
// exec and exit tracepoints.
func Load(ringBytes int) (*Probes, error) {
	if _, err := os.Stat(uprobePMU); err != nil {
		return nil, ErrNoUprobes
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, classify(err)
	}
	spec, err := loadBpf()
	if err != nil {
		return nil, err
	}
	spec.Maps["events"].MaxEntries = uint32(ringBytes)
	p := &Probes{}
	if err := spec.LoadAndAssign(&p.objs, nil); err != nil {
		return nil, classify(fmt.Errorf("load BPF programs: %w", err))
	}
	for name, prog := range map[string]*ebpf.Program{"sched_process_exec": p.objs.OnExec, "sched_process_exit": p.objs.OnExit} {
		l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: name, Program: prog})
		if err != nil {
			p.Close()
			return nil, classify(fmt.Errorf("attach tracepoint %s: %w", name, err))
		}
		p.tps = append(p.tps, l)
	}
	if p.reader, err = ringbuf.NewReader(p.objs.Events); err != nil {
		p.Close()
		return nil, fmt.Errorf("open ring buffer: %w", err)
	}
	return p, nil
}

func classify(err error) error {
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w (%v)", ErrNotPermitted, err)
	}
	return err
}

// StopReading makes a pending and every later Read return ErrClosed; the
// programs stay loaded until Close.
func (p *Probes) StopReading() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	return p.reader.Close()
}

// Close detaches everything and releases the maps. Read returns
// ErrClosed afterwards.
func (p *Probes) Close() error {
	var errs []error
	if p.reader != nil {
		p.mu.Lock()
		p.stopped = true
		errs = append(errs, p.reader.Close())
		p.mu.Unlock()
	}
	for _, l := range p.tps {
		errs = append(errs, l.Close())
	}
	errs = append(errs, p.objs.Close())
	return errors.Join(errs...)
}

// Lost counts the events the BPF programs dropped so far: because the
// ring buffer was full (Spans, and process starts and exits), on purpose
// (Shed), because the table of calls in flight or of open client streams
// was full (InflightFull, StreamFull), and calls whose return never came,
// found when a later call took their place (Abandoned).
type Lost struct{ Spans, Processes, Shed, InflightFull, StreamFull, Abandoned uint64 }

// Lost returns the counts of dropped events.
func (p *Probes) Lost() (Lost, error) {
	var l Lost
	for key, dst := range map[uint32]*uint64{0: &l.Spans, 1: &l.Processes, 2: &l.Shed, 3: &l.InflightFull, 4: &l.StreamFull, 5: &l.Abandoned} {
		var perCPU []uint64
		if err := p.objs.Lost.Lookup(key, &perCPU); err != nil {
			return Lost{}, err
		}
		for _, v := range perCPU {
			*dst += v
		}
	}
	return l, nil
}

// SetKeep makes the BPF programs keep permille spans in 1000 of those that
// may go (not roots, errors or the spans that stitch processes together),
// chosen by trace ID so that a trace's spans stay or go together; 1000
// keeps all.
func (p *Probes) SetKeep(permille uint32) error {
	return p.objs.Shed.Put(uint32(0), bpfShedCfg{DropPermille: 1000 - min(permille, 1000)})
}

// Fill is the share of the ring buffer that holds unread events; 0 once
// reading stopped.
func (p *Probes) Fill() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return 0
	}
	return float64(p.reader.AvailableBytes()) / float64(p.reader.BufferSize())
}

// pollInterval bounds how long a span waits in the ring buffer: the BPF
// programs do not wake the reader per event (see wakeup_flags).
const pollInterval = 5 * time.Millisecond

// Read blocks until the next event. It is not safe for concurrent use.
func (p *Probes) Read() (Event, error) {
	for {
		p.reader.SetDeadline(time.Now().Add(pollInterval))
		err := p.reader.ReadInto(&p.rec)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			return Event{}, err
		}
		return decode(p.rec.RawSample)
	}
}

func decode(raw []byte) (Event, error) {
	if len(raw) < int(unsafe.Sizeof(bpfProcEvent{})) {
		return Event{}, fmt.Errorf("short event of %d bytes", len(raw))
	}
	pe := (*bpfProcEvent)(unsafe.Pointer(&raw[0]))
	switch pe.Type {
	case eventExec:
		return Event{Exec: pe.Pid, Held: pe.Flags&procHeld != 0}, nil
	case eventExit:
		return Event{Exit: pe.Pid}, nil
	case eventSpan:
		if len(raw) < int(unsafe.Sizeof(bpfSpanEvent{})) {
			return Event{}, fmt.Errorf("short span event of %d bytes", len(raw))
		}
		return Event{Span: spanOf((*bpfSpanEvent)(unsafe.Pointer(&raw[0])))}, nil
	}
	return Event{}, fmt.Errorf("unknown event type %d", pe.Type)
}

func spanOf(e *bpfSpanEvent) *Span {
	s := &Span{
		PID: e.Pid, Start: e.StartNs, End: e.EndNs, Goroutine: e.Goroutine,
		TraceID: e.TraceId, SpanID: e.SpanId, ParentID: e.ParentId,
		Kind: Kind(e.Kind), FuncID: e.FnId, Status: e.Status, Flags: e.Flags, DriverFn: e.DriverFn,
		Method: cstr(e.Method[:]), Path: cstr(e.Path[:]), Route: cstr(e.Route[:]), InnerRoute: cstr(e.RouteInner[:]),
		Host: cstr(e.Host[:]), Scheme: cstr(e.Scheme[:]), RawQuery: cstr(e.Query[:]),
	}
	if e.Flags&FlagHasTuple != 0 {
		s.Local = netip.AddrPortFrom(netip.AddrFrom16(e.Addr.LocalIp).Unmap(), e.Addr.LocalPort)
		s.Remote = netip.AddrPortFrom(netip.AddrFrom16(e.Addr.RemoteIp).Unmap(), e.Addr.RemotePort)
	}
	return s
}

func cstr(b []int8) string {
	u := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(b))), len(b))
	if i := bytes.IndexByte(u, 0); i >= 0 {
		u = u[:i]
	}
	return string(u)
}

// Probe points; the BPF program's P_* constants.
const (
	pServerEntry = iota + 1
	pServerReturn
	pClientEntry
	pClientReturn
	pClientConn
	pNewprocReturn
	pFuncEntry
	pFuncReturn
	pXServerEntry
	pRouteReturn
	pPanicRecover
	pSQLQueryEntry
	pSQLExecEntry
	pSQLReturn
	pGRPCServerEntry
	pGRPCServerReturn
	pGRPCStatus
	pGRPCClientEntry
	pGRPCClientReturn
	pChanSend
	pChanRecv
	pGRPCStreamEntry
	pGRPCStreamFinish
	pGRPCTransportStream
	pGRPCHeaders
	pGRPCMetadata
	pSQLStmtQueryEntry
	pSQLStmtExecEntry
	pSQLStmtConn
	pGRPCNewClientStream
	pRecovery
)

// Options say what to probe besides net/http.
type Options struct {
	// Functions become INTERNAL spans; an event's FuncID is the index here.
	Functions []string
	// Goroutines probes runtime.newproc1 so that goroutines started within a
	// span have it as parent.
	Goroutines bool
	// Channels probes channel sends and receives so that work handed over a
	// channel to a goroutine started earlier has the sender's span as
	// parent.
	Channels bool
}

// Prepared is what probing one executable file needs: its field offsets and
// the file offsets of every probe point. It depends on the file only, so a
// program started again (or many processes of one program) reuse it.
type Prepared struct {
	offsets bpfGoOffsets // without the load bias, which is per process
	pie     bool
	base    uint64
	pl      plan
	// Missing are the listed functions this binary does not have.
	Missing []string
	// Untraced say what of the program cannot be traced, and why.
	Untraced []error
	prepares map[uint64]string // link-time address -> name of Prepare methods
}

// Prepare reads the binary's offsets and plans the probes. Probe points
// missing from the binary are warnings; it fails when none of the server,
// client and listed functions is there.
func Prepare(bin *gobin.Binary, opts Options) (*Prepared, error) {
	off, err := bin.Offsets()
	if err != nil {
		return nil, err
	}
	// Every probe point is optional, but at least one that makes spans
	// (server, client or a listed function) must exist.
	type point struct {
		fn          string
		entry, exit uint64
		fnID        uint32
	}
	points := []point{
		{ServerFunc, pServerEntry, pServerReturn, 0}, {ClientFunc, pClientEntry, pClientReturn, 0},
		{SQLQueryFunc, pSQLQueryEntry, pSQLReturn, 0}, {SQLExecFunc, pSQLExecEntry, pSQLReturn, 0},
	}
	if off.SQLStmtQuery != 0 {
		points = append(points, point{SQLStmtQueryFunc, pSQLStmtQueryEntry, pSQLReturn, 0}, point{SQLStmtExecFunc, pSQLStmtExecEntry, pSQLReturn, 0})
	}
	prep := &Prepared{offsets: toBPF(off), pie: bin.PIE(), base: bin.BaseAddr(), prepares: map[uint64]string{}}
	grpc, err := bin.GRPC(off)
	if err != nil {
		prep.Untraced = append(prep.Untraced, err)
	}
	if grpc {
		points = append(points, point{GRPCServerFunc, pGRPCServerEntry, pGRPCServerReturn, 0}, point{GRPCClientFunc, pGRPCClientEntry, pGRPCClientReturn, 0},
			point{GRPCStreamFunc, pGRPCStreamEntry, pGRPCClientReturn, 0})
	}
	for i, fn := range opts.Functions {
		points = append(points, point{fn, pFuncEntry, pFuncReturn, uint32(i)})
	}
	// A database/sql driver's conn type is told by the first method of its
	// driver.Conn itab's Prepare (see CONN_PREPARE_FN).
	for _, fn := range bin.Funcs(").Prepare") {
		prep.prepares[fn.Addr] = fn.Name
	}
	var missing []error
	for _, pt := range points {
		if err := prep.pl.add(bin, pt.fn, pt.entry, pt.exit, pt.fnID); err != nil {
			missing = append(missing, err)
			if pt.entry == pFuncEntry {
				prep.Missing = append(prep.Missing, pt.fn)
			}
		}
	}
	if len(prep.pl.addrs) == 0 {
		return nil, fmt.Errorf("nothing to probe: %w", errors.Join(missing...))
	}
	// Without these the probes leave out what they cannot tell apart.
	bo := &prep.offsets
	for name, dst := range map[string]*uint64{
		h1HeaderFunc: &bo.H1HeaderFn, h2HeaderFunc: &bo.H2HeaderFn,
		tcpConnCloseFunc: &bo.TcpconnCloseFn, tlsConnCloseFunc: &bo.TlsconnCloseFn, grpcSysConnCloseFunc: &bo.GrpcSysconnFn, h2cBufConnCloseFunc: &bo.H2cBufconnFn, xh2HeaderFunc: &bo.Xh2HeaderFn,
		grpcErrorFunc: &bo.GrpcErrorFn, grpcCloseSendFunc: &bo.GrpcCsFn, errorStringFunc: &bo.ErrorstringFn,
	} {
		if fn, err := bin.Func(name); err == nil {
			*dst = fn.Addr
		}
	}
	// x/net's response writer is told apart only where its layout is
	// known (DWARF, or the table of the program's x/net version): without,
	// its spans get no status rather than a made-up 200.
	if bo.Xh2HeaderFn != 0 && off.XH2Status == 0 {
		bo.Xh2HeaderFn = 0
		rels := gobin.ModuleReleases(gobin.XNetModule)
		prep.Untraced = append(prep.Untraced, fmt.Errorf("x/net HTTP/2 spans without status and addresses: %s uses golang.org/x/net %s; it has no DWARF, and the offset table covers golang.org/x/net %s to %s only",
			bin.Path, bin.XNetVersion, rels[0], rels[len(rels)-1]))
	}
	// Helpers of the points above; a program without an HTTP client has
	// no persistConn, one that never starts goroutines no newproc1.
	helpers := []point{{ClientConnFunc, pClientConn, 0, 0}, {RouteFunc, 0, pRouteReturn, 0}, {grpcStatusFunc, pGRPCStatus, 0, 0}, {grpcStatusFuncOld, pGRPCStatus, 0, 0},
		{grpcStreamFinishFunc, pGRPCStreamFinish, 0, 0}, {grpcNewStreamFunc, 0, pGRPCNewClientStream, 0},
		{sqlStmtQueryConn, pSQLStmtConn, 0, 0}, {sqlStmtExecConn, pSQLStmtConn, 0, 0},
		// A recovered panic: what it unwound never returns.
		{"runtime.recovery", pRecovery, 0, 0}}
	// Same-host stitching of gRPC calls and their traceparent metadata.
	if off.GRPCStreamWQ != 0 && off.GRPCHeadersWQ != 0 && off.GRPCLoopyConn != 0 {
		helpers = append(helpers, point{grpcTransportStreamFunc, 0, pGRPCTransportStream, 0}, point{grpcHeadersFunc, pGRPCHeaders, 0, 0})
		if _, err := bin.Func(grpcHeadersFunc); err != nil {
			helpers = append(helpers, point{grpcHeadersFuncOld, pGRPCHeaders, 0, 0})
		}
	}
	if off.XH2MetaFields != 0 && off.XH2HeadersSID != 0 {
		helpers = append(helpers, point{grpcMetadataFunc, pGRPCMetadata, 0, 0})
	}
	if _, err := bin.Func(ServerFunc); err == nil {
		if off.XH2Status != 0 {
			helpers = append(helpers, point{XServerFunc, pXServerEntry, pServerReturn, 0})
		}
		for _, fn := range recoverFuncs {
			helpers = append(helpers, point{fn, pPanicRecover, 0, 0})
		}
	}
	if opts.Goroutines {
		helpers = append(helpers, point{NewprocFunc, 0, pNewprocReturn, 0})
	}
	if opts.Channels {
		helpers = append(helpers, point{"runtime.chansend1", pChanSend, 0, 0},
			point{"runtime.chanrecv1", pChanRecv, 0, 0}, point{"runtime.chanrecv2", pChanRecv, 0, 0})
	}
	for _, pt := range helpers {
		if _, err := bin.Func(pt.fn); err != nil {
			continue
		}
		if err := prep.pl.add(bin, pt.fn, pt.entry, pt.exit, pt.fnID); err != nil {
			return nil, err
		}
	}
	return prep, nil
}

// Attach sets the process's field offsets and attaches the prepared probes
// with a PID filter, as one uprobe_multi link.
func (p *Probes) Attach(pid int, prep *Prepared) (*Process, error) {
	return p.attach(pid, prep, p.objs.OnUprobe)
}

// AttachTrapsOnly attaches an empty program at the same probe points as
// Attach: what the kernel's uprobe traps cost without the probes' work,
// for benchmarks to compare against.
func (p *Probes) AttachTrapsOnly(pid int, prep *Prepared) (*Process, error) {
	return p.attach(pid, prep, p.objs.Noop)
}

func (p *Probes) attach(pid int, prep *Prepared, prog *ebpf.Program) (*Process, error) {
	proc := &Process{PID: pid, p: p, prep: prep}
	if err := proc.setOffsets(); err != nil {
		return nil, err
	}
	key := uint32(pid)
	ex, err := link.OpenExecutable(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		proc.Close()
		return nil, err
	}
	proc.link, err = ex.UprobeMulti(nil, prog, &link.UprobeMultiOptions{Addresses: prep.pl.addrs, Cookies: prep.pl.cookies, PID: key})
	if err != nil {
		proc.Close()
		return nil, classify(fmt.Errorf("attach uprobes to pid %d: %w", pid, err))
	}
	if err := p.objs.Watched.Put(key, uint8(1)); err != nil {
		proc.Close()
		return nil, fmt.Errorf("watch pid %d: %w", pid, err)
	}
	return proc, nil
}

// setOffsets writes the offsets with this process's load bias.
func (proc *Process) setOffsets() error {
	bo := proc.prep.offsets
	var err error
	if proc.prep.pie {
		if bo.LoadBias, err = loadBias(proc.PID, proc.prep.base); err != nil {
			return err
		}
	}
	proc.bias.Store(bo.LoadBias)
	if err := proc.p.objs.Offsets.Put(uint32(proc.PID), bo); err != nil {
		return fmt.Errorf("set offsets for pid %d: %w", proc.PID, err)
	}
	return nil
}

// Reexec updates the process after it executed the same file again: the
// probes stay (they are placed on the file), a PIE's load bias changes.
func (proc *Process) Reexec() error { return proc.setOffsets() }

// SetHoldNames makes every process that executes a program of one of these
// file names stop at its exec until Continue: user space attaches first, so
// not even its first request goes untraced. The kernel compares the task's
// command name, the file name cut to 15 bytes.
func (p *Probes) SetHoldNames(names []string) error {
	for _, n := range names {
		var key [16]int8
		for i := 0; i < len(n) && i < len(key)-1; i++ {
			key[i] = int8(n[i])
		}
		if err := p.objs.HoldNames.Put(key, uint8(1)); err != nil {
			return fmt.Errorf("hold name %q: %w", n, err)
		}
	}
	return nil
}

// Continue resumes a process the exec tracepoint stopped.
func Continue(pid int) error { return unix.Kill(pid, unix.SIGCONT) }

// plan collects the file offsets to probe and the cookie of each.
type plan struct {
	addrs, cookies []uint64
}

// add plans a probe on the function's entry when entry is not 0 and on each
// of its RET instructions when exit is not 0.
func (pl *plan) add(bin *gobin.Binary, name string, entry, exit uint64, fnID uint32) error {
	fn, err := bin.Func(name)
	if err != nil {
		return err
	}
	var rets []uint64
	if exit != 0 {
		if rets, err = bin.Returns(fn); err != nil {
			return err
		}
	}
	if entry != 0 {
		at, err := bin.EntryOffset(fn)
		if err != nil {
			return err
		}
		pl.addrs = append(pl.addrs, fn.FileOffset+at)
		pl.cookies = append(pl.cookies, entry<<32|uint64(fnID))
	}
	for _, r := range rets {
		pl.addrs = append(pl.addrs, fn.FileOffset+r)
		pl.cookies = append(pl.cookies, exit<<32|uint64(fnID))
	}
	return nil
}

// Process holds the probes attached to one process.
type Process struct {
	PID  int
	link link.Link
	p    *Probes
	prep *Prepared
	bias atomic.Uint64
}

// DriverMethod names the method at a run-time address a database/sql
// span reports (Span.DriverFn), such as "github.com/lib/pq.(*conn).Prepare";
// "" when unknown.
func (proc *Process) DriverMethod(addr uint64) string {
	return proc.prep.prepares[addr-proc.bias.Load()]
}

// Close detaches the process's probes and forgets its offsets.
func (proc *Process) Close() error {
	var errs []error
	if proc.link != nil {
		errs = append(errs, proc.link.Close())
		proc.link = nil
	}
	key := uint32(proc.PID)
	for _, m := range []*ebpf.Map{proc.p.objs.Offsets, proc.p.objs.Watched} {
		if err := m.Delete(key); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// loadBias is where a position-independent executable was loaded relative
// to its link-time addresses: the start of the process's first mapping of
// the executable's file (found by inode) minus the file's base address.
func loadBias(pid int, base uint64) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/exe", pid), &st); err != nil {
		return 0, err
	}
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return 0, err
	}
	// start-end perms offset dev inode path
	for _, line := range strings.Split(string(maps), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[2] != "00000000" || f[4] != strconv.FormatUint(st.Ino, 10) {
			continue
		}
		start, err := strconv.ParseUint(strings.SplitN(f[0], "-", 2)[0], 16, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/maps: %w", pid, err)
		}
		return start - base, nil
	}
	return 0, fmt.Errorf("pid %d: executable not mapped yet", pid)
}

func toBPF(o gobin.Offsets) bpfGoOffsets {
	b := bpfGoOffsets{
		RequestMethod: o.RequestMethod, RequestUrl: o.RequestURL, RequestHeader: o.RequestHeader,
		RequestHost: o.RequestHost, RequestPattern: o.RequestPattern, RequestTls: o.RequestTLS,
		UrlScheme: o.URLScheme, UrlHost: o.URLHost, UrlPath: o.URLPath, UrlRawquery: o.URLRawQuery,
		ResponseConn: o.ResponseConn, ResponseStatus: o.ResponseStatus, ConnRwc: o.ConnRWC,
		NetconnFd: o.NetConnFD, NetfdLaddr: o.NetFDLaddr, NetfdRaddr: o.NetFDRaddr,
		TcpaddrIp: o.TCPAddrIP, TcpaddrPort: o.TCPAddrPort, RespStatuscode: o.RespStatusCode,
		PersistconnConn: o.PersistConnConn, G_stackHi: o.GStackHi, G_m: o.GM, G_goid: o.GGoid, G_status: o.GStatus, TlsconnConn: o.TLSConnConn, GrpcSysconnConn: o.GRPCSysConnConn, H2cBufconnConn: o.H2CBufConnConn, M_curg: o.MCurg, H2Status: o.H2Status,
		ConnHijacked: o.ConnHijacked, H2rwsStream: o.H2RWSStream, H2streamSc: o.H2StreamSC, H2scConn: o.H2SCConn,
		DriverconnCi: o.DriverConnCI, GrpcStreamMethod: o.GRPCStreamMethod, GrpcStatusS: o.GRPCStatusS,
		GrpcErrorS: o.GRPCErrorS, GrpcSpbCode: o.GRPCSPBCode, GrpcStreamId: o.GRPCStreamID, GrpcServerConn: o.GRPCServerConn,
		GrpcServerStream: o.GRPCServerStream, GrpcClientStream: o.GRPCClientStream, GrpcStreamWq: o.GRPCStreamWQ, GrpcHeadersId: o.GRPCHeadersID, GrpcHeadersWq: o.GRPCHeadersWQ, GrpcLoopyConn: o.GRPCLoopyConn,
		StmtQuery: o.SQLStmtQuery, Xh2MetaHeaders: o.XH2MetaHeaders, Xh2MetaFields: o.XH2MetaFields, Xh2HeadersSid: o.XH2HeadersSID, HchanRecvqFirst: o.HchanRecvqFirst, SudogG: o.SudogG, Xh2Status: o.XH2Status, Xh2rwsStream: o.XH2RWSStream, Xh2streamSc: o.XH2StreamSC, Xh2scConn: o.XH2SCConn,
	}
	if o.HasPattern {
		b.HasPattern = 1
	}
	if o.SwissMaps {
		b.SwissMaps = 1
	}
	if o.GRPCStreamPtr {
		b.GrpcStreamPtr = 1
	}
	if o.GRPCWQPtr {
		b.GrpcWqPtr = 1
	}
	return b
}

// ErrClosed is returned by Read after Close.
var ErrClosed = ringbuf.ErrClosed
