// SPDX-License-Identifier: (MIT OR GPL-2.0)
//
// Uprobes on Go binaries (amd64, register ABI) that turn net/http server and
// client calls and configured functions into span events, and raw
// tracepoints that report process exec and exit.
//
// Returns are observed with uprobes placed on each RET instruction of the
// function, never with uretprobes: Go moves goroutine stacks, and a
// uretprobe's trampoline on a moved stack crashes the program. The goroutine
// is identified by the g pointer, which Go keeps in r14.

#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define EVENT_SPAN 1
#define EVENT_EXEC 2
#define EVENT_EXIT 3

#define KIND_INTERNAL 1
#define KIND_SERVER 2
#define KIND_CLIENT 3
#define KIND_DB 4 // a database/sql call (a CLIENT span)
#define KIND_GRPC_SERVER 5
#define KIND_GRPC_CLIENT 6

#define FLAG_REMOTE_PARENT 1 // parent came from a traceparent header
#define FLAG_TUPLE_PARENT 2  // parent found through the connection 4-tuple
#define FLAG_TRANSPORT_ERR 4 // roundTrip returned a non-nil error
#define FLAG_HAS_TUPLE 8     // the address fields are valid
#define FLAG_SAMPLED 16      // traceparent flags had the sampled bit
#define FLAG_HTTP2 32        // served over HTTP/2
#define FLAG_NO_STATUS 64    // the response writer is of an unknown type
#define FLAG_TLS 128         // the connection is a *tls.Conn
#define FLAG_HIJACKED 256    // the handler took the connection over (Hijack)
#define FLAG_PANIC 512       // the handler panicked (or aborted with http.ErrAbortHandler)
#define FLAG_XNET 1024       // served by golang.org/x/net/http2
#define FLAG_HAS_STATUS 2048 // gRPC: status holds the RPC's code

#define PROC_HELD 1 // the exec'ing process was stopped until user space attaches

#define SIGSTOP 19
#define COMM_LEN 16

#define METHOD_LEN 16
#define PATH_LEN 128
#define ROUTE_LEN 64
#define HOST_LEN 64
#define SCHEME_LEN 8
#define QUERY_LEN 64
#define TRACEPARENT_LEN 55

// Field offsets of the Go structures read here. User space fills one entry
// per traced process, from the binary's DWARF or the generated table.
struct go_offsets {
	u64 request_method;
	u64 request_url;
	u64 request_header;
	u64 request_host;
	u64 request_pattern;
	u64 request_tls; // net/http.Request.TLS: set for a request that came over TLS
	u64 url_scheme;
	u64 url_host;
	u64 url_path;
	u64 url_rawquery;
	u64 response_conn;   // net/http.response.conn
	u64 response_status; // net/http.response.status
	u64 conn_rwc;        // net/http.conn.rwc
	u64 netconn_fd;      // net.conn.fd
	u64 netfd_laddr;
	u64 netfd_raddr;
	u64 tcpaddr_ip;
	u64 tcpaddr_port;
	u64 resp_statuscode;  // net/http.Response.StatusCode
	u64 persistconn_conn; // net/http.persistConn.conn
	u64 g_stack_hi;       // runtime.g.stack.hi
	u64 has_pattern;      // Request.Pattern exists (Go >= 1.22)
	u64 g_m;              // runtime.g.m
	u64 m_curg;           // runtime.m.curg
	u64 h2_status;        // net/http.http2responseWriterState.status
	// Per process, not per Go version: the load bias (0 unless the binary
	// is position independent) and link-time addresses of methods that
	// identify the type behind an interface: an itab lists the methods
	// sorted by name, so its first entry tells *response (Header) from
	// *http2responseWriter, and *net.TCPConn (Close) from a TLS conn.
	u64 load_bias;
	u64 h1_header_fn;     // net/http.(*response).Header
	u64 h2_header_fn;     // net/http.(*http2responseWriter).Header
	u64 tcpconn_close_fn; // net.(*TCPConn).Close
	u64 tlsconn_close_fn; // crypto/tls.(*Conn).Close
	u64 conn_hijacked;    // net/http.conn.hijackedv
	u64 h2rws_stream;     // net/http.http2responseWriterState.stream
	u64 h2stream_sc;      // net/http.http2stream.sc
	u64 h2sc_conn;        // net/http.http2serverConn.conn
	u64 swiss_maps;       // maps are Swiss tables (Go >= 1.24)
	// golang.org/x/net/http2's server (from DWARF only): its response
	// writer's Header method and the fields of its state, as above.
	u64 xh2_header_fn;
	u64 xh2_status;
	u64 xh2rws_stream;
	u64 xh2stream_sc;
	u64 xh2sc_conn;
	u64 driverconn_ci; // database/sql.driverConn.ci
	// google.golang.org/grpc
	u64 grpc_server_stream; // transport.ServerStream.Stream (0 up to gRPC 1.68: the stream is a Stream)
	u64 grpc_client_stream; // transport.ClientStream.Stream
	u64 grpc_stream_ptr;    // that Stream is embedded by pointer (gRPC 1.69 to 1.76)
	u64 grpc_stream_method; // transport.Stream.method
	u64 grpc_status_s;      // internal/status.Status.s
	u64 grpc_error_s;       // internal/status.Error.s
	u64 grpc_spb_code;      // genproto rpc/status.Status.Code
	u64 grpc_error_fn;      // internal/status.(*Error).Error: the first method of its error itab
	u64 hchan_recvq_first;  // runtime.hchan.recvq + runtime.waitq.first
	u64 sudog_g;            // runtime.sudog.g
	u64 grpc_stream_id;     // transport.Stream.id
	u64 grpc_server_conn;   // transport.http2Server.conn
	u64 grpc_stream_wq;     // transport.Stream.wq
	u64 grpc_wq_ptr;        // Stream.wq is a *writeQuota (up to gRPC 1.76), not the quota
	u64 grpc_headers_id;    // transport.clientHeaders.streamID (headerFrame before gRPC 1.82)
	u64 grpc_headers_wq;    // transport.clientHeaders.wq (headerFrame before gRPC 1.82)
	u64 grpc_loopy_conn;    // transport.loopyWriter.conn
	u64 xh2_meta_headers;   // x/net/http2.MetaHeadersFrame.HeadersFrame
	u64 xh2_meta_fields;    // x/net/http2.MetaHeadersFrame.Fields
	u64 xh2_headers_sid;    // x/net/http2.HeadersFrame.FrameHeader + FrameHeader.StreamID
	u64 grpc_cs_fn;         // grpc.(*clientStream).CloseSend: the first method of its ClientStream itab
	u64 errorstring_fn;     // errors.(*errorString).Error: the first method of its error itab
	u64 stmt_query;         // database/sql.Stmt.query
	u64 g_goid;             // runtime.g.goid
	u64 tlsconn_conn;       // crypto/tls.Conn.conn
	u64 grpc_sysconn_fn;    // grpc/internal/credentials.(*syscallConn).Close: its net.Conn itab's first method
	u64 grpc_sysconn_conn;  // grpc/internal/credentials.syscallConn.Conn
	u64 h2c_bufconn_fn;     // x/net/http2/h2c.(*bufConn).Close: its net.Conn itab's first method
	u64 h2c_bufconn_conn;   // x/net/http2/h2c.bufConn.Conn
	u64 g_status;           // runtime.g.atomicstatus (read by user space only)
};


struct span_ctx {
	u8 trace_id[16];
	u8 span_id[8];
};

// Both ends of a TCP connection as seen by one side; as a map key it is the
// client's view.
struct addr_pair {
	u8 local_ip[16];
	u8 remote_ip[16];
	u16 local_port;
	u16 remote_port;
	u32 pad;
};

struct span_event {
	u32 type;
	u32 pid;
	u64 start_ns;
	u64 end_ns;
	u64 goroutine;
	u8 trace_id[16];
	u8 span_id[8];
	u8 parent_id[8];
	u32 kind;
	u32 fn_id;
	u32 status;
	u32 flags;
	u64 driver_fn; // database/sql: the driver conn type's Prepare method (a run-time address)
	struct addr_pair addr;
	char method[METHOD_LEN];
	char path[PATH_LEN];
	char route[ROUTE_LEN];
	char route_inner[ROUTE_LEN];
	char host[HOST_LEN];
	char scheme[SCHEME_LEN];
	char query[QUERY_LEN];
};

struct proc_event {
	u32 type;
	u32 pid;
	u32 flags; // PROC_HELD
	u32 pad;
};

// Keeps struct proc_event in the BTF so that bpf2go generates its Go type.
const struct proc_event *unused_proc_event __attribute__((unused));

// A call in flight: the span being built plus what the return probe needs.
struct inflight {
	struct span_event ev;
	u64 arg0;
	u64 arg1;
	u64 goid; // the goroutine's ID: a g is reused after its goroutine ends
	u32 prev_valid;
	u32 may_reenter; // the entry's prologue may call morestack (see begin)
	struct span_ctx prev;
};

struct g_key {
	u32 pid;
	u32 pad;
	u64 g;
};

struct frame_key {
	u32 pid;
	u32 pad;
	u64 g;
	u64 depth; // g.stack.hi - SP at entry: survives stack moves and morestack re-entry
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); // replaced at load time from the config
} events SEC(".maps");

