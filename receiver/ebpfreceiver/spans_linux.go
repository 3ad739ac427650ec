//go:build linux && amd64

package ebpfreceiver

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/clock"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/probes"
	"github.com/tracemap/tracemap/receiver/ebpfreceiver/internal/sqltext"
)

// Attribute names written by this receiver besides the OpenTelemetry
// semantic conventions.
const (
	// AttrSource marks spans built from kernel events; its value is "ebpf".
	AttrSource = "tracemap.source"
	// AttrParentVia says how a server span found a parent in another
	// process: "traceparent" (W3C header) or "connection" (same-host 4-tuple).
	AttrParentVia = "tracemap.ebpf.parent_via"
)

// processInfo is what the resource of a traced process is made of.
type processInfo struct {
	pid       int
	exe       string
	service   string
	goVersion string
}

func fillResource(res pcommon.Resource, p processInfo, host string) {
	a := res.Attributes()
	a.PutStr("service.name", p.service)
	a.PutInt("process.pid", int64(p.pid))
	a.PutStr("process.executable.name", filepath.Base(p.exe))
	a.PutStr("process.executable.path", p.exe)
	a.PutStr("process.runtime.name", "go")
	a.PutStr("process.runtime.version", p.goVersion)
	a.PutStr("host.name", host)
	a.PutStr("telemetry.distro.name", "tracemap")
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

// fillSpan turns one kernel event into a span. funcs names the configured
// functions by their id; driver is, for a database/sql span, the driver
// conn's Prepare method (see dbSystem).
func fillSpan(dst ptrace.Span, ev *probes.Span, clk *clock.Clock, funcs []string, driver string) {
	dst.SetTraceID(ev.TraceID)
	dst.SetSpanID(ev.SpanID)
	if ev.ParentID != [8]byte{} {
		dst.SetParentSpanID(ev.ParentID)
	}
	dst.SetStartTimestamp(pcommon.Timestamp(clk.Wall(ev.Start)))
	dst.SetEndTimestamp(pcommon.Timestamp(clk.Wall(ev.End)))
	a := dst.Attributes()
	a.PutStr(AttrSource, "ebpf")
	switch ev.Kind {
	case probes.KindServer:
		fillServer(dst, ev)
	case probes.KindClient:
		fillClient(dst, ev)
	case probes.KindDB:
		fillDB(dst, ev, driver)
	case probes.KindGRPCServer, probes.KindGRPCClient:
		fillGRPC(dst, ev)
	default:
		dst.SetKind(ptrace.SpanKindInternal)
		name := "unknown"
		if int(ev.FuncID) < len(funcs) {
			name = funcs[ev.FuncID]
		}
		dst.SetName(name)
		a.PutStr("code.function.name", name)
	}
}

func fillServer(dst ptrace.Span, ev *probes.Span) {
	dst.SetKind(ptrace.SpanKindServer)
	a := dst.Attributes()
	a.PutStr("http.request.method", ev.Method)
	a.PutStr("url.path", ev.Path)
	scheme := "http"
	if ev.Flags&probes.FlagTLS != 0 {
		scheme = "https"
	}
	a.PutStr("url.scheme", scheme)
	route := joinRoutes(routeOf(ev.Route), routeOf(ev.InnerRoute), ev.Path)
	if route != "" {
		a.PutStr("http.route", route)
		dst.SetName(ev.Method + " " + route)
	} else {
		dst.SetName(ev.Method)
	}
	// server.address and server.port name what the client asked for (the
	// Host header); without a port there, the socket's.
	hostPort := int64(-1)
	if host, port, err := net.SplitHostPort(ev.Host); err == nil {
		a.PutStr("server.address", host)
		if n, err := strconv.ParseUint(port, 10, 16); err == nil {
			hostPort = int64(n)
		}
	} else if ev.Host != "" {
		a.PutStr("server.address", ev.Host)
	}
	if hostPort >= 0 {
		a.PutInt("server.port", hostPort)
	}
	if ev.Flags&probes.FlagHasTuple != 0 {
		if hostPort < 0 {
			a.PutInt("server.port", int64(ev.Local.Port()))
		}
		a.PutStr("client.address", ev.Remote.Addr().String())
		a.PutInt("client.port", int64(ev.Remote.Port()))
	}
	if ev.Flags&probes.FlagHTTP2 != 0 {
		a.PutStr("network.protocol.version", "2")
	}
	// A handler that took the connection over (a WebSocket upgrade) wrote
	// whatever status it wrote itself: unknown unless it used WriteHeader.
	hijackedUnknown := ev.Flags&probes.FlagHijacked != 0 && ev.Status == 0
	if ev.Flags&probes.FlagPanic != 0 {
		// net/http answers a panicking (or aborting) handler by closing the
		// connection or resetting the stream: no status unless one was sent.
		dst.Status().SetCode(ptrace.StatusCodeError)
		a.PutStr("error.type", "panic")
		if ev.Status != 0 {
			a.PutInt("http.response.status_code", int64(ev.Status))
		}
	} else if ev.Flags&probes.FlagNoStatus == 0 && !hijackedUnknown {
		// A handler that writes nothing gets 200 from net/http after it returns.
		status := int64(ev.Status)
		if status == 0 {
			status = 200
		}
		a.PutInt("http.response.status_code", status)
		if status >= 500 {
			dst.Status().SetCode(ptrace.StatusCodeError)
			a.PutStr("error.type", strconv.FormatInt(status, 10))
		}
	}
	putParentVia(a, ev)
}

// putParentVia says how a server span found its parent in another process.
func putParentVia(a pcommon.Map, ev *probes.Span) {
	switch {
	case ev.Flags&probes.FlagRemoteParent != 0:
		a.PutStr(AttrParentVia, "traceparent")
	case ev.Flags&probes.FlagTupleParent != 0:
		a.PutStr(AttrParentVia, "connection")
	}
}

// routeOf reduces a ServeMux pattern ("GET example.com/users/{id}") to the
// route ("/users/{id}").
func routeOf(pattern string) string {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = strings.TrimLeft(pattern[i+1:], " \t")
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:]
	}
	return pattern
}

