//go:build linux

package gobin

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/targettest"
)

func open(t *testing.T, stripped bool) *Binary {
	t.Helper()
	b, err := Open(targettest.Build(t, "shop", stripped))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestStrippedMatchesSymtab(t *testing.T) {
	full, stripped := open(t, false), open(t, true)
	if full.Stripped || !stripped.Stripped {
		t.Fatalf("Stripped = %v/%v, want false/true", full.Stripped, stripped.Stripped)
	}
	for _, name := range []string{"net/http.serverHandler.ServeHTTP", "net/http.(*Transport).roundTrip", "runtime.newproc1", "main.chargeCard"} {
		a, err := full.Func(name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := stripped.Func(name)
		if err != nil {
			t.Fatal(err)
		}
		// Same compiler, same code: entries and file offsets agree.
		if a.Addr != b.Addr || a.FileOffset != b.FileOffset || a.FileOffset == 0 {
			t.Errorf("%s: symtab %+v, pclntab %+v", name, a, b)
		}
		ra, err := full.Returns(a)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := stripped.Returns(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(ra) == 0 || len(ra) != len(rb) || ra[0] != rb[0] {
			t.Errorf("%s: RETs %v vs %v", name, ra, rb)
		}
	}
	if _, err := stripped.Func("main.nothere"); err == nil || !strings.Contains(err.Error(), "symbol main.nothere not found in ") {
		t.Errorf("missing symbol error = %v", err)
	}
}

func TestOffsetsDWARFAndTable(t *testing.T) {
	full, stripped := open(t, false), open(t, true)
	fromDWARF, fromTable := offsetsOf(t, full), offsetsOf(t, stripped)
	// shop does not use database/sql: its DWARF lacks driverConn and Stmt.
	if fromDWARF.DriverConnCI != 0 || fromTable.DriverConnCI == 0 {
		t.Errorf("driverConn.ci at %#x in DWARF, %#x in the table", fromDWARF.DriverConnCI, fromTable.DriverConnCI)
	}
	fromTable.DriverConnCI, fromTable.SQLStmtQuery = 0, 0
	if fromDWARF != fromTable {
		t.Fatalf("DWARF %+v != table %+v", fromDWARF, fromTable)
	}
	if !fromDWARF.HasPattern || fromDWARF.URLPath == 0 || fromDWARF.GStackHi != 8 {
		t.Fatalf("implausible offsets %+v", fromDWARF)
	}
	for _, b := range []*Binary{full, stripped} {
		b.GoVersion = "go1.22.5"
		_, err := b.Offsets()
		want := "Go version go1.22.5 is not supported: " + b.Path + " was built with it; supported releases are go1.23, go1.24, go1.25, go1.26"
		if err == nil || err.Error() != want {
			t.Errorf("unsupported version error = %v, want %q", err, want)
		}
	}
}

func offsetsOf(t *testing.T, b *Binary) Offsets {
	t.Helper()
	o, err := b.Offsets()
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// strippedPair opens program built with DWARF and stripped, and checks
// that the stripped one gets the same offsets of module's fields from the
// table of the module's version as the other from its DWARF, whose
// offsets has accepts (they are not all zero).
func strippedPair(t *testing.T, program, module string, has func(Offsets) bool) (full, stripped *Binary) {
	t.Helper()
	var bins [2]*Binary
	for i, strip := range []bool{false, true} {
		b, err := Open(targettest.BuildProgram(t, program, program, strip))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		bins[i] = b
	}
	full, stripped = bins[0], bins[1]
	fromDWARF, fromTable := offsetsOf(t, full), offsetsOf(t, stripped)
	if !has(fromDWARF) || ModuleOffsets(fromDWARF, module) != ModuleOffsets(fromTable, module) {
		t.Errorf("%s offsets of %s: DWARF %+v, table %+v", module, program, ModuleOffsets(fromDWARF, module), ModuleOffsets(fromTable, module))
	}
	return full, stripped
}

// A gRPC program stripped of DWARF gets gRPC's offsets from the table of
// its google.golang.org/grpc version, the same as its DWARF says; with a
// version the table lacks it is told which.
func TestGRPCOffsetsStripped(t *testing.T) {
	full, stripped := strippedPair(t, "rpc", GRPCModule, func(o Offsets) bool { return o.GRPCLoopyConn != 0 })
	if full.GRPCVersion == "" || full.GRPCVersion != stripped.GRPCVersion {
		t.Fatalf("gRPC versions %q and %q", full.GRPCVersion, stripped.GRPCVersion)
	}
	bins := []*Binary{full, stripped}
	for _, b := range bins {
		o, _ := b.Offsets()
		if ok, err := b.GRPC(o); !ok || err != nil {
			t.Errorf("%s: GRPC() = %v, %v", b.Path, ok, err)
		}
	}

	stripped.GRPCVersion = "v1.59.0"
	o, err := stripped.Offsets()
	if err != nil {
		t.Fatal(err)
	}
	if o.GRPCStreamMethod != 0 {
		t.Errorf("gRPC offsets for an unknown version: %+v", ModuleOffsets(o, GRPCModule))
	}
	ok, err := stripped.GRPC(o)
	want := "gRPC calls not traced: " + stripped.Path + " uses google.golang.org/grpc v1.59.0; it has no DWARF, and the offset table covers google.golang.org/grpc " +
		strings.Join(slices.Sorted(maps.Keys(grpcOffsetTable)), ", ") + " only"
	if ok || err == nil || err.Error() != want {
		t.Errorf("GRPC() = %v, %v, want false, %q", ok, err, want)
	}
}

// A program with x/net's HTTP/2 server (h2c) stripped of DWARF gets its
// offsets from the table of its golang.org/x/net version, also those of
// the frames gRPC's transport reads.
func TestXNetOffsetsStripped(t *testing.T) {
	_, stripped := strippedPair(t, "edge", XNetModule, func(o Offsets) bool { return o.XH2Status != 0 && o.XH2MetaFields != 0 })
	if stripped.XNetVersion == "" {
		t.Fatal("no golang.org/x/net version in the build information")
	}
}

// Toolchains are the releases the tests build targets with besides the
// installed one (go1.26): the patch releases the table was generated from.
var toolchains = []string{"go1.23.12", "go1.24.13", "go1.25.5"}

// A server-only program of every supported release, with DWARF and
// stripped: the offsets from DWARF (which lacks the client's types) agree
// with the generated table on every field the program has, and the
// client's persistConn is 0 in DWARF, as the linker dropped its type.
func TestOffsetsEveryRelease(t *testing.T) {
	for _, tc := range append(toolchains, "") {
		full, err := Open(targettest.BuildToolchain(t, tc, "whoami", "whoami"))
		if err != nil {
			t.Fatal(err)
		}
		defer full.Close()
		stripped, err := Open(targettest.BuildToolchain(t, tc, "whoami", "whoami", "-ldflags=-s -w"))
		if err != nil {
			t.Fatal(err)
		}
		defer stripped.Close()
		if tc != "" && full.GoVersion != tc {
			t.Fatalf("built with %s, want %s", full.GoVersion, tc)
		}
		fromDWARF, err := full.Offsets()
		if err != nil {
			t.Fatalf("%s: %v", full.GoVersion, err)
		}
		fromTable, err := stripped.Offsets()
		if err != nil {
			t.Fatalf("%s stripped: %v", full.GoVersion, err)
		}
		if fromDWARF.PersistConnConn != 0 || fromTable.PersistConnConn == 0 {
			t.Errorf("%s: persistConn.conn at %#x in DWARF of a server-only program, %#x in the table", full.GoVersion, fromDWARF.PersistConnConn, fromTable.PersistConnConn)
		}
		fromTable.PersistConnConn, fromTable.DriverConnCI, fromTable.SQLStmtQuery = 0, 0, 0 // no database/sql either
		if fromDWARF != fromTable {
			t.Errorf("%s: DWARF %+v != table %+v", full.GoVersion, fromDWARF, fromTable)
		}
		if fromDWARF.SwissMaps != (MinorVersion(full.GoVersion) != "go1.23") {
			t.Errorf("%s: SwissMaps = %v", full.GoVersion, fromDWARF.SwissMaps)
		}
	}
}

func TestRetOffsets(t *testing.T) {
	// push rbp; ret; int3; mov eax,1; ret
	code := []byte{0x55, 0xc3, 0xcc, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3}
	got := retOffsets(code)
	if len(got) != 2 || got[0] != 1 || got[1] != 8 {
		t.Fatalf("retOffsets = %v, want [1 8]", got)
	}
}

func TestMinorVersion(t *testing.T) {
	for in, want := range map[string]string{"go1.26.8": "go1.26", "go1.26rc1": "go1.26", "go1.24": "go1.24", "devel": "devel"} {
		if got := MinorVersion(in); got != want {
			t.Errorf("MinorVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMain(m *testing.M) { os.Exit(targettest.Main(m)) }

func TestPrologueJump(t *testing.T) {
	for name, tc := range map[string]struct {
		code []byte
		want uint64
	}{
		// CMPQ SP, 0x10(R14); JBE rel32
		"small frame": {[]byte{0x49, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0x8a, 0, 0, 0, 0x55}, 4},
		// LEAQ -0x158(SP), R12; CMPQ R12, 0x10(R14); JBE rel32
		"large frame": {[]byte{0x4c, 0x8d, 0xa4, 0x24, 0xa8, 0xfe, 0xff, 0xff, 0x4d, 0x3b, 0x66, 0x10, 0x0f, 0x86, 0xb4, 0x10, 0, 0}, 12},
		// CMPQ SP, 0x10(R14); JBE rel8
		"short jump": {[]byte{0x49, 0x3b, 0x66, 0x10, 0x76, 0x26, 0x55}, 4},
		// leaf: PUSHQ BP first
		"no prologue": {[]byte{0x55, 0x48, 0x89, 0xe5}, 0},
		// LEAQ into an argument register is not the prologue
		"lea rax": {[]byte{0x48, 0x8d, 0x04, 0x24, 0x76, 0x26}, 0},
	} {
		if got := prologueJump(tc.code); got != tc.want {
			t.Errorf("%s: prologueJump = %d, want %d", name, got, tc.want)
		}
	}
}