// Events the ring buffer had no room for: LOST_SPAN, LOST_PROC; spans
// shed on purpose, LOST_SHED; calls that found the table of calls in
// flight full, LOST_INFLIGHT_FULL, or the table of open client streams,
// LOST_STREAM_FULL; calls whose return never came (their frame or stream
// was taken by a later one), LOST_ABANDONED.
#define LOST_SPAN 0
#define LOST_PROC 1
#define LOST_INFLIGHT_FULL 3
#define LOST_STREAM_FULL 4
#define LOST_ABANDONED 5
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 6);
	__type(key, u32);
	__type(value, u64);
} lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct go_offsets);
} offsets SEC(".maps");

// Calls in flight on all traced goroutines; 16384 entries of ~600 bytes
// bound its kernel memory to 10 MiB. Not an LRU map: an LRU evicts open
// calls without a trace (and before it is full). A call that finds it
// full is counted (LOST_INFLIGHT_FULL); frames whose return never comes
// (a panic unwinding through them, a goroutine ending inside) are counted
// when a later call takes their frame (LOST_ABANDONED), or reclaimed and
// counted by user space once their goroutine or process is gone.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct frame_key);
	__type(value, struct inflight);
} inflights SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct inflight);
} zero_inflight SEC(".maps");

// The server span open on a goroutine: its frame and request.
struct server_frame {
	u64 depth;
	u64 req;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct g_key);
	__type(value, struct server_frame);
} server_frames SEC(".maps");

// The span currently open on a goroutine.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct g_key);
	__type(value, struct span_ctx);
} go_ctx SEC(".maps");

// The span that was open on the goroutine that started this goroutine.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct g_key);
	__type(value, struct span_ctx);
} g_parent SEC(".maps");

// The span that last handed work to a goroutine over a channel (channel
// lineage, opt-in): a worker started before the request then becomes its
// child.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct g_key);
	__type(value, struct span_ctx);
} handoff SEC(".maps");

// A span's context sent into a channel no receiver waited on, until a
// receiver comes: keyed by the channel.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct g_key);
	__type(value, struct span_ctx);
} chan_ctx SEC(".maps");

// Client connections with a request in flight, keyed by the client's view of
// the 4-tuple, so that a traced server on the same host finds its parent.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct addr_pair);
	__type(value, struct span_ctx);
} tuples SEC(".maps");

// The connection chosen by the client call open on a goroutine.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct g_key);
	__type(value, struct addr_pair);
} client_conn_of SEC(".maps");

// Executable names (the task's comm after exec: the file name, cut to 15
// bytes) of programs user space wants to probe from their first instruction.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, char[COMM_LEN]);
	__type(value, u8);
} hold_names SEC(".maps");

// Processes whose exit user space wants to hear about.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, u8);
} watched SEC(".maps");

static __always_inline void count_lost(u32 what)
{
	u64 *n = bpf_map_lookup_elem(&lost, &what);
	if (n)
		__sync_fetch_and_add(n, 1);
}

