package view

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
	"gocloud.dev/blob"

	"github.com/tracemap/tracemap/extension/tracemapextension/internal/metadata"
	"github.com/tracemap/tracemap/extension/tracemapextension/internal/store"
	"github.com/tracemap/tracemap/internal/bucket"
	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/live"
	"github.com/tracemap/tracemap/internal/servicedag"
	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/summary"
	"github.com/tracemap/tracemap/internal/svgrender"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// The fixture bucket: two windows written the way the svg exporter lays
// them out. Window 1 has two gateways; payment is where failures start,
// checkout and frontend only propagate them. Window 2 holds a wide trace of
// 2,000 sibling spans whose overview picture cannot name them all.
var (
	win1 = time.Date(2026, 12, 1, 20, 31, 0, 0, time.UTC)
	win2 = win1.Add(time.Minute)

	failing = tracetest.TraceID(0xfa11)
	wide    = tracetest.TraceID(0x1de)
)

const wideSpans = 2000

func wideTrace() ptrace.Traces {
	spans := []tracetest.Span{tracetest.S(1, 0, "batch", "run", 0, wideSpans*1_000_000)}
	for i := range wideSpans {
		spans = append(spans, tracetest.S(uint64(i+2), 1, "batch", fmt.Sprintf("item-%04d", i),
			int64(i)*1_000_000, int64(i)*1_000_000+900_000))
	}
	return tracetest.Traces(wide, spans...)
}

func failingTrace() ptrace.Traces {
	return tracetest.Traces(failing,
		tracetest.S(1, 0, "frontend", "GET /checkout", 0, 1_000_000).Of(ptrace.SpanKindServer).Err(),
		tracetest.S(2, 1, "checkout", "POST /checkout", 100_000, 900_000).Of(ptrace.SpanKindServer).Err(),
		tracetest.S(3, 2, "payment", "charge", 200_000, 800_000).Of(ptrace.SpanKindServer).Err(),
	)
}

func svc(name string, spans, errs, own int64, p99 float64) summary.Service {
	return summary.Service{Name: name, Spans: spans, Errors: errs, OwnErrors: own, Latency: summary.Latency{P50Ms: p99 / 4, P90Ms: p99 / 2, P99Ms: p99}}
}

// putExemplar draws td and stores its picture and data under the window.
func putExemplar(t *testing.T, b *blob.Bucket, start time.Time, td ptrace.Traces, withData bool) summary.Exemplar {
	t.Helper()
	tree := spantree.FromTraces(td)[0]
	d := servicedag.FromTree(tree, servicedag.Options{})
	servicedag.Layout(d)
	var svg bytes.Buffer
	if err := svgrender.RenderTrace(&svg, tree, d, nil, svgrender.Options{}); err != nil {
		t.Fatal(err)
	}
	x := summary.Exemplar{TraceID: tree.TraceID.String(), Start: time.Unix(0, tree.Start), DurationNs: tree.Duration,
		Spans: int64(len(tree.Spans)), SVG: summary.ExemplarSVGKey(start, tree.TraceID)}
	root := tree.Spans[tree.Roots[0]]
	x.RootService, x.RootOperation = root.Service, root.Name
	for _, s := range tree.Spans {
		if s.Error {
			x.Errors++
		}
	}
	put(t, b, x.SVG, svg.Bytes())
	if withData {
		pb, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
		if err != nil {
			t.Fatal(err)
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, _ = zw.Write(pb)
		_ = zw.Close()
		x.Data = summary.ExemplarDataKey(start, tree.TraceID)
		put(t, b, x.Data, gz.Bytes())
	}
	return x
}

func put(t *testing.T, b *blob.Bucket, key string, data []byte) {
	t.Helper()
	if err := b.WriteAll(context.Background(), key, data, nil); err != nil {
		t.Fatal(err)
	}
}

func putSummary(t *testing.T, b *blob.Bucket, s *summary.Summary) {
	t.Helper()
	data, err := summary.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	put(t, b, summary.Key(s.Start, s.Gateways[0].ID), data)
}

// fixtureBucket writes the fixture into a fresh file:// bucket.
func fixtureBucket(t *testing.T) (*blob.Bucket, string) {
	t.Helper()
	url := "file://" + t.TempDir()
	b, err := bucket.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	fx := putExemplar(t, b, win1, failingTrace(), true)
	fx.For = []summary.Role{{Reason: summary.ReasonError, Service: "payment"}, {Reason: summary.ReasonError, From: "checkout", To: "payment"}}
	putSummary(t, b, &summary.Summary{Gateways: []summary.Gateway{{ID: "gw-a"}}, Start: win1, End: win1.Add(time.Minute), Traces: 100,
		Services:  []summary.Service{svc("frontend", 100, 10, 0, 40), svc("checkout", 100, 10, 0, 30), svc("payment", 100, 12, 12, 20)},
		Edges:     []summary.Edge{{From: "frontend", To: "checkout", Calls: 100, Errors: 10}, {From: "checkout", To: "payment", Calls: 100, Errors: 12, OwnErrors: 12}},
		Exemplars: []summary.Exemplar{fx}})
	putSummary(t, b, &summary.Summary{Gateways: []summary.Gateway{{ID: "gw-b"}}, Start: win1, End: win1.Add(time.Minute), Traces: 50,
		Services: []summary.Service{svc("frontend", 50, 5, 0, 45), svc("checkout", 50, 5, 0, 35), svc("payment", 50, 6, 6, 25), svc(hostile, 3, 0, 0, 1)},
		Edges:    []summary.Edge{{From: "frontend", To: "checkout", Calls: 50, Errors: 5}, {From: "checkout", To: "payment", Calls: 50, Errors: 6, OwnErrors: 6}}})
	wx := putExemplar(t, b, win2, wideTrace(), true)
	wx.For = []summary.Role{{Reason: summary.ReasonSlow, Service: "batch"}}
	putSummary(t, b, &summary.Summary{Gateways: []summary.Gateway{{ID: "gw-a"}}, Start: win2, End: win2.Add(time.Minute), Traces: 1,
		Services: []summary.Service{svc("batch", wideSpans+1, 0, 0, 2000)}, Exemplars: []summary.Exemplar{wx}})
	return b, url
}

// hostile is a service name that would be markup, a script and a path if
// it were ever used as any of them.
const hostile = `<img src=x onerror=alert(1)>/../../etc/passwd"'`

type fixture struct {
	st    *store.Store
	h     *Handler
	srv   *httptest.Server
	board *live.Board
	b     *blob.Bucket
}

func newFixture(t *testing.T, windows int) *fixture {
	t.Helper()
	return newFixtureWith(t, windows, componenttest.NewNopTelemetrySettings())
}

func newFixtureWith(t *testing.T, windows int, set component.TelemetrySettings) *fixture {
	t.Helper()
	b, _ := fixtureBucket(t)
	tel, err := metadata.NewTelemetryBuilder(set)
	if err != nil {
		t.Fatal(err)
	}
	board := live.NewBoard()
	st := store.New(b, store.Options{Windows: windows, MaxTraceBytes: 64 << 20, MaxTraceSpans: 100_000,
		Logger: zap.NewNop(), Telemetry: tel, Board: board})
	if err := st.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := New(st, Options{RenderTimeout: 10 * time.Second, MaxConcurrentRenders: 2, MaxLiveClients: 4,
		PollInterval: 200 * time.Millisecond, Hot: heat.HotRule{Threshold: 0.05, MinSpans: 10},
		Logger: zap.NewNop(), Telemetry: tel})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		h.Close()
		srv.Close()
	})
	return &fixture{st: st, h: h, srv: srv, board: board, b: b}
}