// joinRoutes makes one route of the patterns of nested ServeMuxes: an
// outer subtree pattern ("/api/") in front of the inner one when the inner
// mux saw the path with that prefix stripped (http.StripPrefix), else the
// inner pattern alone.
func joinRoutes(outer, inner, path string) string {
	if inner == "" {
		return outer
	}
	if len(outer) > 1 && strings.HasSuffix(outer, "/") {
		if joined := strings.TrimSuffix(outer, "/") + inner; patternMatches(joined, path) {
			return joined
		}
	}
	return inner
}

// patternMatches reports whether a ServeMux path pattern matches path:
// "{name}" matches one segment, "{name...}" the rest, "{$}" the end, and a
// pattern ending in "/" every path below it.
func patternMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	for i, p := range ps {
		switch {
		case p == "{$}":
			return i == len(xs)-1 && xs[i] == ""
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "...}"):
			return i < len(xs)
		case i == len(ps)-1 && p == "":
			return i < len(xs) // subtree
		case i >= len(xs):
			return false
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			if xs[i] == "" {
				return false
			}
		case p != xs[i]:
			return false
		}
	}
	return len(ps) == len(xs)
}

// dbSystems maps a database/sql driver's package to its db.system.
var dbSystems = []struct{ pkg, system string }{
	{"github.com/lib/pq", "postgresql"},
	{"github.com/jackc/pgx", "postgresql"},
	{"github.com/go-sql-driver/mysql", "mysql"},
	{"github.com/mattn/go-sqlite3", "sqlite"},
	{"modernc.org/sqlite", "sqlite"},
	{"github.com/glebarez/go-sqlite", "sqlite"},
	{"github.com/microsoft/go-mssqldb", "mssql"},
	{"github.com/denisenkom/go-mssqldb", "mssql"},
	{"github.com/sijms/go-ora", "oracle"},
	{"github.com/godror/godror", "oracle"},
	{"github.com/ClickHouse/clickhouse-go", "clickhouse"},
	{"github.com/snowflakedb/gosnowflake", "snowflake"},
	{"github.com/trinodb/trino-go-client", "trino"},
	{"github.com/duckdb/duckdb-go", "duckdb"},
	{"github.com/marcboeker/go-duckdb", "duckdb"},
}