// wakeup_flags spares the traced program a reader wakeup per event (user
// space polls every few milliseconds) unless the buffer is filling up.
static __always_inline u64 wakeup_flags(void)
{
	u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
	return avail > size / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

static __always_inline u64 read_u64(u64 addr)
{
	u64 v = 0;
	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

// read_str copies n bytes at p into buf (cut to fit), NUL-terminated.
#define read_str(p, n, buf, size)                                                \
	do {                                                                     \
		u64 __p = (p), __n = (n);                                        \
		if (__n > (size) - 1)                                            \
			__n = (size) - 1;                                        \
		__n &= (size) - 1;                                               \
		if (__p && __n) {                                                \
			bpf_probe_read_user((buf), __n, (void *)__p);            \
			(buf)[__n & ((size) - 1)] = 0;                           \
		}                                                                \
	} while (0)

// read_gostring copies a Go string (ptr, len) at addr into buf, NUL-terminated.
#define read_gostring(addr, buf, size) read_str(read_u64(addr), read_u64((addr) + 8), buf, size)

static __always_inline void new_ids(u8 *out, int words)
{
	for (int i = 0; i < words; i++) {
		u32 r = bpf_get_prandom_u32();
		__builtin_memcpy(out + 4 * i, &r, 4);
	}
}

// hexv maps a character to its value as a lowercase hex digit, or 0xff.
// A table keeps parsing free of branches, which the verifier would
// otherwise follow per digit.
#define HEX_ROW_DIGITS 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
#define X16 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
static const u8 hexv[256] = {
	X16, X16, X16,
	HEX_ROW_DIGITS, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	X16, X16,
	0xff, 10, 11, 12, 13, 14, 15, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	X16, X16, X16, X16, X16, X16, X16, X16, X16,
};

// hex_bytes decodes n bytes of hex at s into out; bad collects 0xf0 bits
// for invalid digits, nonzero the OR of the bytes.
static __always_inline void hex_bytes(const u8 *s, u8 *out, int n, u8 *bad, u8 *nonzero)
{
	for (int i = 0; i < n; i++) {
		u8 hi = hexv[s[2 * i]], lo = hexv[s[2 * i + 1]];
		*bad |= (hi | lo) & 0xf0;
		out[i] = (hi << 4) | (lo & 0x0f);
		*nonzero |= out[i];
	}
}

// parse_traceparent parses "00-<32 hex trace>-<16 hex span>-<2 hex flags>".
static __always_inline int parse_traceparent(const u8 *s, struct span_ctx *out, u32 *flags)
{
	if (s[0] != '0' || s[1] != '0' || s[2] != '-' || s[35] != '-' || s[52] != '-')
		return 0;
	u8 bad = 0, nz_trace = 0, nz_span = 0;
	hex_bytes(s + 3, out->trace_id, 16, &bad, &nz_trace);
	hex_bytes(s + 36, out->span_id, 8, &bad, &nz_span);
	u8 f = hexv[s[54]];
	bad |= f & 0xf0;
	if (bad || !nz_trace || !nz_span)
		return 0;
	if (f & 1)
		*flags |= FLAG_SAMPLED;
	return 1;
}

// The request headers are a map[string][]string. Two layouts:
// Swiss tables (Go >= 1.24): a group is an 8-byte control word followed by 8
// slots of key (16 bytes) + value (24); a small map is one group, a larger
// one a directory of tables of up to 128 groups.
#define GROUP_SLOTS 8
#define SLOT_SIZE 40
#define GROUP_SIZE (8 + GROUP_SLOTS * SLOT_SIZE)
#define MAX_GROUPS 128
// Buckets (Go <= 1.23): 8 top hashes, 8 keys, 8 values, an overflow pointer.
#define BUCKET_KEYS 8
#define BUCKET_VALS (8 + 8 * 16)
#define BUCKET_OVERFLOW (BUCKET_VALS + 8 * 24)
#define BUCKET_SIZE (BUCKET_OVERFLOW + 8)
#define MAX_BUCKETS 128
// Slots visited at most: a full Swiss table, or 2^7 buckets plus the old
// 2^6 with their overflow buckets.
#define MAX_WALK_SLOTS (MAX_GROUPS * GROUP_SLOTS * 2)
#define MIN_TOP_HASH 5 // smaller top hashes mark empty or evacuated slots

struct tp_scratch {
	u8 block[BUCKET_SIZE]; // one group or bucket, read at once
	u8 key[16];
	u8 val[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct tp_scratch);
} tp_buf SEC(".maps");

// is_traceparent_key: "Traceparent" (net/http's canonical header key) or
// "traceparent" (HTTP/2 and gRPC metadata, lower case).
static __always_inline int is_traceparent_key(const u8 *k)
{
	const char want[] = "traceparent";
	if ((k[0] | 0x20) != 't')
		return 0;
	for (int i = 1; i < 11; i++)
		if (k[i] != want[i])
			return 0;
	return 1;
}

// slot_traceparent checks one map slot: 1 found and parsed, 0 another
// key, -1 the key with an invalid value.
static __noinline int slot_traceparent(struct tp_scratch *sc, u32 at, u32 vat, struct span_ctx *out, u32 *flags)
{
	if (at > BUCKET_SIZE - 16 || vat > BUCKET_SIZE - 16)
		return 0;
	u64 kp = *(u64 *)&sc->block[at];
	u64 kl = *(u64 *)&sc->block[at + 8];
	if (kl != 11 || bpf_probe_read_user(sc->key, 11, (void *)kp) || !is_traceparent_key(sc->key))
		return 0;
	u64 vals = *(u64 *)&sc->block[vat];
	u64 n = *(u64 *)&sc->block[vat + 8];
	if (!vals || n < 1 || read_u64(vals + 8) != TRACEPARENT_LEN)
		return -1;
	if (bpf_probe_read_user(sc->val, TRACEPARENT_LEN, (void *)read_u64(vals)))
		return -1;
	return parse_traceparent(sc->val, out, flags) ? 1 : -1;
}

// The walk visits one slot per bpf_loop step, so that the verifier checks
// the slot once rather than once per unrolled position.
struct tp_walk {
	struct tp_scratch *sc;
	struct span_ctx *out;
	u32 *flags;
	u64 base; // groups, or buckets
	u64 n;    // how many
	u64 old;  // Go <= 1.23: the old buckets of a map that is growing
	u64 nold;
	u64 cur;  // the group or bucket being read, 0 between them
	u64 idx;  // blocks started
	u32 slot;
	u32 swiss;
	int result;
};

static long walk_step(u32 i, void *ctx)
{
	struct tp_walk *w = ctx;
	struct tp_scratch *sc = w->sc;
	u32 slot = w->slot & 7;
	if (slot == 0) {
		if (!w->cur) {
			u64 idx = w->idx++;
			if (idx < w->n)
				w->cur = w->base + idx * (w->swiss ? GROUP_SIZE : BUCKET_SIZE);
			else if (!w->swiss && idx - w->n < w->nold)
				w->cur = w->old + (idx - w->n) * BUCKET_SIZE;
			else
				return 1;
		}
		if (bpf_probe_read_user(sc->block, w->swiss ? GROUP_SIZE : BUCKET_SIZE, (void *)w->cur)) {
			w->cur = 0;
			return 0;
		}
	}
	int filled;
	u32 at, vat;
	if (w->swiss) {
		filled = !((*(u64 *)sc->block >> (8 * slot)) & 0x80); // else empty or deleted
		at = 8 + slot * SLOT_SIZE;
		vat = at + 16;
	} else {
		filled = sc->block[slot] >= MIN_TOP_HASH;
		at = 8 + slot * 16;
		vat = BUCKET_VALS + slot * 24;
	}
	if (filled) {
		int r = slot_traceparent(sc, at, vat, w->out, w->flags);
		if (r) {
			w->result = r;
			return 1;
		}
	}
	w->slot = (slot + 1) & 7;
	if (w->slot == 0) // next block: a bucket's overflow, or the next one
		w->cur = w->swiss ? 0 : *(u64 *)&sc->block[BUCKET_OVERFLOW];
	return 0;
}

// find_traceparent looks for the "Traceparent" key in the request's
// header map; only the first table of a Swiss map's directory is read (a
// table holds 1024 entries).
static __always_inline int find_traceparent(struct go_offsets *o, u64 header, struct span_ctx *out, u32 *flags)
{
	if (!header)
		return 0;
	u32 zero = 0;
	struct tp_scratch *sc = bpf_map_lookup_elem(&tp_buf, &zero);
	if (!sc)
		return 0;
	struct tp_walk w = {.sc = sc, .out = out, .flags = flags, .swiss = o->swiss_maps};
	if (!o->swiss_maps) {
		u8 bshift = 0;
		bpf_probe_read_user(&bshift, 1, (void *)(header + 9));
		if (bshift > 7)
			return 0;
		w.base = read_u64(header + 16);
		w.n = 1ULL << bshift;
		w.old = read_u64(header + 24);
		w.nold = w.old && bshift ? 1ULL << (bshift - 1) : 0;
	} else {
		u64 dir = read_u64(header + 16);
		if (read_u64(header + 24) == 0) { // small map: dirPtr points at a single group
			w.base = dir;
			w.n = 1;
		} else {
			u64 table = dir ? read_u64(dir) : 0;
			w.base = table ? read_u64(table + 16) : 0;
			w.n = table ? read_u64(table + 24) + 1 : 0;
		}
	}
	if (!w.base)
		return 0;
	bpf_loop(MAX_WALK_SLOTS, walk_step, &w, 0);
	return w.result > 0;
}

// read_tcp_addr reads a net.Addr interface holding a *net.TCPAddr into an
// IPv6 (IPv4-mapped) address.
static __always_inline int read_tcp_addr(struct go_offsets *o, u64 iface, u8 *ip, u16 *port)
{
	u64 addr = read_u64(iface + 8);
	if (!addr)
		return 0;
	u64 ipp = read_u64(addr + o->tcpaddr_ip);
	u64 iplen = read_u64(addr + o->tcpaddr_ip + 8);
	if (iplen == 4) {
		__builtin_memset(ip, 0, 10);
		ip[10] = 0xff;
		ip[11] = 0xff;
		bpf_probe_read_user(ip + 12, 4, (void *)ipp);
	} else if (iplen == 16) {
		bpf_probe_read_user(ip, 16, (void *)ipp);
	} else {
		return 0;
	}
	*port = read_u64(addr + o->tcpaddr_port);
	return 1;
}

// iface_is reports whether the interface value at iface holds the type
// whose first itab method is fn (a link-time address).
static __always_inline int iface_is(struct go_offsets *o, u64 iface, u64 fn)
{
	u64 itab = read_u64(iface);
	return fn && itab && read_u64(itab + 24) == fn + o->load_bias;
}

// conn_tuple reads the local and remote addresses of a net.Conn interface
// that holds a *net.TCPConn, directly or under a *tls.Conn (which gRPC's
// transport credentials may wrap once more), or under the connection type
// of x/net's h2c handler: FLAG_HAS_TUPLE, with FLAG_TLS over TLS. A
// connection of another type gives no addresses (rather than wrong ones):
// FLAG_TLS for TLS over it, else 0.
static __always_inline u32 conn_tuple(struct go_offsets *o, u64 conn_iface, struct addr_pair *ap)
{
	u32 flags = 0;
	if (iface_is(o, conn_iface, o->grpc_sysconn_fn))
		conn_iface = read_u64(conn_iface + 8) + o->grpc_sysconn_conn;
	else if (iface_is(o, conn_iface, o->h2c_bufconn_fn))
		conn_iface = read_u64(conn_iface + 8) + o->h2c_bufconn_conn;
	if (iface_is(o, conn_iface, o->tlsconn_close_fn)) {
		conn_iface = read_u64(conn_iface + 8) + o->tlsconn_conn;
		flags = FLAG_TLS;
	}
	if (!iface_is(o, conn_iface, o->tcpconn_close_fn))
		return flags;
	u64 tcpconn = read_u64(conn_iface + 8);
	u64 fd = tcpconn ? read_u64(tcpconn + o->netconn_fd) : 0;
	if (!fd || !read_tcp_addr(o, fd + o->netfd_laddr, ap->local_ip, &ap->local_port) ||
	    !read_tcp_addr(o, fd + o->netfd_raddr, ap->remote_ip, &ap->remote_port))
		return flags;
	return flags | FLAG_HAS_TUPLE;
}

static __always_inline u64 stack_depth(struct pt_regs *ctx, struct go_offsets *o)
{
	return read_u64(ctx->r14 + o->g_stack_hi) - ctx->rsp;
}

// The stackguard0 the runtime sets to make a goroutine's next function
// prologue call morestack (runtime.stackPreempt), and the largest frame
// may_reenter allows for.
#define STACK_PREEMPT 0xfffffffffffffadeULL
#define MAX_FRAME (64 << 10)

// may_reenter reports whether the prologue of the function being entered
// may call morestack, which runs the entry again once the stack has grown,
// or once the scheduler runs the goroutine again after a preemption: that
// can be many milliseconds later on a busy machine. g.stackguard0 follows
// g.stack {lo, hi}, an offset the linker relies on.
static __always_inline u32 may_reenter(struct pt_regs *ctx, struct go_offsets *o)
{
	u64 guard = read_u64(ctx->r14 + o->g_stack_hi + 8);
	return guard == STACK_PREEMPT || (guard && ctx->rsp < guard + MAX_FRAME);
}

// When each goroutine last recovered a panic: the panic unwound frames
// that never return, so a call that takes one of their places is no
// repeat of their entry (see begin).
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct g_key);
	__type(value, u64);
} recovered SEC(".maps");

// begin opens a span for the current goroutine. It returns NULL when this
// entry repeats one already open (Go re-runs a function's entry after growing
// the stack in its prologue; the frame's depth from the stack top is the same).
static __always_inline struct inflight *begin(struct pt_regs *ctx, struct go_offsets *o, u32 kind, u32 fn_id, u64 arg0,
					      struct frame_key *fk)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 now = bpf_ktime_get_boot_ns();
	fk->pid = pid;
	fk->pad = 0;
	fk->g = ctx->r14;
	fk->depth = stack_depth(ctx, o);

	struct inflight *cur = bpf_map_lookup_elem(&inflights, fk);
	if (cur) {
		// A recovered panic since the call began unwound it: not a repeat.
		struct g_key gk = {.pid = pid, .g = ctx->r14};
		u64 *rec = bpf_map_lookup_elem(&recovered, &gk);
		// An entry whose prologue could call morestack repeats however
		// late (arg0 is no sign: a function without arguments has none
		// to restore); another one only within a millisecond with the
		// same arg0 (a frame larger than MAX_FRAME, a preemption
		// requested during the probe).
		if (cur->ev.kind == kind && cur->ev.fn_id == fn_id &&
		    (cur->may_reenter || (cur->arg0 == arg0 && now - cur->ev.start_ns < 1000000)) &&
		    cur->goid == read_u64(ctx->r14 + o->g_goid) && !(rec && *rec > cur->ev.start_ns)) {
			cur->may_reenter = may_reenter(ctx, o);
			return NULL;
		}
		// This frame's earlier call never returned, and now never will.
		count_lost(LOST_ABANDONED);
	}

	u32 zero = 0;
	struct inflight *z = bpf_map_lookup_elem(&zero_inflight, &zero);
	if (!z)
		return NULL;
	if (bpf_map_update_elem(&inflights, fk, z, BPF_ANY)) {
		count_lost(LOST_INFLIGHT_FULL);
		return NULL;
	}
	struct inflight *in = bpf_map_lookup_elem(&inflights, fk);
	if (!in)
		return NULL;

	bpf_probe_read_user(&in->goid, sizeof(in->goid), (void *)(ctx->r14 + o->g_goid));
	in->ev.type = EVENT_SPAN;
	in->ev.pid = pid;
	in->ev.start_ns = now;
	in->ev.goroutine = ctx->r14;
	in->ev.kind = kind;
	in->ev.fn_id = fn_id;
	in->arg0 = arg0;
	in->may_reenter = may_reenter(ctx, o);
	new_ids(in->ev.span_id, 2);

	struct g_key gk = {.pid = pid, .g = ctx->r14};
	struct span_ctx *prev = bpf_map_lookup_elem(&go_ctx, &gk);
	if (prev) {
		in->prev_valid = 1;
		in->prev = *prev;
	} else {
		// A request served on a goroutine that once received work is no
		// child of that work's sender.
		if (kind != KIND_SERVER && kind != KIND_GRPC_SERVER)
			prev = bpf_map_lookup_elem(&handoff, &gk);
		if (!prev)
			prev = bpf_map_lookup_elem(&g_parent, &gk);
	}
	if (prev) {
		__builtin_memcpy(in->ev.trace_id, prev->trace_id, 16);
		__builtin_memcpy(in->ev.parent_id, prev->span_id, 8);
	} else {
		new_ids(in->ev.trace_id, 4);
	}
	return in;
}

