package view

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.uber.org/zap"

	"github.com/tracemap/tracemap/extension/tracemapextension/internal/metadata"
	"github.com/tracemap/tracemap/extension/tracemapextension/internal/store"
	"github.com/tracemap/tracemap/internal/bucket"
	"github.com/tracemap/tracemap/internal/live"
	"github.com/tracemap/tracemap/internal/summary"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

func benchHandler(b *testing.B, st *store.Store) *Handler {
	b.Helper()
	tel, err := metadata.NewTelemetryBuilder(componenttest.NewNopTelemetrySettings())
	if err != nil {
		b.Fatal(err)
	}
	h := New(st, Options{RenderTimeout: time.Minute, MaxConcurrentRenders: 1, MaxLiveClients: 10,
		PollInterval: time.Second, Logger: zap.NewNop(), Telemetry: tel})
	b.Cleanup(h.Close)
	return h
}

func benchStore(b *testing.B, board *live.Board, url string) *store.Store {
	b.Helper()
	bk, err := bucket.Open(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = bk.Close() })
	tel, _ := metadata.NewTelemetryBuilder(componenttest.NewNopTelemetrySettings())
	st := store.New(bk, store.Options{Windows: 10, MaxTraceBytes: 1 << 30, MaxTraceSpans: 2_000_000,
		Logger: zap.NewNop(), Telemetry: tel, Board: board})
	if err := st.Poll(context.Background()); err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkMapPage100Services: the service map page of a window of 100
// services (three callees each), drawn anew every time (cold) and from the
// map cache (warm). Target: < 300 ms server time.
func BenchmarkMapPage100Services(b *testing.B) {
	board := live.NewBoard()
	s := &summary.Summary{Start: win1, End: win1.Add(time.Minute), Gateways: []summary.Gateway{{ID: "gw"}}}
	for i := range 100 {
		s.Services = append(s.Services, svc(fmt.Sprintf("service-%03d", i), 1000, int64(i%7), int64(i%3), 12))
		for _, c := range []int{1, 7, 31} {
			if j := i + c; j < 100 {
				s.Edges = append(s.Edges, summary.Edge{From: fmt.Sprintf("service-%03d", i), To: fmt.Sprintf("service-%03d", j), Calls: 100, Errors: int64(i % 2)})
			}
		}
	}
	st := benchStore(b, board, "mem://")
	board.Publish("gw", s)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go st.Run(ctx, time.Hour)
	for {
		if ws, _ := st.Windows(); len(ws) == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	for _, mode := range []string{"cold", "warm"} {
		b.Run(mode, func(b *testing.B) {
			h := benchHandler(b, st)
			for b.Loop() {
				if mode == "cold" {
					h.maps = mapCache{}
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
				if rec.Code != 200 {
					b.Fatalf("status %d", rec.Code)
				}
				b.SetBytes(int64(rec.Body.Len()))
			}
		})
	}
}

// BenchmarkZoom1MSpans: a zoomed redraw of a 1,000,000-span exemplar: a
// range of a thousandth and of a tenth of the trace, once the trace is
// decoded (the store caches it). Targets: < 1 s and < 2 MB per redraw.
func BenchmarkZoom1MSpans(b *testing.B) {
	td := tracetest.Generate(wide, 1_000_000, 20, 7)
	dir := b.TempDir()
	url := "file://" + dir
	bk, err := bucket.Open(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	t := &testing.T{}
	x := putExemplar(t, bk, win1, td, true)
	x.For = []summary.Role{{Reason: summary.ReasonSlow, Service: "service-00"}}
	data, _ := summary.Encode(&summary.Summary{Gateways: []summary.Gateway{{ID: "gw"}}, Start: win1, End: win1.Add(time.Minute),
		Exemplars: []summary.Exemplar{x}})
	if err := bk.WriteAll(context.Background(), summary.Key(win1, "gw"), data, nil); err != nil {
		b.Fatal(err)
	}
	_ = bk.Close()
	st := benchStore(b, live.NewBoard(), url)
	h := benchHandler(b, st)
	base := "/api/traces/" + wide.String() + ".svg"
	start := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, base, nil))
	if rec.Code != 200 {
		b.Fatalf("overview: %d %s", rec.Code, rec.Body.String())
	}
	b.Logf("first load (decode + overview of 1M spans): %v, %d bytes", time.Since(start), rec.Body.Len())
	dur, _ := strconv.ParseInt(rec.Header().Get("X-Tracemap-Duration-Ns"), 10, 64)
	for _, frac := range []int64{1000, 10} {
		b.Run("1/"+strconv.FormatInt(frac, 10), func(b *testing.B) {
			from := dur / 2
			q := "?from=" + strconv.FormatInt(from, 10) + "&to=" + strconv.FormatInt(from+dur/frac, 10)
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, base+q, nil))
				if rec.Code != 200 {
					b.Fatalf("zoom: %d", rec.Code)
				}
				b.ReportMetric(float64(rec.Body.Len()), "svg-bytes")
			}
		})
	}
}