// dbSystem names the database of a driver from its conn type's Prepare
// method ("github.com/lib/pq.(*conn).Prepare"): "other_sql" when unknown.
func dbSystem(driverMethod string) string {
	for _, d := range dbSystems {
		if strings.HasPrefix(driverMethod, d.pkg+".") || strings.HasPrefix(driverMethod, d.pkg+"/") {
			return d.system
		}
	}
	return "other_sql"
}

// fillDB makes a database/sql call a CLIENT span named after its
// operation, with the statement's literals replaced.
func fillDB(dst ptrace.Span, ev *probes.Span, driver string) {
	dst.SetKind(ptrace.SpanKindClient)
	a := dst.Attributes()
	system := dbSystem(driver)
	a.PutStr("db.system", system)
	name := system
	if ev.Path != "" {
		a.PutStr("db.query.text", sqltext.Sanitize(ev.Path))
		if op := sqltext.Operation(ev.Path); op != "" {
			a.PutStr("db.operation.name", op)
			name = op
		}
	}
	dst.SetName(name)
	if ev.Flags&probes.FlagTransportErr != 0 {
		dst.Status().SetCode(ptrace.StatusCodeError)
		a.PutStr("error.type", "_OTHER")
	}
}

// grpcServerErrors are the status codes that make a gRPC server span ERROR
// (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE,
// DATA_LOSS); on the client every code but OK does.
var grpcServerErrors = map[uint32]bool{2: true, 4: true, 12: true, 13: true, 14: true, 15: true}

// fillGRPC makes a gRPC call ("/pkg.Service/Method") a SERVER or CLIENT span.
func fillGRPC(dst ptrace.Span, ev *probes.Span) {
	a := dst.Attributes()
	full := strings.TrimPrefix(ev.Path, "/")
	dst.SetName(full)
	a.PutStr("rpc.system", "grpc")
	if svc, method, ok := strings.Cut(full, "/"); ok {
		a.PutStr("rpc.service", svc)
		a.PutStr("rpc.method", method)
	}
	server := ev.Kind == probes.KindGRPCServer
	if server {
		dst.SetKind(ptrace.SpanKindServer)
		putParentVia(a, ev)
	} else {
		dst.SetKind(ptrace.SpanKindClient)
	}
	if ev.Flags&probes.FlagHasStatus == 0 {
		return // the stream ended without a status written (the client went away)
	}
	a.PutInt("rpc.grpc.status_code", int64(ev.Status))
	if (server && grpcServerErrors[ev.Status]) || (!server && ev.Status != 0) {
		dst.Status().SetCode(ptrace.StatusCodeError)
		a.PutStr("error.type", strconv.Itoa(int(ev.Status)))
	}
}

func fillClient(dst ptrace.Span, ev *probes.Span) {
	dst.SetKind(ptrace.SpanKindClient)
	dst.SetName(ev.Method)
	a := dst.Attributes()
	a.PutStr("http.request.method", ev.Method)
	full := ev.Scheme + "://" + ev.Host + ev.Path
	if ev.RawQuery != "" {
		full += "?" + ev.RawQuery
	}
	a.PutStr("url.full", full)
	host, port := ev.Host, ""
	if h, p, err := net.SplitHostPort(ev.Host); err == nil {
		host, port = h, p
	} else if ev.Scheme == "https" {
		port = "443"
	} else {
		port = "80"
	}
	a.PutStr("server.address", host)
	if n, err := strconv.Atoi(port); err == nil {
		a.PutInt("server.port", int64(n))
	}
	if ev.Flags&probes.FlagHasTuple != 0 {
		a.PutStr("network.peer.address", ev.Remote.Addr().String())
		a.PutInt("network.peer.port", int64(ev.Remote.Port()))
		a.PutStr("network.local.address", ev.Local.Addr().String())
		a.PutInt("network.local.port", int64(ev.Local.Port()))
	}
	switch {
	case ev.Flags&probes.FlagTransportErr != 0:
		dst.Status().SetCode(ptrace.StatusCodeError)
		a.PutStr("error.type", "_OTHER")
	case ev.Status != 0:
		a.PutInt("http.response.status_code", int64(ev.Status))
		if ev.Status >= 400 {
			dst.Status().SetCode(ptrace.StatusCodeError)
			a.PutStr("error.type", strconv.Itoa(int(ev.Status)))
		}
	}
}