// The frame depth of a call of a kind (a prepared statement's, a gRPC
// stream's creation) open on a goroutine, for probes inside the call that
// add to its span.
struct call_key {
	u32 pid;
	u32 kind;
	u64 g;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct call_key);
	__type(value, u64);
} open_calls SEC(".maps");

// open_call notes the frame as the goroutine's open call of its kind.
static __always_inline void open_call(struct inflight *in, struct frame_key *fk)
{
	struct call_key ck = {.pid = fk->pid, .kind = in->ev.kind, .g = fk->g};
	bpf_map_update_elem(&open_calls, &ck, &fk->depth, BPF_ANY);
}

// inner_call finds the span of the call of this kind open on the current
// goroutine.
static __always_inline struct inflight *inner_call(struct pt_regs *ctx, u32 pid, u32 kind)
{
	struct call_key ck = {.pid = pid, .kind = kind, .g = ctx->r14};
	u64 *depth = bpf_map_lookup_elem(&open_calls, &ck);
	if (!depth)
		return NULL;
	struct frame_key fk = {.pid = pid, .g = ctx->r14, .depth = *depth};
	struct inflight *in = bpf_map_lookup_elem(&inflights, &fk);
	return in && in->ev.kind == kind ? in : NULL;
}

// close_call forgets the goroutine's open call of this kind.
static __always_inline void close_call(u32 pid, u32 kind, u64 g)
{
	struct call_key ck = {.pid = pid, .kind = kind, .g = g};
	bpf_map_delete_elem(&open_calls, &ck);
}

// publish makes the span the goroutine's current one.
static __always_inline void publish(struct inflight *in, struct frame_key *fk)
{
	struct g_key gk = {.pid = fk->pid, .g = fk->g};
	struct span_ctx sc;
	__builtin_memcpy(sc.trace_id, in->ev.trace_id, 16);
	__builtin_memcpy(sc.span_id, in->ev.span_id, 8);
	bpf_map_update_elem(&go_ctx, &gk, &sc, BPF_ANY);
}

// finish looks up the open span of the returning frame.
static __always_inline struct inflight *finish(struct pt_regs *ctx, struct go_offsets *o, u32 pid, struct frame_key *fk)
{
	fk->pid = pid;
	fk->pad = 0;
	fk->g = ctx->r14;
	fk->depth = stack_depth(ctx, o);
	return bpf_map_lookup_elem(&inflights, fk);
}

// Load shedding: user space sets how many spans in 1000 to drop when the
// ring buffer fills up; spans that must stay are kept whatever the rate.
struct shed_cfg {
	u32 drop_permille; // 0 (the map's initial value) keeps everything
	u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct shed_cfg);
} shed SEC(".maps");

// LOST_SHED counts the spans shed on purpose (see lost).
#define LOST_SHED 2

// must_keep: roots, errors, and the spans that stitch processes together
// (client spans, and server spans whose parent is in another process).
static __always_inline int must_keep(struct span_event *ev)
{
	u64 parent = 0;
	__builtin_memcpy(&parent, ev->parent_id, 8);
	if (!parent)
		return 1;
	if (ev->flags & (FLAG_TRANSPORT_ERR | FLAG_PANIC | FLAG_REMOTE_PARENT | FLAG_TUPLE_PARENT))
		return 1;
	switch (ev->kind) {
	case KIND_SERVER:
		return ev->status >= 500;
	case KIND_CLIENT:
	case KIND_GRPC_CLIENT:
		return 1;
	case KIND_GRPC_SERVER:
		return (ev->flags & FLAG_HAS_STATUS) && ev->status != 0;
	}
	return 0;
}

// shed_span decides whether a span goes: by its trace ID, so that the
// sampled spans of one trace stay or go together.
static __noinline int shed_span(struct span_event *ev)
{
	u32 zero = 0;
	struct shed_cfg *c = bpf_map_lookup_elem(&shed, &zero);
	if (!c || !c->drop_permille || must_keep(ev))
		return 0;
	u32 h = 0;
	__builtin_memcpy(&h, ev->trace_id + 12, 4); // random bits (W3C: the right-most are)
	return h % 1000 < c->drop_permille;
}

// restore_ctx makes the goroutine's span from before this frame current
// again.
static __always_inline void restore_ctx(struct inflight *in, struct frame_key *fk)
{
	struct g_key gk = {.pid = fk->pid, .g = fk->g};
	if (in->prev_valid)
		bpf_map_update_elem(&go_ctx, &gk, &in->prev, BPF_ANY);
	else
		bpf_map_delete_elem(&go_ctx, &gk);
}

// submit ends a span now and sends it, unless it is shed.
static __always_inline void submit(struct span_event *ev)
{
	ev->end_ns = bpf_ktime_get_boot_ns();
	struct span_event *out = NULL;
	if (shed_span(ev))
		count_lost(LOST_SHED);
	else if (!(out = bpf_ringbuf_reserve(&events, sizeof(*out), 0)))
		count_lost(LOST_SPAN);
	else {
		__builtin_memcpy(out, ev, sizeof(*out));
		bpf_ringbuf_submit(out, wakeup_flags());
	}
}

static __always_inline void emit(struct inflight *in, struct frame_key *fk)
{
	restore_ctx(in, fk);
	submit(&in->ev);
	bpf_map_delete_elem(&inflights, fk);
}

#define OFFSETS_OR_RETURN(pid, o)                                   \
	u32 pid = bpf_get_current_pid_tgid() >> 32;                 \
	struct go_offsets *o = bpf_map_lookup_elem(&offsets, &pid); \
	if (!o)                                                     \
		return 0;

// h2_conn reads the connection of an HTTP/2 response writer's state (rws ->
// stream -> serverConn -> conn): its addresses, or that it is TLS.
static __always_inline void h2_conn(struct go_offsets *o, u64 rws, u32 xnet, struct span_event *ev)
{
	u64 st = rws ? read_u64(rws + (xnet ? o->xh2rws_stream : o->h2rws_stream)) : 0;
	u64 sc = st ? read_u64(st + (xnet ? o->xh2stream_sc : o->h2stream_sc)) : 0;
	if (!sc)
		return;
	ev->flags |= conn_tuple(o, sc + (xnet ? o->xh2sc_conn : o->h2sc_conn), &ev->addr);
}

