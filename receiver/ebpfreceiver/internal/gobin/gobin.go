// Package gobin reads what the eBPF probes need from a Go executable: function
// addresses (from .symtab, or .gopclntab when the binary is stripped), the
// offsets of a function's RET instructions, the Go version and the offsets of
// the struct fields the probes read.
package gobin

import (
	"debug/buildinfo"
	"debug/elf"
	"debug/gosym"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// Func is one function of the executable.
type Func struct {
	Name string
	// Addr is the virtual address of the entry; Size its length in bytes.
	Addr, Size uint64
	// FileOffset is the entry's offset in the file, what uprobes attach to.
	FileOffset uint64
}

// Binary is an opened Go executable.
type Binary struct {
	Path      string
	GoVersion string // e.g. "go1.26.8"
	// Stripped is true when the binary has no .symtab.
	Stripped bool
	// GRPCVersion is the version of google.golang.org/grpc linked in
	// ("v1.83.2"), "" without.
	GRPCVersion string
	// XNetVersion is the version of golang.org/x/net linked in, "" without.
	XNetVersion string

	file  *os.File
	f     *elf.File
	funcs map[string]Func
}

// ErrNotGo is returned for executables without Go build information.
var ErrNotGo = errors.New("not a Go executable")

// Open reads the executable's symbols and build information.
func Open(path string) (*Binary, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	f, err := elf.NewFile(file)
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Machine != elf.EM_X86_64 {
		file.Close()
		return nil, fmt.Errorf("%s: machine %v is not supported (amd64 only)", path, f.Machine)
	}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("%s: %w", path, ErrNotGo)
	}
	b := &Binary{Path: path, GoVersion: bi.GoVersion, file: file, f: f}
	for _, m := range bi.Deps {
		switch m.Path {
		case GRPCModule:
			b.GRPCVersion = m.Version
		case XNetModule:
			b.XNetVersion = m.Version
		}
	}
	if err := b.loadSymbols(); err != nil {
		file.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// Close releases the file.
func (b *Binary) Close() error { return b.file.Close() }

func (b *Binary) loadSymbols() error {
	b.funcs = make(map[string]Func)
	syms, err := b.f.Symbols()
	if err == nil {
		for _, s := range syms {
			if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Value == 0 {
				continue
			}
			b.add(s.Name, s.Value, s.Size)
		}
		return nil
	}
	if !errors.Is(err, elf.ErrNoSymbols) {
		return err
	}
	b.Stripped = true
	return b.loadPclntab()
}

// loadPclntab reads function names and bounds from .gopclntab, which even
// stripped Go binaries keep. Go 1.26 writes 0 as the text start in the
// table's header, so the start is taken from the .text section instead.
func (b *Binary) loadPclntab() error {
	pcln := b.f.Section(".gopclntab")
	if pcln == nil { // position-independent builds before Go 1.26
		pcln = b.f.Section(".data.rel.ro.gopclntab")
	}
	text := b.f.Section(".text")
	if pcln == nil || text == nil {
		return errors.New("no .symtab and no .gopclntab")
	}
	data, err := pcln.Data()
	if err != nil {
		return fmt.Errorf("read .gopclntab: %w", err)
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return fmt.Errorf("parse .gopclntab: %w", err)
	}
	for _, fn := range tab.Funcs {
		b.add(fn.Name, fn.Entry, fn.End-fn.Entry)
	}
	return nil
}

func (b *Binary) add(name string, addr, size uint64) {
	off, ok := b.fileOffset(addr)
	if !ok {
		return
	}
	b.funcs[name] = Func{Name: name, Addr: addr, Size: size, FileOffset: off}
}

func (b *Binary) fileOffset(addr uint64) (uint64, bool) {
	for _, p := range b.f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 && addr >= p.Vaddr && addr < p.Vaddr+p.Memsz {
			return addr - p.Vaddr + p.Off, true
		}
	}
	return 0, false
}

// PIE reports whether the executable is position independent, so that its
// run-time addresses are the link-time ones plus a load bias.
func (b *Binary) PIE() bool { return b.f.Type == elf.ET_DYN }

// BaseAddr is the link-time address of the start of the first loadable
// segment, what the file's first mapping corresponds to.
func (b *Binary) BaseAddr() uint64 {
	for _, p := range b.f.Progs {
		if p.Type == elf.PT_LOAD {
			return (p.Vaddr - p.Off) &^ (p.Align - 1)
		}
	}
	return 0
}

// Funcs returns the functions whose names end with suffix.
func (b *Binary) Funcs(suffix string) []Func {
	var out []Func
	for name, fn := range b.funcs {
		if strings.HasSuffix(name, suffix) {
			out = append(out, fn)
		}
	}
	return out
}

// Func returns the function with the given full name, such as
// "net/http.serverHandler.ServeHTTP" or "main.chargeCard".
func (b *Binary) Func(name string) (Func, error) {
	fn, ok := b.funcs[name]
	if !ok {
		return Func{}, fmt.Errorf("symbol %s not found in %s", name, b.Path)
	}
	return fn, nil
}

// Returns gives the offsets, relative to the entry, of every RET instruction
// of fn. Uprobes there see the function's results in the registers.
func (b *Binary) Returns(fn Func) ([]uint64, error) {
	code := make([]byte, fn.Size)
	if _, err := b.file.ReadAt(code, int64(fn.FileOffset)); err != nil {
		return nil, fmt.Errorf("read %s: %w", fn.Name, err)
	}
	rets := retOffsets(code)
	if len(rets) == 0 {
		return nil, fmt.Errorf("%s in %s: no RET instruction", fn.Name, b.Path)
	}
	return rets, nil
}

// EntryOffset gives where, relative to the entry, a probe sees the
// function's arguments at the lowest cost: the conditional jump of the
// stack-growth prologue (CMPQ SP, 16(R14); JBE morestack, optionally after
// a LEAQ into R12). The kernel emulates a jump, while the first instruction
// would need a single step, which costs several times more. SP and the
// argument registers are unchanged there. Without such a prologue it is 0.
func (b *Binary) EntryOffset(fn Func) (uint64, error) {
	code := make([]byte, min(fn.Size, 32))
	if _, err := b.file.ReadAt(code, int64(fn.FileOffset)); err != nil {
		return 0, fmt.Errorf("read %s: %w", fn.Name, err)
	}
	return prologueJump(code), nil
}

func prologueJump(code []byte) uint64 {
	for pc, i := 0, 0; i < 3 && pc < len(code); i++ {
		inst, err := x86asm.Decode(code[pc:], 64)
		if err != nil {
			return 0
		}
		switch inst.Op {
		case x86asm.JBE:
			return uint64(pc)
		case x86asm.CMP:
		case x86asm.LEA:
			if inst.Args[0] != x86asm.R12 {
				return 0
			}
		default:
			return 0
		}
		pc += inst.Len
	}
	return 0
}

func retOffsets(code []byte) []uint64 {
	var rets []uint64
	for pc := 0; pc < len(code); {
		inst, err := x86asm.Decode(code[pc:], 64)
		if err != nil || inst.Len == 0 {
			pc++ // padding or data the decoder does not know: resynchronise
			continue
		}
		if inst.Op == x86asm.RET {
			rets = append(rets, uint64(pc))
		}
		pc += inst.Len
	}
	return rets
}

// MinorVersion reduces "go1.26.8" or "go1.26rc1" to "go1.26".
func MinorVersion(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	minor := parts[1]
	if i := strings.IndexFunc(minor, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minor = minor[:i]
	}
	return parts[0] + "." + minor
}
