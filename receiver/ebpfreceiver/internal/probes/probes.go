//go:build linux

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
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/gobin"
)

//go:generate go run github.com/cilium/ebpf/cmd/bpf2go@v0.20.0 -target amd64 -type span_event -type go_offsets -type proc_event bpf bpf/probes.c -- -I/usr/include/x86_64-linux-gnu -D__TARGET_ARCH_x86 -O2 -g -Wall

// Function names of the probe points.
const (
	ServerFunc     = "net/http.serverHandler.ServeHTTP"
	ClientFunc     = "net/http.(*Transport).roundTrip"
	ClientConnFunc = "net/http.(*persistConn).roundTrip"
	NewprocFunc    = "runtime.newproc1"
)

// Kind is the kind of span an event describes.
type Kind uint32

const (
	KindInternal Kind = 1
	KindServer   Kind = 2
	KindClient   Kind = 3
)

// Span flags set by the BPF programs.
const (
	FlagRemoteParent = 1 << iota // parent from a traceparent header
	FlagTupleParent              // parent found through the connection 4-tuple
	FlagTransportErr             // the round trip returned an error
	FlagHasTuple                 // the address fields are valid
	FlagSampled                  // the traceparent had the sampled flag
)

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
}

// Event is what the kernel reports: a span, or a process that started
// (Exec) or exited (Exit).
type Event struct {
	Span       *Span
	Exec, Exit uint32
}

// ErrNotPermitted means the caller lacks the privileges to load BPF.
var ErrNotPermitted = errors.New("not permitted: run as root or grant CAP_BPF and CAP_PERFMON")

// ErrNoUprobes means the kernel has no uprobe support.
var ErrNoUprobes = errors.New("uprobes not supported by this kernel")

// Probes are the loaded BPF programs and maps.
type Probes struct {
	objs   bpfObjects
	tps    []link.Link
	reader *ringbuf.Reader
}