static __always_inline int same_trace(const u8 *a, const u8 *b)
{
	for (int i = 0; i < 16; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

// client_view turns a server's view of its connection into the client's,
// the key of the maps the client side fills: its local end is our remote.
static __always_inline void client_view(struct addr_pair *server, struct addr_pair *out)
{
	__builtin_memset(out, 0, sizeof(*out));
	__builtin_memcpy(out->local_ip, server->remote_ip, 16);
	__builtin_memcpy(out->remote_ip, server->local_ip, 16);
	out->local_port = server->remote_port;
	out->remote_port = server->local_port;
}

// adopt_parent gives a server span its parent in another process: the
// client span of this very call when a traced process on this host made
// it (exact), unless a traceparent (remote, with its flags; NULL without
// one) names another trace (an SDK's own client span, say); a proxy that
// forwards the header it received keeps the trace, and its client span is
// the closer parent.
static __always_inline void adopt_parent(struct span_event *ev, struct span_ctx *tuple, struct span_ctx *remote, u32 flags)
{
	if (remote && !(tuple && same_trace(tuple->trace_id, remote->trace_id))) {
		__builtin_memcpy(ev->trace_id, remote->trace_id, 16);
		__builtin_memcpy(ev->parent_id, remote->span_id, 8);
		ev->flags |= FLAG_REMOTE_PARENT | flags;
	} else if (tuple) {
		__builtin_memcpy(ev->trace_id, tuple->trace_id, 16);
		__builtin_memcpy(ev->parent_id, tuple->span_id, 8);
		ev->flags |= FLAG_TUPLE_PARENT;
	}
}

// server_begin opens a server span for req. rw_itab/rw_data is the
// ResponseWriter interface (serverHandler.ServeHTTP), or rw_itab is 0 and
// rw_data golang.org/x/net/http2's *responseWriter (its runHandler).
static __noinline int server_begin(struct pt_regs *ctx, u64 req, u64 rw_itab, u64 rw_data)
{
	OFFSETS_OR_RETURN(pid, o);
	// "PRI *" is the HTTP/2 connection preface read as an HTTP/1 request:
	// an h2c handler serves the whole connection inside it. Not a request.
	char m[4] = {};
	if (read_u64(req + o->request_method + 8) == 3) {
		bpf_probe_read_user(m, 3, (void *)read_u64(req + o->request_method));
		if (m[0] == 'P' && m[1] == 'R' && m[2] == 'I')
			return 0;
	}
	// The same request seen again on its goroutine (x/net's HTTP/2 server
	// calling net/http's serverHandler): one span.
	struct g_key gk = {.pid = pid, .g = ctx->r14};
	struct server_frame *sf = bpf_map_lookup_elem(&server_frames, &gk);
	if (sf && sf->req == req)
		return 0;

	struct frame_key fk;
	struct inflight *in = begin(ctx, o, KIND_SERVER, 0, req, &fk);
	if (!in)
		return 0;
	struct span_event *ev = &in->ev;

	read_gostring(req + o->request_method, ev->method, METHOD_LEN);
	u64 url = read_u64(req + o->request_url);
	if (url)
		read_gostring(url + o->url_path, ev->path, PATH_LEN);
	read_gostring(req + o->request_host, ev->host, HOST_LEN);
	if (read_u64(req + o->request_tls))
		ev->flags |= FLAG_TLS; // also where the connection's type is unknown

	// HTTP/1 *response, HTTP/2 *http2responseWriter or x/net's
	// *responseWriter (whose first field is its state), or unknown.
	u64 header_fn = rw_itab ? read_u64(rw_itab + 24) : 0;
	if (!rw_itab) {
		in->arg1 = read_u64(rw_data);
		ev->flags |= FLAG_HTTP2 | FLAG_XNET;
	} else if (o->h1_header_fn && header_fn == o->h1_header_fn + o->load_bias) {
		in->arg1 = rw_data;
		u64 c = read_u64(rw_data + o->response_conn);
		if (c)
			ev->flags |= conn_tuple(o, c + o->conn_rwc, &ev->addr);
	} else if (o->h2_header_fn && header_fn == o->h2_header_fn + o->load_bias) {
		in->arg1 = read_u64(rw_data);
		ev->flags |= FLAG_HTTP2;
	} else if (o->xh2_header_fn && header_fn == o->xh2_header_fn + o->load_bias) {
		in->arg1 = read_u64(rw_data);
		ev->flags |= FLAG_HTTP2 | FLAG_XNET;
	} else {
		ev->flags |= FLAG_NO_STATUS;
	}
	if (ev->flags & FLAG_HTTP2)
		h2_conn(o, in->arg1, ev->flags & FLAG_XNET, ev);

	struct span_ctx *tuple = NULL;
	if (ev->flags & FLAG_HAS_TUPLE) {
		struct addr_pair tk;
		client_view(&ev->addr, &tk);
		tuple = bpf_map_lookup_elem(&tuples, &tk);
	}
	struct span_ctx remote;
	u32 flags = 0;
	int has_remote = find_traceparent(o, read_u64(req + o->request_header), &remote, &flags);
	adopt_parent(ev, tuple, has_remote ? &remote : NULL, flags);
	publish(in, &fk);
	struct server_frame nsf = {.depth = fk.depth, .req = req};
	bpf_map_update_elem(&server_frames, &gk, &nsf, BPF_ANY);
	return 0;
}

// Server entries:
// net/http.serverHandler.ServeHTTP(sh serverHandler, rw ResponseWriter, req *Request):
// rax = sh.srv, rbx/rcx = rw (itab, *response), rdi = req;
// golang.org/x/net/http2.(*serverConn).runHandler(rw *responseWriter, req *http.Request, handler func(...)):
// rax = sc, rbx = rw, rcx = req. x/net's HTTP/2 server calls the handler
// directly (h2c.NewHandler), not through net/http's serverHandler.
static __always_inline int server_entry(struct pt_regs *ctx, int xnet)
{
	if (xnet)
		return server_begin(ctx, ctx->rcx, 0, ctx->rbx);
	return server_begin(ctx, ctx->rdi, ctx->rbx, ctx->rcx);
}

// open_server finds the server span (HTTP or gRPC) open on the current
// goroutine.
static __always_inline struct inflight *open_server(struct pt_regs *ctx, u32 pid, struct frame_key *fk)
{
	struct g_key gk = {.pid = pid, .g = ctx->r14};
	struct server_frame *sf = bpf_map_lookup_elem(&server_frames, &gk);
	if (!sf)
		return NULL;
	fk->pid = pid;
	fk->pad = 0;
	fk->g = ctx->r14;
	fk->depth = sf->depth;
	struct inflight *in = bpf_map_lookup_elem(&inflights, fk);
	if (!in || (in->ev.kind != KIND_SERVER && in->ev.kind != KIND_GRPC_SERVER))
		return NULL;
	return in;
}

static __noinline void end_server(struct go_offsets *o, struct inflight *in, struct frame_key *fk)
{
	if (in->arg1) {
		u32 xnet = in->ev.flags & FLAG_XNET;
		u64 at = in->ev.flags & FLAG_HTTP2 ? (xnet ? o->xh2_status : o->h2_status) : o->response_status;
		u64 status = read_u64(in->arg1 + at);
		in->ev.status = status >= 100 && status <= 999 ? status : 0; // 0: net/http writes 200
		if (!(in->ev.flags & FLAG_HTTP2) && o->conn_hijacked) {
			u64 c = read_u64(in->arg1 + o->response_conn);
			u8 hj = 0;
			if (c)
				bpf_probe_read_user(&hj, 1, (void *)(c + o->conn_hijacked));
			if (hj)
				in->ev.flags |= FLAG_HIJACKED;
		}
	}
	if (o->has_pattern && !in->ev.route[0])
		read_gostring(in->arg0 + o->request_pattern, in->ev.route, ROUTE_LEN);
	struct g_key gk = {.pid = fk->pid, .g = fk->g};
	bpf_map_delete_elem(&server_frames, &gk);
	emit(in, fk);
}

static __noinline int server_return(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct frame_key fk;
	struct inflight *in = finish(ctx, o, pid, &fk);
	if (!in || in->ev.kind != KIND_SERVER)
		return 0;
	end_server(o, in, &fk);
	return 0;
}

// net/http.(*ServeMux).findHandler(r *Request) (h Handler, patStr string, ...)
// returns the pattern in rcx (pointer) and rdi (length). Middleware may
// have handed the mux a copy of the request (r.WithContext,
// http.StripPrefix), so the pattern is taken here rather than from the
// request the server span began with: the innermost mux's in route_inner,
// the one around it in route.
static __noinline int route_return(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct frame_key fk;
	struct inflight *in = open_server(ctx, pid, &fk);
	if (!in || in->ev.kind != KIND_SERVER)
		return 0;
	if (!ctx->rcx || !ctx->rdi)
		return 0;
	char *dst = in->ev.route;
	if (in->ev.route[0]) {
		// Keep the two innermost: an outer subtree pattern and the one
		// below it make the route together (see the receiver).
		if (in->ev.route_inner[0])
			__builtin_memcpy(in->ev.route, in->ev.route_inner, ROUTE_LEN);
		dst = in->ev.route_inner;
	}
	read_str(ctx->rcx, ctx->rdi, dst, ROUTE_LEN);
	return 0;
}

// The deferred function of the server's connection (HTTP/1) or handler
// goroutine (HTTP/2) that recovers a panicking handler: the server span
// still open there ends with the panic.
static __noinline int panic_recover(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct frame_key fk;
	struct inflight *in = open_server(ctx, pid, &fk);
	if (!in || in->ev.kind != KIND_SERVER)
		return 0;
	in->ev.flags |= FLAG_PANIC;
	end_server(o, in, &fk);
	return 0;
}

// net/http.(*Transport).roundTrip(req *Request) (*Response, error)
// rax = t, rbx = req; returns rax = *Response, rbx/rcx = error.
static __noinline int client_entry(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	u64 req = ctx->rbx;
	struct frame_key fk;
	struct inflight *in = begin(ctx, o, KIND_CLIENT, 0, req, &fk);
	if (!in)
		return 0;
	struct span_event *ev = &in->ev;
	read_gostring(req + o->request_method, ev->method, METHOD_LEN);
	u64 url = read_u64(req + o->request_url);
	if (url) {
		read_gostring(url + o->url_scheme, ev->scheme, SCHEME_LEN);
		read_gostring(url + o->url_host, ev->host, HOST_LEN);
		read_gostring(url + o->url_path, ev->path, PATH_LEN);
		read_gostring(url + o->url_rawquery, ev->query, QUERY_LEN);
	}
	publish(in, &fk);
	return 0;
}

static __noinline int client_return(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct frame_key fk;
	struct inflight *in = finish(ctx, o, pid, &fk);
	if (!in || in->ev.kind != KIND_CLIENT)
		return 0;
	if (ctx->rax)
		in->ev.status = read_u64(ctx->rax + o->resp_statuscode);
	if (ctx->rbx)
		in->ev.flags |= FLAG_TRANSPORT_ERR;
	struct g_key gk = {.pid = pid, .g = ctx->r14};
	struct addr_pair *ap = bpf_map_lookup_elem(&client_conn_of, &gk);
	if (ap) {
		in->ev.addr = *ap;
		in->ev.flags |= FLAG_HAS_TUPLE;
		bpf_map_delete_elem(&tuples, ap);
		bpf_map_delete_elem(&client_conn_of, &gk);
	}
	emit(in, &fk);
	return 0;
}

// net/http.(*persistConn).roundTrip(req *transportRequest) runs on the
// goroutine of Transport.roundTrip once a connection is chosen: remember the
// connection's 4-tuple for the client span and for same-host stitching.
static __noinline int client_conn(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct g_key gk = {.pid = pid, .g = ctx->r14};
	struct span_ctx *cur = bpf_map_lookup_elem(&go_ctx, &gk);
	if (!cur)
		return 0;
	struct addr_pair ap = {};
	if (!(conn_tuple(o, ctx->rax + o->persistconn_conn, &ap) & FLAG_HAS_TUPLE))
		return 0;
	bpf_map_update_elem(&tuples, &ap, cur, BPF_ANY);
	bpf_map_update_elem(&client_conn_of, &gk, &ap, BPF_ANY);
	return 0;
}

// A driver.Conn itab's Prepare method, fun[2] (methods sort by name:
// Begin, Close, Prepare). database/sql calls Prepare from every query
// path, so the linker keeps it; Begin it drops from programs that never
// start a transaction.
#define CONN_PREPARE_FN 40

// fn_id of database/sql spans: a query or DB_EXEC, of a DB, Tx or Conn or
// DB_PREPARED (a Stmt's).
#define DB_EXEC 1
#define DB_PREPARED 2

// database/sql.(*DB).queryDC(ctx, txctx context.Context, dc *driverConn, releaseConn func(error), query string, args []any)
// rax = db, rbx/rcx = ctx, rdi/rsi = txctx, r8 = dc, r10/r11 = query;
// database/sql.(*DB).execDC(ctx context.Context, dc *driverConn, release func(error), query string, args []any)
// rax = db, rbx/rcx = ctx, rdi = dc, r8/r9 = query.
// Every query and exec of a DB, Tx or Conn passes one of them.
static __noinline int sql_entry(struct pt_regs *ctx, u64 dc, u64 q, u64 n, u32 exec)
{
	OFFSETS_OR_RETURN(pid, o);
	struct frame_key fk;
	struct inflight *in = begin(ctx, o, KIND_DB, exec, dc, &fk);
	if (!in)
		return 0;
	read_str(q, n, in->ev.path, PATH_LEN);
	u64 itab = dc ? read_u64(dc + o->driverconn_ci) : 0;
	if (itab)
		in->ev.driver_fn = read_u64(itab + CONN_PREPARE_FN);
	publish(in, &fk);
	return 0;
}


// database/sql.(*Stmt).QueryContext / ExecContext(ctx context.Context, args ...any)
// rax = s: a prepared statement's query or exec, s.query the statement.
// The driver is known once a connection is chosen (stmt_conn).
static __noinline int stmt_entry(struct pt_regs *ctx, u32 exec)
{
	OFFSETS_OR_RETURN(pid, o);
	struct frame_key fk;
	struct inflight *in = begin(ctx, o, KIND_DB, exec | DB_PREPARED, ctx->rax, &fk);
	if (!in)
		return 0;
	read_gostring(ctx->rax + o->stmt_query, in->ev.path, PATH_LEN);
	publish(in, &fk);
	open_call(in, &fk);
	return 0;
}

// database/sql.rowsiFromStatement / resultFromStatement(ctx context.Context, ci driver.Conn, ds *driverStmt, args ...any)
// rax/rbx = ctx, rcx/rdi = ci: the connection the open prepared statement
// call runs on, whose itab names the driver.
static __noinline int stmt_conn(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	// None open: DB.queryDC's fallback for drivers that only prepare.
	struct inflight *in = inner_call(ctx, pid, KIND_DB);
	if (in && ctx->rcx)
		in->ev.driver_fn = read_u64(ctx->rcx + CONN_PREPARE_FN);
	return 0;
}

// Returns: queryDC and Stmt.QueryContext give (*Rows, error) in rax,
// rbx/rcx; execDC and Stmt.ExecContext (Result, error) in rax/rbx, rcx/rdi.
static __noinline int sql_return(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct frame_key fk;
	struct inflight *in = finish(ctx, o, pid, &fk);
	if (!in || in->ev.kind != KIND_DB)
		return 0;
	if (in->ev.fn_id & DB_EXEC ? ctx->rcx : ctx->rbx)
		in->ev.flags |= FLAG_TRANSPORT_ERR;
	if (in->ev.fn_id & DB_PREPARED)
		close_call(pid, KIND_DB, ctx->r14);
	emit(in, &fk);
	return 0;
}

// grpc_code reads the code of a *internal/status.Status.
static __always_inline u32 grpc_code(struct go_offsets *o, u64 st)
{
	u64 spb = st ? read_u64(st + o->grpc_status_s) : 0;
	u32 code = 0;
	if (spb)
		bpf_probe_read_user(&code, 4, (void *)(spb + o->grpc_spb_code));
	return code;
}

// grpc_err_code is the status code of an error interface (itab, data) that
// gRPC returns: OK for nil and for io.EOF (a stream that ended well), a
// *status.Error's code, UNKNOWN for anything else.
static __always_inline u32 grpc_err_code(struct go_offsets *o, u64 itab, u64 data)
{
	if (!itab)
		return 0;
	u64 fn = read_u64(itab + 24);
	if (o->grpc_error_fn && fn == o->grpc_error_fn + o->load_bias)
		return grpc_code(o, read_u64(data + o->grpc_error_s));
	if (o->errorstring_fn && fn == o->errorstring_fn + o->load_bias && read_u64(data + 8) == 3) {
		char m[3] = {};
		bpf_probe_read_user(m, 3, (void *)read_u64(data));
		if (m[0] == 'E' && m[1] == 'O' && m[2] == 'F')
			return 0;
	}
	return 2;
}

// One gRPC call is one HTTP/2 stream, and a connection carries many: the
// client's view of the connection's 4-tuple and the stream ID name a call
// exactly.
struct h2_key {
	struct addr_pair addr;
	u32 stream_id;
	u32 pad;
};

// The client span of each gRPC call whose headers went out, for a traced
// server on this host; removed when the call ends.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct h2_key);
	__type(value, struct span_ctx);
} grpc_calls SEC(".maps");

struct span_key {
	u32 pid;
	u32 pad;
	u8 span_id[8];
};

// The grpc_calls key of each client span that has one.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct span_key);
	__type(value, struct h2_key);
} grpc_call_of SEC(".maps");

