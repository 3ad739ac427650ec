package summary

import (
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

var start = time.Date(2026, 12, 1, 20, 31, 0, 0, time.UTC)

func latency(t *testing.T, ns ...int64) Latency {
	t.Helper()
	h := NewHistogram()
	for _, v := range ns {
		RecordNs(h, v)
	}
	l, err := LatencyOf(h)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func repeat(v int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestKeys(t *testing.T) {
	id := pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	local := time.Date(2026, 12, 1, 21, 31, 0, 0, time.FixedZone("CET", 3600))
	for got, want := range map[string]string{
		WindowPrefix(local):        "windows/2026-12-01/203100",
		Key(start, "gw-1"):         "windows/2026-12-01/203100/summary-gw-1.json",
		IndexKey(start, "gw-1"):    "windows/2026-12-01/203100/index-gw-1.html",
		ExemplarSVGKey(start, id):  "windows/2026-12-01/203100/exemplars/4bf92f3577b34da6a3ce929d0e0e4736.svg",
		ExemplarDataKey(start, id): "windows/2026-12-01/203100/exemplars/4bf92f3577b34da6a3ce929d0e0e4736.otlp.pb.gz",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestEncodeDecode(t *testing.T) {
	s := &Summary{
		Gateways: []Gateway{{ID: "gw-1", Host: "h1"}},
		Start:    start, End: start.Add(time.Minute),
		Traces: 3,
		Services: []Service{
			{Name: "shop", Spans: 4, Errors: 1, OwnErrors: 0, Latency: Latency{P50Ms: 2, P90Ms: 3, P99Ms: 4}},
			{Name: "db", Virtual: true},
		},
		Edges: []Edge{{From: "shop", To: "db", Calls: 2, Errors: 1, OwnErrors: 1}},
		Exemplars: []Exemplar{{
			TraceID: "00000000000000000000000000000001", Start: start.Add(time.Second), DurationNs: 1500,
			Spans: 4, Errors: 1, RootService: "shop", RootOperation: "GET /", SVG: "a.svg",
			For: []Role{{Reason: ReasonSlow, Service: "shop"}, {Reason: ReasonError, From: "shop", To: "db"}, {Reason: ReasonSlow, Service: "shop"}},
		}},
	}
	data, err := Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
 "version": 1,
 "gateways": [
  {
   "id": "gw-1",
   "host": "h1"
  }
 ],
 "start": "2026-12-01T20:31:00Z",
 "end": "2026-12-01T20:32:00Z",
 "traces": 3,
 "services": [
  {
   "name": "db",
   "virtual": true,
   "spans": 0,
   "errors": 0,
   "own_errors": 0,
   "latency": {
    "p50_ms": 0,
    "p90_ms": 0,
    "p99_ms": 0
   }
  },
  {
   "name": "shop",
   "spans": 4,
   "errors": 1,
   "own_errors": 0,
   "latency": {
    "p50_ms": 2,
    "p90_ms": 3,
    "p99_ms": 4
   }
  }
 ],
 "edges": [
  {
   "from": "shop",
   "to": "db",
   "calls": 2,
   "errors": 1,
   "own_errors": 1
  }
 ],
 "exemplars": [
  {
   "trace_id": "00000000000000000000000000000001",
   "start": "2026-12-01T20:31:01Z",
   "duration_ns": 1500,
   "spans": 4,
   "errors": 1,
   "root_service": "shop",
   "root_operation": "GET /",
   "svg": "a.svg",
   "for": [
    {
     "reason": "error",
     "from": "shop",
     "to": "db"
    },
    {
     "reason": "slow",
     "service": "shop"
    }
   ]
  }
 ]
}
`
	if string(data) != want {
		t.Fatalf("encoding:\n%s", data)
	}
	if s.Services[0].Name != "shop" {
		t.Fatal("Encode reordered its input")
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Encode(back)
	if string(again) != want {
		t.Fatalf("round trip:\n%s", again)
	}
}

func TestDecodeRefusesUnknownVersion(t *testing.T) {
	_, err := Decode([]byte(`{"version": 2, "services": []}`))
	if err == nil || err.Error() != "window summary: version 2, this reader knows 1" {
		t.Fatalf("err = %v", err)
	}
	if _, err := Decode([]byte(`{"version":`)); err == nil || !strings.HasPrefix(err.Error(), "window summary: ") {
		t.Fatalf("err = %v", err)
	}
}

// TestMergeTwoGateways: counts add up; percentiles come from the merged
// histograms, not from averaging the gateways' percentiles.
func TestMergeTwoGateways(t *testing.T) {
	a := &Summary{
		Gateways: []Gateway{{ID: "a"}}, Start: start, End: start.Add(time.Minute), Traces: 90, ServiceMap: "m/a.svg",
		Services: []Service{{Name: "shop", Spans: 90, Errors: 9, OwnErrors: 3, Roots: 90, Latency: latency(t, repeat(int64(time.Millisecond), 90)...)}},
		Edges:    []Edge{{From: "shop", To: "db", Calls: 90, Errors: 9, OwnErrors: 9}},
		Exemplars: []Exemplar{
			{TraceID: "01", For: []Role{{Reason: ReasonSlow, Service: "shop"}}},
		},
	}
	b := &Summary{
		Gateways: []Gateway{{ID: "b"}}, Start: start, End: start.Add(time.Minute), Traces: 10, Dropped: 2,
		Services: []Service{
			{Name: "shop", Spans: 10, Errors: 10, OwnErrors: 10, Roots: 9, Latency: latency(t, repeat(int64(100*time.Millisecond), 10)...)},
			{Name: "pay", Spans: 1, Latency: Latency{P50Ms: 7, P90Ms: 7, P99Ms: 7}},
		},
		Edges: []Edge{{From: "shop", To: "db", Calls: 10, Errors: 1}, {From: "shop", To: "pay", Calls: 1}},
		Exemplars: []Exemplar{
			{TraceID: "01", For: []Role{{Reason: ReasonError, Service: "shop"}}},
			{TraceID: "02", For: []Role{{Reason: ReasonTypical, Service: "pay"}}},
		},
	}
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Gateways) != 2 || m.Gateways[0].ID != "a" || m.Gateways[1].ID != "b" || m.Traces != 100 || m.Dropped != 2 || m.ServiceMap != "m/a.svg" {
		t.Fatalf("merged header %+v", m)
	}
	if len(m.Services) != 2 {
		t.Fatalf("services %+v", m.Services)
	}
	pay, shop := m.Services[0], m.Services[1]
	if pay.Name != "pay" || pay.Spans != 1 || pay.Latency != (Latency{P50Ms: 7, P90Ms: 7, P99Ms: 7}) {
		t.Fatalf("pay %+v", pay)
	}
	// 90 spans of 1 ms and 10 of 100 ms: p50 and p90 are 1 ms, p99 is
	// 100 ms (as the highest value equivalent within the histogram's 2
	// significant figures); an average of the gateways' p50 would say 50.5.
	if shop.Spans != 100 || shop.Errors != 19 || shop.OwnErrors != 13 || shop.Roots != 99 || pay.Roots != 0 ||
		shop.Latency.P50Ms != 1.003 || shop.Latency.P90Ms != 1.003 || shop.Latency.P99Ms != 100.351 || shop.Latency.Histogram == "" {
		t.Fatalf("shop %+v", shop)
	}
	h, err := shop.Latency.DecodeHistogram()
	if err != nil || h.TotalCount() != 100 {
		t.Fatalf("merged histogram: %v, %v", h, err)
	}
	if len(m.Edges) != 2 || m.Edges[0] != (Edge{From: "shop", To: "db", Calls: 100, Errors: 10, OwnErrors: 9}) || m.Edges[1] != (Edge{From: "shop", To: "pay", Calls: 1}) {
		t.Fatalf("edges %+v", m.Edges)
	}
	// shop is where the traces start; pay is only called.
	if d := m.DAG(); !d.Nodes[1].Entry || d.Nodes[0].Entry || d.Nodes[0].Name != "pay" {
		t.Fatalf("entries of the merged graph: %+v", d.Nodes)
	}
	if len(m.Exemplars) != 2 || len(m.Exemplars[0].For) != 2 ||
		m.Exemplars[0].For[0] != (Role{Reason: ReasonError, Service: "shop"}) || m.Exemplars[0].For[1] != (Role{Reason: ReasonSlow, Service: "shop"}) {
		t.Fatalf("exemplars %+v", m.Exemplars)
	}
}

// TestMergeWithoutHistogramKeepsMax: an input without a histogram makes
// the merged percentiles the inputs' maximum, and no histogram is claimed.
func TestMergeWithoutHistogramKeepsMax(t *testing.T) {
	a := &Summary{Start: start, Services: []Service{{Name: "s", Spans: 10, Latency: latency(t, repeat(int64(2*time.Millisecond), 10)...)}}}
	b := &Summary{Start: start, Services: []Service{{Name: "s", Spans: 1, Latency: Latency{P50Ms: 1, P90Ms: 9, P99Ms: 1}}}}
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Services[0].Latency; got != (Latency{P50Ms: 2.007, P90Ms: 9, P99Ms: 2.007}) {
		t.Fatalf("latency %+v", got)
	}
}

func TestMergeRefusesOtherWindows(t *testing.T) {
	_, err := Merge(&Summary{Start: start}, &Summary{Start: start.Add(time.Minute)})
	if err == nil || err.Error() != "merge: windows differ (2026-12-01T20:31:00Z and 2026-12-01T20:32:00Z)" {
		t.Fatalf("err = %v", err)
	}
	if _, err := Merge(); err == nil {
		t.Fatal("merge of nothing")
	}
	bad := &Summary{Start: start, Services: []Service{{Name: "s", Latency: Latency{Histogram: "!!"}}}}
	if _, err := Merge(bad); err == nil || !strings.HasPrefix(err.Error(), `merge: service "s": histogram: `) {
		t.Fatalf("err = %v", err)
	}
}
