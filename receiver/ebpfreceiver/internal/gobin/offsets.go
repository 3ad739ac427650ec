package gobin

import (
	"debug/dwarf"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

//go:generate go run ./gentable -o offsets_table.go

// Offsets are the byte offsets of the struct fields the probes read. The
// field names mirror struct go_offsets in the BPF program.
type Offsets struct {
	RequestMethod   uint64
	RequestURL      uint64
	RequestHeader   uint64
	RequestHost     uint64
	RequestPattern  uint64
	RequestTLS      uint64 // net/http.Request.TLS
	URLScheme       uint64
	URLHost         uint64
	URLPath         uint64
	URLRawQuery     uint64
	ResponseConn    uint64
	ResponseStatus  uint64
	ConnRWC         uint64
	NetConnFD       uint64
	NetFDLaddr      uint64
	NetFDRaddr      uint64
	TCPAddrIP       uint64
	TCPAddrPort     uint64
	RespStatusCode  uint64
	PersistConnConn uint64
	GStackHi        uint64
	GM              uint64
	GGoid           uint64 // runtime.g.goid
	GStatus         uint64 // runtime.g.atomicstatus
	TLSConnConn     uint64 // crypto/tls.Conn.conn
	MCurg           uint64
	H2Status        uint64
	ConnHijacked    uint64
	H2RWSStream     uint64
	H2StreamSC      uint64
	H2SCConn        uint64
	// golang.org/x/net/http2's server, when linked in (DWARF only).
	XH2Status       uint64
	XH2RWSStream    uint64
	XH2StreamSC     uint64
	XH2SCConn       uint64
	H2CBufConnConn  uint64 // golang.org/x/net/http2/h2c.bufConn.Conn
	DriverConnCI    uint64 // database/sql.driverConn.ci
	SQLStmtQuery    uint64 // database/sql.Stmt.query
	HchanRecvqFirst uint64 // runtime.hchan.recvq + runtime.waitq.first
	SudogG          uint64
	// google.golang.org/grpc, when linked in.
	// A call's transport.Stream is the stream itself up to gRPC 1.68,
	// then embedded in a ServerStream or ClientStream: by pointer from 1.69
	// to 1.76 (GRPCStreamPtr), by value since.
	GRPCServerStream uint64 // transport.ServerStream.Stream
	GRPCClientStream uint64 // transport.ClientStream.Stream
	GRPCStreamPtr    bool
	GRPCStreamMethod uint64 // transport.Stream.method
	GRPCStreamID     uint64 // transport.Stream.id
	GRPCStreamWQ     uint64 // transport.Stream.wq
	GRPCWQPtr        bool   // Stream.wq is a pointer (up to gRPC 1.76), not the quota itself
	GRPCStatusS      uint64
	GRPCErrorS       uint64
	GRPCSPBCode      uint64
	GRPCServerConn   uint64 // transport.http2Server.conn
	GRPCSysConnConn  uint64 // internal/credentials.syscallConn.Conn: what wraps a TLS connection
	// The headers a client's connection writer sends: clientHeaders
	// since gRPC 1.82, headerFrame before.
	GRPCHeadersID uint64 // .streamID
	GRPCHeadersWQ uint64 // .wq
	GRPCLoopyConn uint64 // transport.loopyWriter.conn
	// golang.org/x/net/http2's frames, which gRPC's transport reads.
	XH2MetaHeaders uint64 // MetaHeadersFrame.HeadersFrame (a pointer)
	XH2MetaFields  uint64 // MetaHeadersFrame.Fields
	XH2HeadersSID  uint64 // HeadersFrame.FrameHeader + FrameHeader.StreamID
	HasPattern     bool
	// SwissMaps: maps have the Swiss-table layout (Go >= 1.24), else the
	// bucket layout of Go <= 1.23.
	SwissMaps bool
}

// field names one struct field in DWARF terms. With inner ("type.field")
// the offset is that of a field inside this one, and unknown (0) when the
// inner field is not found.
type field struct {
	typ, name string
	dst       func(*Offsets) *uint64
	inner     string
}

var fields = []field{
	{"net/http.Request", "Method", func(o *Offsets) *uint64 { return &o.RequestMethod }, ""},
	{"net/http.Request", "URL", func(o *Offsets) *uint64 { return &o.RequestURL }, ""},
	{"net/http.Request", "Header", func(o *Offsets) *uint64 { return &o.RequestHeader }, ""},
	{"net/http.Request", "Host", func(o *Offsets) *uint64 { return &o.RequestHost }, ""},
	{"net/http.Request", "Pattern", func(o *Offsets) *uint64 { return &o.RequestPattern }, ""},
	{"net/http.Request", "TLS", func(o *Offsets) *uint64 { return &o.RequestTLS }, ""},
	{"net/url.URL", "Scheme", func(o *Offsets) *uint64 { return &o.URLScheme }, ""},
	{"net/url.URL", "Host", func(o *Offsets) *uint64 { return &o.URLHost }, ""},
	{"net/url.URL", "Path", func(o *Offsets) *uint64 { return &o.URLPath }, ""},
	{"net/url.URL", "RawQuery", func(o *Offsets) *uint64 { return &o.URLRawQuery }, ""},
	{"net/http.response", "conn", func(o *Offsets) *uint64 { return &o.ResponseConn }, ""},
	{"net/http.response", "status", func(o *Offsets) *uint64 { return &o.ResponseStatus }, ""},
	{"net/http.conn", "rwc", func(o *Offsets) *uint64 { return &o.ConnRWC }, ""},
	{"net.conn", "fd", func(o *Offsets) *uint64 { return &o.NetConnFD }, ""},
	{"net.netFD", "laddr", func(o *Offsets) *uint64 { return &o.NetFDLaddr }, ""},
	{"net.netFD", "raddr", func(o *Offsets) *uint64 { return &o.NetFDRaddr }, ""},
	{"net.TCPAddr", "IP", func(o *Offsets) *uint64 { return &o.TCPAddrIP }, ""},
	{"net.TCPAddr", "Port", func(o *Offsets) *uint64 { return &o.TCPAddrPort }, ""},
	{"net/http.Response", "StatusCode", func(o *Offsets) *uint64 { return &o.RespStatusCode }, ""},
	{"net/http.persistConn", "conn", func(o *Offsets) *uint64 { return &o.PersistConnConn }, ""},
	{"runtime.g", "stack", func(o *Offsets) *uint64 { return &o.GStackHi }, "runtime.stack.hi"},
	{"runtime.stack", "hi", nil, ""},
	{"runtime.g", "m", func(o *Offsets) *uint64 { return &o.GM }, ""},
	{"runtime.g", "goid", func(o *Offsets) *uint64 { return &o.GGoid }, ""},
	{"runtime.g", "atomicstatus", func(o *Offsets) *uint64 { return &o.GStatus }, ""},
	{"crypto/tls.Conn", "conn", func(o *Offsets) *uint64 { return &o.TLSConnConn }, ""},
	{"runtime.m", "curg", func(o *Offsets) *uint64 { return &o.MCurg }, ""},
	{"net/http.http2responseWriterState", "status", func(o *Offsets) *uint64 { return &o.H2Status }, ""},
	{"net/http.conn", "hijackedv", func(o *Offsets) *uint64 { return &o.ConnHijacked }, ""},
	{"net/http.http2responseWriterState", "stream", func(o *Offsets) *uint64 { return &o.H2RWSStream }, ""},
	{"net/http.http2stream", "sc", func(o *Offsets) *uint64 { return &o.H2StreamSC }, ""},
	{"net/http.http2serverConn", "conn", func(o *Offsets) *uint64 { return &o.H2SCConn }, ""},
	{xnetHTTP2 + ".responseWriterState", "status", func(o *Offsets) *uint64 { return &o.XH2Status }, ""},
	{xnetHTTP2 + ".responseWriterState", "stream", func(o *Offsets) *uint64 { return &o.XH2RWSStream }, ""},
	{xnetHTTP2 + ".stream", "sc", func(o *Offsets) *uint64 { return &o.XH2StreamSC }, ""},
	{xnetHTTP2 + ".serverConn", "conn", func(o *Offsets) *uint64 { return &o.XH2SCConn }, ""},
	{xnetHTTP2 + "/h2c.bufConn", "Conn", func(o *Offsets) *uint64 { return &o.H2CBufConnConn }, ""},
	{"database/sql.driverConn", "ci", func(o *Offsets) *uint64 { return &o.DriverConnCI }, ""},
	{"database/sql.Stmt", "query", func(o *Offsets) *uint64 { return &o.SQLStmtQuery }, ""},
	{"runtime.hchan", "recvq", func(o *Offsets) *uint64 { return &o.HchanRecvqFirst }, "runtime.waitq.first"},
	{"runtime.waitq", "first", nil, ""},
	{"runtime.sudog", "g", func(o *Offsets) *uint64 { return &o.SudogG }, ""},
	{grpcServerStream, "Stream", func(o *Offsets) *uint64 { return &o.GRPCServerStream }, ""},
	{grpcTransport + ".ClientStream", "Stream", func(o *Offsets) *uint64 { return &o.GRPCClientStream }, ""},
	{grpcTransport + ".Stream", "method", func(o *Offsets) *uint64 { return &o.GRPCStreamMethod }, ""},
	{grpcTransport + ".Stream", "id", func(o *Offsets) *uint64 { return &o.GRPCStreamID }, ""},
	{grpcTransport + ".Stream", "wq", func(o *Offsets) *uint64 { return &o.GRPCStreamWQ }, ""},
	{grpcTransport + ".http2Server", "conn", func(o *Offsets) *uint64 { return &o.GRPCServerConn }, ""},
	{grpcPkg + "/internal/credentials.syscallConn", "Conn", func(o *Offsets) *uint64 { return &o.GRPCSysConnConn }, ""},
	// headerFrame first: clientHeaders, where there is one, overwrites it.
	{grpcTransport + ".headerFrame", "streamID", func(o *Offsets) *uint64 { return &o.GRPCHeadersID }, ""},
	{grpcTransport + ".headerFrame", "wq", func(o *Offsets) *uint64 { return &o.GRPCHeadersWQ }, ""},
	{grpcTransport + ".clientHeaders", "streamID", func(o *Offsets) *uint64 { return &o.GRPCHeadersID }, ""},
	{grpcTransport + ".clientHeaders", "wq", func(o *Offsets) *uint64 { return &o.GRPCHeadersWQ }, ""},
	{grpcTransport + ".loopyWriter", "conn", func(o *Offsets) *uint64 { return &o.GRPCLoopyConn }, ""},
	{xnetHTTP2 + ".MetaHeadersFrame", "HeadersFrame", func(o *Offsets) *uint64 { return &o.XH2MetaHeaders }, ""},
	{xnetHTTP2 + ".MetaHeadersFrame", "Fields", func(o *Offsets) *uint64 { return &o.XH2MetaFields }, ""},
	{xnetHTTP2 + ".HeadersFrame", "FrameHeader", func(o *Offsets) *uint64 { return &o.XH2HeadersSID }, xnetHTTP2 + ".FrameHeader.StreamID"},
	{xnetHTTP2 + ".FrameHeader", "StreamID", nil, ""},
	{grpcPkg + "/internal/status.Status", "s", func(o *Offsets) *uint64 { return &o.GRPCStatusS }, ""},
	{grpcPkg + "/internal/status.Error", "s", func(o *Offsets) *uint64 { return &o.GRPCErrorS }, ""},
	{"google.golang.org/genproto/googleapis/rpc/status.Status", "Code", func(o *Offsets) *uint64 { return &o.GRPCSPBCode }, ""},
}

// grpcPkg is google.golang.org/grpc's module, grpcTransport its transport.
const (
	grpcPkg          = "google.golang.org/grpc"
	grpcTransport    = grpcPkg + "/internal/transport"
	grpcServerStream = grpcTransport + ".ServerStream"
)

// The modules outside the standard library whose layouts the probes read;
// each has a table per release (see ModuleOffsets).
const (
	GRPCModule = grpcPkg
	XNetModule = "golang.org/x/net"
)

// module is the module whose releases a field's layout changes with, ""
// for the standard library's fields. genproto's status, which gRPC's
// wraps, goes with gRPC.
func (f field) module() string {
	switch {
	case strings.HasPrefix(f.typ, XNetModule+"/"):
		return XNetModule
	case strings.HasPrefix(f.typ, "google.golang.org/"):
		return GRPCModule
	}
	return ""
}

// optional tells the fields of modules outside the standard library: one
// of them missing leaves what needs it out instead of refusing the
// program.
func (f field) optional() bool { return f.module() != "" }

// xnetHTTP2 is the package of the HTTP/2 server that programs set up with
// http2.ConfigureServer or h2c.NewHandler (Caddy, for one).
const xnetHTTP2 = XNetModule + "/http2"

// Supported are the Go releases whose layouts the probes know: the struct
// fields above (from DWARF, or the generated table) and the map layout of
// the request headers.
var Supported = []string{"go1.23", "go1.24", "go1.25", "go1.26"}

// Offsets returns the field offsets for this binary: from its DWARF when it
// has some, else from the table generated for its Go version.
func (b *Binary) Offsets() (Offsets, error) {
	minor := MinorVersion(b.GoVersion)
	if !slices.Contains(Supported, minor) {
		//lint:ignore ST1005 the message starts with the product name "Go", as users search for it
		return Offsets{}, fmt.Errorf("Go version %s is not supported: %s was built with it; supported releases are %s", b.GoVersion, b.Path, strings.Join(Supported, ", "))
	}
	var dwarfErr error
	if d, err := b.f.DWARF(); err == nil {
		o, err := offsetsFromDWARF(d)
		if err == nil {
			o.SwissMaps = minor != "go1.23"
			return o, nil
		}
		dwarfErr = err
	}
	o, ok := offsetTable[minor]
	if !ok {
		why := "has no DWARF"
		if dwarfErr != nil {
			why = "has unusable DWARF (" + dwarfErr.Error() + ")"
		}
		//lint:ignore ST1005 the message starts with the product name "Go", as users search for it
		return Offsets{}, fmt.Errorf("Go version %s: no offsets (%s %s and the table covers %s)", b.GoVersion, b.Path, why, tableVersions())
	}
	// The layouts of modules outside the standard library come with the
	// module's release: from the table of the version the binary links.
	if g, ok := grpcOffsetTable[b.GRPCVersion]; ok {
		copyModuleFields(&o, g, GRPCModule)
	}
	if x, ok := xnetOffsetTable[b.XNetVersion]; ok {
		copyModuleFields(&o, x, XNetModule)
	}
	return o, nil
}

// copyModuleFields copies the offsets of the fields of a module (see
// field.module).
func copyModuleFields(dst *Offsets, src Offsets, module string) {
	for _, f := range fields {
		if f.module() == module && f.dst != nil {
			*f.dst(dst) = *f.dst(&src)
		}
	}
	if module == GRPCModule {
		dst.GRPCStreamPtr, dst.GRPCWQPtr = src.GRPCStreamPtr, src.GRPCWQPtr
	}
}

// ModuleOffsets is o with the fields of one module only (GRPCModule or
// XNetModule): what the table of that module's release holds.
func ModuleOffsets(o Offsets, module string) Offsets {
	var m Offsets
	copyModuleFields(&m, o, module)
	return m
}

// GRPC reports whether the probes can trace the program's gRPC calls with
// these offsets (from Offsets): false without gRPC, and an error that
// names what is missing when it has gRPC but its layout is unknown.
func (b *Binary) GRPC(o Offsets) (bool, error) {
	switch {
	case b.GRPCVersion == "":
		return false, nil
	case o.GRPCStreamMethod != 0 && o.GRPCSPBCode != 0:
		return true, nil
	}
	why := "its DWARF lacks the gRPC types the probes read"
	if _, err := b.f.DWARF(); err != nil {
		why = "it has no DWARF, and the offset table covers google.golang.org/grpc " + strings.Join(ModuleReleases(GRPCModule), ", ") + " only"
	}
	return false, fmt.Errorf("gRPC calls not traced: %s uses google.golang.org/grpc %s; %s", b.Path, b.GRPCVersion, why)
}

func offsetsFromDWARF(d *dwarf.Data) (Offsets, error) {
	want := make(map[string]map[string]bool)
	for _, f := range fields {
		if want[f.typ] == nil {
			want[f.typ] = make(map[string]bool)
		}
		want[f.typ][f.name] = true
	}
	found := make(map[string]uint64)        // "type.field" -> offset
	types := make(map[string]bool)          // struct types present
	typeOf := make(map[string]dwarf.Offset) // "type.field" -> the field's type
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			return Offsets{}, err
		}
		if e == nil {
			break
		}
		if e.Tag == dwarf.TagSubprogram && e.Children {
			r.SkipChildren() // parameters and variables: most of the entries
			continue
		}
		if e.Tag != dwarf.TagStructType {
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		members, ok := want[name]
		if !ok || !e.Children {
			continue
		}
		types[name] = true
		for {
			m, err := r.Next()
			if err != nil {
				return Offsets{}, err
			}
			if m == nil || m.Tag == 0 {
				break
			}
			mname, _ := m.Val(dwarf.AttrName).(string)
			if m.Tag == dwarf.TagMember && members[mname] {
				if loc, ok := m.Val(dwarf.AttrDataMemberLoc).(int64); ok {
					found[name+"."+mname] = uint64(loc)
				}
				if t, ok := m.Val(dwarf.AttrType).(dwarf.Offset); ok {
					typeOf[name+"."+mname] = t
				}
			}
			if m.Children {
				r.SkipChildren()
			}
		}
	}
	// A type the linker left out is one the program never uses (a server
	// without an HTTP client has no persistConn): its probes are not
	// placed, its offsets stay 0. A type without one of its fields is a
	// layout the probes do not know.
	var o Offsets
	for _, f := range fields {
		off, ok := found[f.typ+"."+f.name]
		if !ok {
			if !types[f.typ] || f.optional() {
				continue
			}
			return Offsets{}, fmt.Errorf("DWARF has %s without its field %s", f.typ, f.name)
		}
		if f.dst == nil {
			continue
		}
		if f.inner != "" {
			in, ok := found[f.inner]
			if !ok {
				continue
			}
			off += in
		}
		*f.dst(&o) = off
	}
	_, o.HasPattern = found["net/http.Request.Pattern"]
	for f, ptr := range map[string]*bool{grpcServerStream + ".Stream": &o.GRPCStreamPtr, grpcTransport + ".Stream.wq": &o.GRPCWQPtr} {
		if t, ok := typeOf[f]; ok {
			typ, err := d.Type(t)
			if err != nil {
				return Offsets{}, err
			}
			_, *ptr = typ.(*dwarf.PtrType)
		}
	}
	if !types["runtime.g"] {
		return Offsets{}, errors.New("DWARF has no runtime.g")
	}
	return o, nil
}

// ModuleReleases are the releases of a module (GRPCModule, XNetModule)
// whose layouts the generated tables hold, sorted.
func ModuleReleases(module string) []string {
	return slices.Sorted(maps.Keys(map[string]map[string]Offsets{GRPCModule: grpcOffsetTable, XNetModule: xnetOffsetTable}[module]))
}

func tableVersions() string {
	return strings.Join(slices.Sorted(maps.Keys(offsetTable)), ", ")
}

// Table returns the generated offsets per Go minor version ("go1.26"),
// those of gRPC per google.golang.org/grpc version and those of x/net per
// golang.org/x/net version, for the generator that extends them.
func Table() (goReleases, grpc, xnet map[string]Offsets) {
	return maps.Clone(offsetTable), maps.Clone(grpcOffsetTable), maps.Clone(xnetOffsetTable)
}