// The span open on the goroutine that created a client stream, until the
// connection's writer sends the stream's headers: keyed by the stream's
// write quota (its address, which the queued headers carry).
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct g_key);
	__type(value, struct span_ctx);
} grpc_pending SEC(".maps");

struct h2_stream {
	u32 pid;
	u32 stream_id;
	u64 transport; // *http2Server
};

struct remote_parent {
	struct span_ctx sc;
	u32 flags;
	u32 pad;
};

// A traceparent in a gRPC call's metadata, from the server transport's
// reader until the call's handler starts.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct h2_stream);
	__type(value, struct remote_parent);
} grpc_tp SEC(".maps");

// Client streams that NewStream returned, until they finish: keyed by the
// *clientStream. Not an LRU map, like inflights: a stream that finds it
// full is counted (LOST_STREAM_FULL), one never finished when its address
// is reused (LOST_ABANDONED), those of a process gone by user space.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct g_key);
	__type(value, struct span_event);
} grpc_streams SEC(".maps");

// grpc_stream is the transport.Stream of a ServerStream or ClientStream
// whose Stream is at off.
static __always_inline u64 grpc_stream(struct go_offsets *o, u64 s, u64 off)
{
	return o->grpc_stream_ptr ? read_u64(s + off) : s + off;
}

// google.golang.org/grpc.(*Server).handleStream(t transport.ServerTransport, stream *transport.ServerStream)
// rax = s, rbx/rcx = t, rdi = stream: one RPC, unary or streaming. Its
// parent in another process: the client span of the same call (same
// connection, same stream ID), or the traceparent of its metadata.
static __noinline int grpc_server_entry(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	u64 stream = ctx->rdi, st = ctx->rcx;
	struct frame_key fk;
	struct inflight *in = begin(ctx, o, KIND_GRPC_SERVER, 0, stream, &fk);
	if (!in)
		return 0;
	u64 s = grpc_stream(o, stream, o->grpc_server_stream);
	read_gostring(s + o->grpc_stream_method, in->ev.path, PATH_LEN);
	u32 id = 0;
	bpf_probe_read_user(&id, 4, (void *)(s + o->grpc_stream_id));
	struct span_ctx *call = NULL;
	struct addr_pair ap = {};
	if (id && o->grpc_server_conn && (conn_tuple(o, st + o->grpc_server_conn, &ap) & FLAG_HAS_TUPLE)) {
		struct h2_key k = {.stream_id = id};
		client_view(&ap, &k.addr);
		call = bpf_map_lookup_elem(&grpc_calls, &k);
	}
	struct h2_stream hs = {.pid = pid, .stream_id = id, .transport = st};
	struct remote_parent *rp = id ? bpf_map_lookup_elem(&grpc_tp, &hs) : NULL;
	adopt_parent(&in->ev, call, rp ? &rp->sc : NULL, rp ? rp->flags : 0);
	if (rp)
		bpf_map_delete_elem(&grpc_tp, &hs);
	publish(in, &fk);
	struct g_key gk = {.pid = pid, .g = ctx->r14};
	struct server_frame sf = {.depth = fk.depth, .req = stream};
	bpf_map_update_elem(&server_frames, &gk, &sf, BPF_ANY);
	return 0;
}

// hpack.HeaderField: Name, Value string; Sensitive bool.
#define HPACK_FIELD_SIZE 40
#define MAX_MD_FIELDS 64

struct md_walk {
	struct tp_scratch *sc;
	u64 fields, n;
	struct remote_parent *out;
	int found;
};