// Load checks kernel support, loads the programs with a ring buffer of
// ringBytes (a power of two, multiple of the page size) and attaches the
// exec and exit tracepoints.
func Load(ringBytes int) (*Probes, error) {
	if _, err := os.Stat("/sys/bus/event_source/devices/uprobe/type"); err != nil {
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

// Close detaches everything and releases the maps. Read returns
// ringbuf.ErrClosed afterwards.
func (p *Probes) Close() error {
	var errs []error
	if p.reader != nil {
		errs = append(errs, p.reader.Close())
	}
	for _, l := range p.tps {
		errs = append(errs, l.Close())
	}
	errs = append(errs, p.objs.Close())
	return errors.Join(errs...)
}

// Lost is the number of events dropped so far because the ring buffer was full.
func (p *Probes) Lost() (uint64, error) {
	var perCPU []uint64
	if err := p.objs.Lost.Lookup(uint32(0), &perCPU); err != nil {
		return 0, err
	}
	var n uint64
	for _, v := range perCPU {
		n += v
	}
	return n, nil
}

// Read blocks until the next event.
func (p *Probes) Read() (Event, error) {
	rec, err := p.reader.Read()
	if err != nil {
		return Event{}, err
	}
	return decode(rec.RawSample)
}

func decode(raw []byte) (Event, error) {
	if len(raw) < int(unsafe.Sizeof(bpfProcEvent{})) {
		return Event{}, fmt.Errorf("short event of %d bytes", len(raw))
	}
	pe := (*bpfProcEvent)(unsafe.Pointer(&raw[0]))
	switch pe.Type {
	case eventExec:
		return Event{Exec: pe.Pid}, nil
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
		Kind: Kind(e.Kind), FuncID: e.FnId, Status: e.Status, Flags: e.Flags,
		Method: cstr(e.Method[:]), Path: cstr(e.Path[:]), Route: cstr(e.Route[:]),
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

// Process holds the probes attached to one process.
type Process struct {
	PID   int
	links []link.Link
	p     *Probes
}

// Attach sets the process's field offsets and attaches the probes with a PID
// filter. The server probe is required; the client, goroutine and the listed
// functions (whose event FuncID is their index in funcs) are attached when
// present, each failure returned as a warning.
func (p *Probes) Attach(pid int, bin *gobin.Binary, funcs []string) (proc *Process, warnings []error, err error) {
	off, err := bin.Offsets()
	if err != nil {
		return nil, nil, err
	}
	key := uint32(pid)
	if err := p.objs.Offsets.Put(key, toBPF(off)); err != nil {
		return nil, nil, fmt.Errorf("set offsets for pid %d: %w", pid, err)
	}
	ex, err := link.OpenExecutable(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return nil, nil, err
	}
	proc = &Process{PID: pid, p: p}
	fail := func(err error) (*Process, []error, error) {
		proc.Close()
		return nil, nil, classify(err)
	}
	if err := proc.probe(ex, bin, ServerFunc, p.objs.ServerEntry, p.objs.ServerReturn, 0); err != nil {
		return fail(err)
	}
	optional := []struct {
		fn          string
		entry, exit *ebpf.Program
	}{
		{ClientFunc, p.objs.ClientEntry, p.objs.ClientReturn},
		{ClientConnFunc, p.objs.ClientConn, nil},
		{NewprocFunc, p.objs.NewprocEntry, p.objs.NewprocReturn},
	}
	for _, o := range optional {
		if err := proc.probe(ex, bin, o.fn, o.entry, o.exit, 0); err != nil {
			warnings = append(warnings, err)
		}
	}
	for i, fn := range funcs {
		if err := proc.probe(ex, bin, fn, p.objs.FuncEntry, p.objs.FuncReturn, uint64(i)); err != nil {
			warnings = append(warnings, err)
		}
	}
	if err := p.objs.Watched.Put(key, uint8(1)); err != nil {
		return fail(fmt.Errorf("watch pid %d: %w", pid, err))
	}
	return proc, warnings, nil
}

// probe attaches entry to the function's entry and exit (when not nil) to
// each of its RET instructions.
func (proc *Process) probe(ex *link.Executable, bin *gobin.Binary, name string, entry, exit *ebpf.Program, cookie uint64) error {
	fn, err := bin.Func(name)
	if err != nil {
		return err
	}
	offsets := []uint64{0}
	if exit != nil {
		rets, err := bin.Returns(fn)
		if err != nil {
			return err
		}
		offsets = append(offsets, rets...)
	}
	for i, off := range offsets {
		prog := entry
		if i > 0 {
			prog = exit
		}
		l, err := ex.Uprobe(name, prog, &link.UprobeOptions{Address: fn.FileOffset, Offset: off, PID: proc.PID, Cookie: cookie})
		if err != nil {
			return fmt.Errorf("attach %s+%#x in pid %d: %w", name, off, proc.PID, err)
		}
		proc.links = append(proc.links, l)
	}
	return nil
}

// Close detaches the process's probes and forgets its offsets.
func (proc *Process) Close() error {
	var errs []error
	for _, l := range proc.links {
		errs = append(errs, l.Close())
	}
	proc.links = nil
	key := uint32(proc.PID)
	for _, m := range []*ebpf.Map{proc.p.objs.Offsets, proc.p.objs.Watched} {
		if err := m.Delete(key); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func toBPF(o gobin.Offsets) bpfGoOffsets {
	b := bpfGoOffsets{
		RequestMethod: o.RequestMethod, RequestUrl: o.RequestURL, RequestHeader: o.RequestHeader,
		RequestHost: o.RequestHost, RequestPattern: o.RequestPattern,
		UrlScheme: o.URLScheme, UrlHost: o.URLHost, UrlPath: o.URLPath, UrlRawquery: o.URLRawQuery,
		ResponseConn: o.ResponseConn, ResponseStatus: o.ResponseStatus, ConnRwc: o.ConnRWC,
		NetconnFd: o.NetConnFD, NetfdLaddr: o.NetFDLaddr, NetfdRaddr: o.NetFDRaddr,
		TcpaddrIp: o.TCPAddrIP, TcpaddrPort: o.TCPAddrPort, RespStatuscode: o.RespStatusCode,
		PersistconnConn: o.PersistConnConn, G_stackHi: o.GStackHi,
	}
	if o.HasPattern {
		b.HasPattern = 1
	}
	return b
}

// ErrClosed is returned by Read after Close.
var ErrClosed = ringbuf.ErrClosed
