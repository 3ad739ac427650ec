//go:build e2e

package faults

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"

	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// rawCodec sends bytes as they are, to put malformed protobuf on the wire.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return v.([]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = data
	return nil
}
func (rawCodec) Name() string { return "proto" }

var _ encoding.Codec = rawCodec{}

// malformed sends OTLP that cannot be decoded, over gRPC and HTTP, and
// returns what each attempt got back; every one must be refused.
func malformed(t *testing.T, c *collectortest.Collector) {
	t.Helper()
	valid, err := ptraceotlp.NewExportRequestFromTraces(tracetest.Traces(tracetest.TraceID(1<<62), tracetest.FiveServices()...)).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	garbage := bytes.Repeat([]byte{0xff, 0x0a, 0x80}, 3000)
	for name, body := range map[string][]byte{"garbage": garbage, "truncated": valid[:len(valid)/2]} {
		resp, err := http.Post("http://"+c.HTTP+"/v1/traces", "application/x-protobuf", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("HTTP %s: %v", name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("HTTP protobuf %s: status %d, want 400", name, resp.StatusCode)
		}
	}
	for _, doc := range []string{`{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}`, `{"resourceSpans": [`} {
		resp, err := http.Post("http://"+c.HTTP+"/v1/traces", "application/json", strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("HTTP JSON %q: status %d, want 400", doc, resp.StatusCode)
		}
	}
	conn, err := grpc.NewClient(c.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for name, body := range map[string][]byte{"garbage": garbage, "truncated": valid[:len(valid)/2]} {
		var reply []byte
		err := conn.Invoke(context.Background(), "/opentelemetry.proto.collector.trace.v1.TraceService/Export", body, &reply, grpc.ForceCodec(rawCodec{}))
		if err == nil {
			t.Errorf("gRPC %s accepted", name)
		}
	}
}

// oddTraces is decodable OTLP with content the pipeline must survive: no
// IDs, parent cycles, duplicate span IDs, end before start, bad UTF-8,
// markup and 100 KB names.
func oddTraces() ptrace.Traces {
	base := uint64(1) << 61
	long := strings.Repeat("n", 100_000)
	td := tracetest.Traces(tracetest.TraceID(base+1),
		tracetest.S(1, 2, "cycle", "a", 0, 10), tracetest.S(2, 1, "cycle", "b", 0, 10))
	tracetest.Append(td, tracetest.TraceID(base+2),
		tracetest.S(1, 0, "dup", "root", 0, 100), tracetest.S(1, 0, "dup", "root again", 0, 100),
		tracetest.S(3, 1, "dup", "ends before it starts", 50, 10))
	tracetest.Append(td, tracetest.TraceID(base+3),
		tracetest.S(1, 0, "bad\xff\xfeutf8</title><script>", long, 0, 100),
		tracetest.S(2, 1, long, "]]>\x00\x01", 10, 20).Attr("peer.service", "../../etc"))
	tracetest.Append(td, pcommon.TraceID{}, tracetest.S(0, 0, "no ids", "x", 0, 1))
	return td
}

const (
	bigSpans = 1_000_000
	bigBatch = 10_000
)

// sendBigTrace sends one trace of bigSpans spans in requests of bigBatch
// spans, as an SDK batching a huge trace would: a 4-ary tree (depth 10)
// over 20 services and 50 operation names.
func sendBigTrace(t *testing.T, c *collectortest.Collector, id pcommon.TraceID) {
	t.Helper()
	for from := 0; from < bigSpans; from += bigBatch {
		spans := make([]tracetest.Span, 0, bigBatch)
		for i := from; i < from+bigBatch; i++ {
			var parent uint64
			if i > 0 {
				parent = uint64((i-1)/4 + 1)
			}
			start := int64(i) * 1000
			spans = append(spans, tracetest.S(uint64(i+1), parent, fmt.Sprintf("svc-%02d", i%20), fmt.Sprintf("op-%02d", i%50), start, start+int64(bigSpans-i)*1000))
		}
		if err := c.Export(context.Background(), tracetest.Traces(id, spans...)); err != nil {
			t.Fatalf("big trace, spans %d..: %v", from, err)
		}
	}
}

// Malformed OTLP is refused with a clear status and a trace of a million
// spans is taken in, while normal traffic keeps flowing: every normal trace
// is acknowledged and drawn, the collector stays up, and its memory stays
// bounded.
func TestHostileInputWhileNormalTrafficFlows(t *testing.T) {
	out := t.TempDir()
	c := startGateway(t, "file://"+out)
	rss := sampleRSS(c, 100*time.Millisecond)
	var next atomic.Uint64
	normal := startNormalTraffic(t, c, &next, 100*time.Millisecond)

	time.Sleep(time.Second)
	malformed(t, c)
	c.SendGRPC(t, oddTraces())
	big := tracetest.TraceID(1 << 60)
	start := time.Now()
	sendBigTrace(t, c, big)
	t.Logf("sent the %d-span trace in %s", bigSpans, time.Since(start).Round(time.Millisecond))
	time.Sleep(3 * time.Second)

	acked, failed := normal.Stop()
	if failed != 0 {
		t.Errorf("%d normal requests failed while the hostile input was processed", failed)
	}
	collectortest.Eventually(t, 2*time.Minute, func() bool {
		return c.MetricWith(t, "otelcol_exporter_queue_size", `exporter="svg"`) == 0 &&
			rendered(t, c) >= float64(len(acked))
	})
	peak := rss.Stop()
	drawn := picturesIn(t, out)
	var missing int
	for _, id := range acked {
		if !drawn[id.String()] {
			missing++
		}
	}
	if missing != 0 {
		t.Errorf("%d of %d normal traces were not drawn", missing, len(acked))
	}
	if r := c.Metric(t, "otelcol_receiver_refused_spans"); r != 0 {
		t.Errorf("%v spans refused", r)
	}
	big1M := drawn[big.String()]
	var size int64
	if fi, err := os.Stat(filepath.Join(out, big.String()+".svg")); err == nil {
		size = fi.Size()
	}
	t.Logf("normal traces: %d acknowledged and drawn; big trace drawn: %v (%d bytes); peak RSS %.0f MiB", len(acked), big1M, size, peak)
	if !big1M || size > 2<<20 {
		t.Errorf("the %d-span trace: drawn %v, %d bytes; want one picture under 2 MB", bigSpans, big1M, size)
	}
	if peak > 2048 {
		t.Errorf("peak RSS %.0f MiB: above the memory_limiter bound (2048 MiB)", peak)
	}
	c.Stop(t)
}