static long md_step(u32 i, void *ctx)
{
	struct md_walk *w = ctx;
	if (i >= w->n)
		return 1;
	u64 f = w->fields + (u64)i * HPACK_FIELD_SIZE;
	if (read_u64(f + 8) != 11 || bpf_probe_read_user(w->sc->key, 11, (void *)read_u64(f)) || !is_traceparent_key(w->sc->key))
		return 0;
	if (read_u64(f + 24) == TRACEPARENT_LEN && !bpf_probe_read_user(w->sc->val, TRACEPARENT_LEN, (void *)read_u64(f + 16)))
		w->found = parse_traceparent(w->sc->val, &w->out->sc, &w->out->flags);
	return 1;
}

// transport.(*http2Server).operateHeaders(ctx context.Context, frame *http2.MetaHeadersFrame, handle func(*ServerStream))
// rax = t, rbx/rcx = ctx, rdi = frame: a call's headers, on the
// connection's reader goroutine before the call's handler starts.
static __noinline int grpc_metadata(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	u64 frame = ctx->rdi;
	u64 hf = read_u64(frame + o->xh2_meta_headers);
	u32 id = 0;
	if (hf)
		bpf_probe_read_user(&id, 4, (void *)(hf + o->xh2_headers_sid));
	u32 zero = 0;
	struct tp_scratch *sc = bpf_map_lookup_elem(&tp_buf, &zero);
	if (!id || !sc)
		return 0;
	struct remote_parent rp = {};
	struct md_walk w = {.sc = sc, .fields = read_u64(frame + o->xh2_meta_fields), .n = read_u64(frame + o->xh2_meta_fields + 8), .out = &rp};
	if (!w.fields)
		return 0;
	bpf_loop(MAX_MD_FIELDS, md_step, &w, 0);
	if (w.found) {
		struct h2_stream hs = {.pid = pid, .stream_id = id, .transport = ctx->rax};
		bpf_map_update_elem(&grpc_tp, &hs, &rp, BPF_ANY);
	}
	return 0;
}

// google.golang.org/grpc/internal/transport.(*http2Server).writeStatus(s *ServerStream, st *status.Status)
// rax = t, rbx = s, rcx = st: the RPC's status, on the RPC's goroutine.
static __noinline int grpc_status(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct frame_key fk;
	struct inflight *in = open_server(ctx, pid, &fk);
	if (!in || in->ev.kind != KIND_GRPC_SERVER)
		return 0;
	in->ev.status = grpc_code(o, ctx->rcx);
	in->ev.flags |= FLAG_HAS_STATUS;
	return 0;
}

static __noinline int grpc_server_return(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct frame_key fk;
	struct inflight *in = finish(ctx, o, pid, &fk);
	if (!in || in->ev.kind != KIND_GRPC_SERVER)
		return 0;
	struct g_key gk = {.pid = pid, .g = ctx->r14};
	bpf_map_delete_elem(&server_frames, &gk);
	emit(in, &fk);
	return 0;
}

// gRPC client calls, fn_id 0 for unary, 1 for streaming:
// google.golang.org/grpc.(*ClientConn).Invoke(ctx context.Context, method string, args, reply any, opts ...CallOption) error
// rax = cc, rbx/rcx = ctx, rdi/rsi = method; returns the error in rax/rbx.
// google.golang.org/grpc.(*ClientConn).NewStream(ctx context.Context, desc *StreamDesc, method string, opts ...CallOption) (ClientStream, error)
// rax = cc, rbx/rcx = ctx, rdi = desc, rsi/r8 = method; returns the stream
// in rax/rbx and the error in rcx/rdi.
static __noinline int grpc_client_entry(struct pt_regs *ctx, u64 method, u64 len, u32 stream)
{
	OFFSETS_OR_RETURN(pid, o);
	struct frame_key fk;
	struct inflight *in = begin(ctx, o, KIND_GRPC_CLIENT, stream, ctx->rax, &fk);
	if (!in)
		return 0;
	read_str(method, len, in->ev.path, PATH_LEN);
	publish(in, &fk);
	if (stream)
		open_call(in, &fk);
	return 0;
}

// google.golang.org/grpc.newClientStream(...) (ClientStream, error) returns
// the *clientStream in rax/rbx, also when NewStream runs it through a
// stream interceptor (which may return a wrapper): the open NewStream
// call's stream, until its finish.
static __noinline int grpc_new_client_stream(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct inflight *in = inner_call(ctx, pid, KIND_GRPC_CLIENT);
	if (in && !ctx->rcx && o->grpc_cs_fn && read_u64(ctx->rax + 24) == o->grpc_cs_fn + o->load_bias)
		in->arg1 = ctx->rbx;
	return 0;
}

// grpc_call_done gives a client call its status; the server side can no
// longer find it.
static __always_inline void grpc_call_done(struct span_event *ev, u32 code)
{
	ev->status = code;
	ev->flags |= FLAG_HAS_STATUS;
	struct span_key sk = {.pid = ev->pid};
	__builtin_memcpy(sk.span_id, ev->span_id, 8);
	struct h2_key *k = bpf_map_lookup_elem(&grpc_call_of, &sk);
	if (k) {
		bpf_map_delete_elem(&grpc_calls, k);
		bpf_map_delete_elem(&grpc_call_of, &sk);
	}
}

static __noinline int grpc_client_return(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct frame_key fk;
	struct inflight *in = finish(ctx, o, pid, &fk);
	if (!in || in->ev.kind != KIND_GRPC_CLIENT)
		return 0;
	if (!in->ev.fn_id) {
		grpc_call_done(&in->ev, grpc_err_code(o, ctx->rax, ctx->rbx));
		emit(in, &fk);
		return 0;
	}
	close_call(pid, KIND_GRPC_CLIENT, ctx->r14);
	if (ctx->rcx) {
		grpc_call_done(&in->ev, grpc_err_code(o, ctx->rcx, ctx->rdi));
	} else if (in->arg1) {
		// A stream: it goes on until its finish.
		struct g_key sk = {.pid = pid, .g = in->arg1};
		restore_ctx(in, &fk);
		if (bpf_map_lookup_elem(&grpc_streams, &sk))
			count_lost(LOST_ABANDONED); // a stream never finished, its memory reused
		if (bpf_map_update_elem(&grpc_streams, &sk, &in->ev, BPF_ANY))
			count_lost(LOST_STREAM_FULL);
		bpf_map_delete_elem(&inflights, &fk);
		return 0;
	}
	// else no *clientStream was seen (an interceptor made the stream up):
	// its end is not known.
	emit(in, &fk);
	return 0;
}

// google.golang.org/grpc.(*clientStream).finish(err error): rax = cs,
// rbx/rcx = err. The first call ends the stream, on whatever goroutine.
static __noinline int grpc_stream_finish(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct g_key sk = {.pid = pid, .g = ctx->rax};
	struct span_event *ev = bpf_map_lookup_elem(&grpc_streams, &sk);
	if (!ev)
		return 0;
	grpc_call_done(ev, grpc_err_code(o, ctx->rbx, ctx->rcx));
	submit(ev);
	bpf_map_delete_elem(&grpc_streams, &sk);
	return 0;
}

// transport.(*http2Client).newStream(...) *ClientStream: rax = s, on the
// calling goroutine before the stream's headers are queued for the
// connection's writer.
static __noinline int grpc_transport_stream(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct g_key gk = {.pid = pid, .g = ctx->r14};
	struct span_ctx *cur = bpf_map_lookup_elem(&go_ctx, &gk);
	if (!cur)
		return 0;
	u64 wq = grpc_stream(o, ctx->rax, o->grpc_client_stream) + o->grpc_stream_wq;
	struct g_key wk = {.pid = pid, .g = o->grpc_wq_ptr ? read_u64(wq) : wq};
	bpf_map_update_elem(&grpc_pending, &wk, cur, BPF_ANY);
	return 0;
}

// transport.(*loopyWriter).clientHeaderHandler(hdr *clientHeaders) (before
// gRPC 1.82 headerHandler(h *headerFrame), which also sees a server's
// headers, without a write quota): rax = l, rbx = hdr, on the connection's
// writer goroutine right before it sends the call's headers (the stream ID
// is set): from now on a server on this host finds the call.
static __noinline int grpc_headers(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	u64 hdr = ctx->rbx;
	struct g_key wk = {.pid = pid, .g = read_u64(hdr + o->grpc_headers_wq)};
	struct span_ctx *sc = bpf_map_lookup_elem(&grpc_pending, &wk);
	if (!sc)
		return 0;
	struct h2_key k = {};
	bpf_probe_read_user(&k.stream_id, 4, (void *)(hdr + o->grpc_headers_id));
	if (k.stream_id && (conn_tuple(o, ctx->rax + o->grpc_loopy_conn, &k.addr) & FLAG_HAS_TUPLE)) {
		bpf_map_update_elem(&grpc_calls, &k, sc, BPF_ANY);
		struct span_key sk = {.pid = pid};
		__builtin_memcpy(sk.span_id, sc->span_id, 8);
		bpf_map_update_elem(&grpc_call_of, &sk, &k, BPF_ANY);
	}
	bpf_map_delete_elem(&grpc_pending, &wk);
	return 0;
}

// runtime.chansend1(c *hchan, elem unsafe.Pointer): rax = c. The sender's
// span goes to the receiver waiting on c, or waits in chan_ctx for the next
// receive; a send without a span clears what a receiver would inherit.
static __noinline int chan_send(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct g_key gk = {.pid = pid, .g = ctx->r14};
	struct span_ctx *cur = bpf_map_lookup_elem(&go_ctx, &gk);
	if (!cur)
		cur = bpf_map_lookup_elem(&handoff, &gk);
	if (!cur)
		cur = bpf_map_lookup_elem(&g_parent, &gk);
	u64 c = ctx->rax;
	u64 sg = c ? read_u64(c + o->hchan_recvq_first) : 0;
	struct g_key rk = {.pid = pid, .g = sg ? read_u64(sg + o->sudog_g) : 0};
	struct g_key ck = {.pid = pid, .g = c};
	if (rk.g) {
		if (cur)
			bpf_map_update_elem(&handoff, &rk, cur, BPF_ANY);
		else
			bpf_map_delete_elem(&handoff, &rk);
	} else if (cur) {
		bpf_map_update_elem(&chan_ctx, &ck, cur, BPF_ANY);
	} else {
		bpf_map_delete_elem(&chan_ctx, &ck);
	}
	return 0;
}

