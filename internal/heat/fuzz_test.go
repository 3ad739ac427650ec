package heat

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// FuzzAnnotate feeds arbitrary span sets (few IDs, so parents, duplicates,
// self-parents and cross-trace collisions are common; every kind; odd
// durations; HTTP/gRPC attributes of any type) through Annotate across clock
// steps, and checks that every span is counted once and nothing panics.
func FuzzAnnotate(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 3, 0, 1, 1, 4, 5, 2, 200})
	f.Add([]byte{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := DefaultConfig()
		cfg.MaxServices, cfg.MaxOperations, cfg.MaxEdges = 3, 4, 2
		cfg.EdgeStore.MaxItems = 4
		cfg.Errors = ErrorConfig{HTTPServer5xx: true, HTTPClient4xx: true, GRPCCodes: []string{"UNAVAILABLE"}}
		c := newClock()
		tr := NewTracker(cfg, c.now)
		var want int64
		for len(data) >= 6 {
			var spans []sp
			n := int(data[0]%8) + 1
			for i := 0; i < n && len(data) >= 6; i++ {
				d := data[:6]
				data = data[6:]
				s := sp{
					Service: []string{"", "a", "b", "c", "d", "e"}[d[0]%6],
					Name:    []string{"x", "y", "z", "w", "v"}[d[1]%5],
					Trace:   d[2] % 3, ID: d[3] % 6, Parent: d[4] % 7,
					Kind: ptrace.SpanKind(d[5] % 6),
					Err:  d[5]&0x40 != 0,
					Dur:  time.Duration(int64(int8(d[1])) * int64(d[2]) * int64(time.Millisecond)),
				}
				switch d[4] % 4 {
				case 0:
					s.Attrs = map[string]any{"http.response.status_code": int(d[0]) * 3}
				case 1:
					s.Attrs = map[string]any{"rpc.grpc.status_code": string(d[1:3]), "peer.service": string(d[3:4])}
				case 2:
					s.Attrs = map[string]any{"http.status_code": float64(d[2]) * 4, "server.address": "h"}
				}
				spans = append(spans, s)
			}
			td := build(spans...)
			if res := tr.Annotate(td); res.Spans != len(spans) {
				t.Fatalf("counted %d of %d spans", res.Spans, len(spans))
			}
			want += int64(len(spans))
			c.advance(time.Duration(data0(data)) * 700 * time.Millisecond)
		}
		if got := tr.Counters().Spans; got != want {
			t.Fatalf("counters: %d spans, want %d", got, want)
		}
		var total int64
		tr.ServiceTotals(func(_ string, spans, _ int64) { total += spans })
		if total != want {
			t.Fatalf("service totals %d, want %d", total, want)
		}
		// Own errors are errors, never negative, whatever the order the
		// parents and failing children came in.
		for _, name := range tr.Services() {
			if st, ok := tr.Service(name); !ok || st.Spans <= 0 || st.Errors > st.Spans || st.OwnErrors < 0 || st.OwnErrors > st.Errors {
				t.Fatalf("service %s: %+v", name, st)
			}
		}
		for _, k := range tr.Edges() {
			if st, ok := tr.Edge(k.Caller, k.Callee); !ok || st.Spans <= 0 || st.Errors > st.Spans || st.OwnErrors < 0 || st.OwnErrors > st.Spans {
				t.Fatalf("edge %v: %+v", k, st)
			}
		}
	})
}

func data0(b []byte) byte {
	if len(b) == 0 {
		return 0
	}
	return b[0] % 16
}