// runtime.chanrecv1 / chanrecv2(c *hchan, elem unsafe.Pointer): rax = c.
// A receive that finds a sent span takes it over.
static __noinline int chan_recv(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct g_key ck = {.pid = pid, .g = ctx->rax};
	struct span_ctx *sent = bpf_map_lookup_elem(&chan_ctx, &ck);
	if (!sent)
		return 0; // a receiver that waits gets it from the sender
	struct g_key gk = {.pid = pid, .g = ctx->r14};
	bpf_map_update_elem(&handoff, &gk, sent, BPF_ANY);
	bpf_map_delete_elem(&chan_ctx, &ck);
	return 0;
}

// Functions listed in the configuration; fn_id is their index there.
static __noinline int func_entry(struct pt_regs *ctx, u32 fn_id)
{
	OFFSETS_OR_RETURN(pid, o);
	struct frame_key fk;
	struct inflight *in = begin(ctx, o, KIND_INTERNAL, fn_id, ctx->rax, &fk);
	if (!in)
		return 0;
	publish(in, &fk);
	return 0;
}

static __noinline int func_return(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct frame_key fk;
	struct inflight *in = finish(ctx, o, pid, &fk);
	if (!in || in->ev.kind != KIND_INTERNAL)
		return 0;
	emit(in, &fk);
	return 0;
}

// runtime.recovery(gp *g): rax = gp, on the system stack: gp recovered a
// panic, which unwound the frames between the panicking call and the one
// whose deferred function recovered it.
static __noinline int recovery(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	struct g_key gk = {.pid = pid, .g = ctx->rax};
	u64 now = bpf_ktime_get_boot_ns();
	bpf_map_update_elem(&recovered, &gk, &now, BPF_ANY);
	return 0;
}

// runtime.newproc1(...) *g returns the new goroutine. It runs on the system
// stack, so r14 is g0 there and the goroutine that asked for the new one is
// g0.m.curg. Probing only the return keeps goroutine creation at one trap.
static __noinline int newproc_return(struct pt_regs *ctx)
{
	OFFSETS_OR_RETURN(pid, o);
	u64 m = read_u64(ctx->r14 + o->g_m);
	if (!m)
		return 0;
	struct g_key ck = {.pid = pid, .g = read_u64(m + o->m_curg)};
	struct g_key nk = {.pid = pid, .g = ctx->rax};
	// A g is reused after its goroutine exits: always overwrite or clear.
	struct span_ctx *cur = bpf_map_lookup_elem(&go_ctx, &ck);
	if (!cur)
		cur = bpf_map_lookup_elem(&g_parent, &ck);
	if (cur)
		bpf_map_update_elem(&g_parent, &nk, cur, BPF_ANY);
	else
		bpf_map_delete_elem(&g_parent, &nk);
	bpf_map_delete_elem(&go_ctx, &nk);
	return 0;
}

// Probe points, the high half of the attach cookie (the low half is the id
// of a configured function). One program with one uprobe_multi link per
// process serves them all: removing a link waits for an RCU grace period,
// so one link per process keeps detaching fast.
#define P_SERVER_ENTRY 1
#define P_SERVER_RETURN 2
#define P_CLIENT_ENTRY 3
#define P_CLIENT_RETURN 4
#define P_CLIENT_CONN 5
#define P_NEWPROC_RETURN 6
#define P_FUNC_ENTRY 7
#define P_FUNC_RETURN 8
#define P_XSERVER_ENTRY 9
#define P_ROUTE_RETURN 10
#define P_PANIC_RECOVER 11
#define P_SQL_QUERY_ENTRY 12
#define P_SQL_EXEC_ENTRY 13
#define P_SQL_RETURN 14
#define P_GRPC_SERVER_ENTRY 15
#define P_GRPC_SERVER_RETURN 16
#define P_GRPC_STATUS 17
#define P_GRPC_CLIENT_ENTRY 18
#define P_GRPC_CLIENT_RETURN 19
#define P_CHAN_SEND 20
#define P_CHAN_RECV 21
#define P_GRPC_STREAM_ENTRY 22
#define P_GRPC_STREAM_FINISH 23
#define P_GRPC_TRANSPORT_STREAM 24
#define P_GRPC_HEADERS 25
#define P_GRPC_METADATA 26
#define P_SQL_STMT_QUERY_ENTRY 27
#define P_SQL_STMT_EXEC_ENTRY 28
#define P_SQL_STMT_CONN 29
#define P_GRPC_NEW_CLIENT_STREAM 30
#define P_RECOVERY 31

SEC("uprobe.multi")
int on_uprobe(struct pt_regs *ctx)
{
	u64 cookie = bpf_get_attach_cookie(ctx);
	switch (cookie >> 32) {
	case P_SERVER_ENTRY:
	case P_XSERVER_ENTRY:
		return server_entry(ctx, cookie >> 32 == P_XSERVER_ENTRY);
	case P_SERVER_RETURN:
		return server_return(ctx);
	case P_CLIENT_ENTRY:
		return client_entry(ctx);
	case P_CLIENT_RETURN:
		return client_return(ctx);
	case P_CLIENT_CONN:
		return client_conn(ctx);
	case P_NEWPROC_RETURN:
		return newproc_return(ctx);
	case P_FUNC_ENTRY:
		return func_entry(ctx, (u32)cookie);
	case P_FUNC_RETURN:
		return func_return(ctx);
	case P_ROUTE_RETURN:
		return route_return(ctx);
	case P_PANIC_RECOVER:
		return panic_recover(ctx);
	case P_SQL_QUERY_ENTRY:
		return sql_entry(ctx, ctx->r8, ctx->r10, ctx->r11, 0);
	case P_SQL_EXEC_ENTRY:
		return sql_entry(ctx, ctx->rdi, ctx->r8, ctx->r9, DB_EXEC);
	case P_SQL_STMT_QUERY_ENTRY:
		return stmt_entry(ctx, 0);
	case P_SQL_STMT_EXEC_ENTRY:
		return stmt_entry(ctx, DB_EXEC);
	case P_SQL_STMT_CONN:
		return stmt_conn(ctx);
	case P_GRPC_NEW_CLIENT_STREAM:
		return grpc_new_client_stream(ctx);
	case P_SQL_RETURN:
		return sql_return(ctx);
	case P_GRPC_SERVER_ENTRY:
		return grpc_server_entry(ctx);
	case P_GRPC_SERVER_RETURN:
		return grpc_server_return(ctx);
	case P_GRPC_STATUS:
		return grpc_status(ctx);
	case P_GRPC_CLIENT_ENTRY:
		return grpc_client_entry(ctx, ctx->rdi, ctx->rsi, 0);
	case P_GRPC_STREAM_ENTRY:
		return grpc_client_entry(ctx, ctx->rsi, ctx->r8, 1);
	case P_GRPC_STREAM_FINISH:
		return grpc_stream_finish(ctx);
	case P_GRPC_TRANSPORT_STREAM:
		return grpc_transport_stream(ctx);
	case P_GRPC_HEADERS:
		return grpc_headers(ctx);
	case P_GRPC_METADATA:
		return grpc_metadata(ctx);
	case P_GRPC_CLIENT_RETURN:
		return grpc_client_return(ctx);
	case P_CHAN_SEND:
		return chan_send(ctx);
	case P_CHAN_RECV:
		return chan_recv(ctx);
	case P_RECOVERY:
		return recovery(ctx);
	}
	return 0;
}

// An empty program at the same probe points measures what the uprobe trap
// itself costs, apart from the work above (see the probes benchmarks).
SEC("uprobe.multi")
int noop(struct pt_regs *ctx)
{
	return 0;
}

static __always_inline int proc_event(u32 type, u32 pid, u32 flags)
{
	struct proc_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(LOST_PROC);
		return 0;
	}
	e->type = type;
	e->pid = pid;
	e->flags = flags;
	e->pad = 0;
	bpf_ringbuf_submit(e, flags & PROC_HELD ? BPF_RB_FORCE_WAKEUP : 0);
	return 1;
}

// A program user space waits for is stopped (SIGSTOP, delivered before its
// first user instruction) once the event that asks user space to attach and
// then continue it is in the ring buffer; without the event it runs on.
SEC("raw_tracepoint/sched_process_exec")
int on_exec(void *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	char comm[COMM_LEN] = {};
	bpf_get_current_comm(comm, sizeof(comm));
	if (!bpf_map_lookup_elem(&hold_names, comm)) {
		proc_event(EVENT_EXEC, pid, 0);
		return 0;
	}
	if (proc_event(EVENT_EXEC, pid, PROC_HELD))
		bpf_send_signal(SIGSTOP);
	return 0;
}

SEC("raw_tracepoint/sched_process_exit")
int on_exit(void *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tgid = id >> 32;
	if ((u32)id != tgid || !bpf_map_lookup_elem(&watched, &tgid))
		return 0;
	proc_event(EVENT_EXIT, tgid, 0);
	return 0;
}
