package heatmap

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/testutil/heattest"
	"github.com/tracemap/tracemap/processor/heatmap/internal/metadata"
)

type harness struct {
	proc processor.Traces
	sink *consumertest.TracesSink
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
}

func start(t *testing.T, cfg *Config) *harness {
	t.Helper()
	h := &harness{sink: new(consumertest.TracesSink), tel: componenttest.NewTelemetry()}
	core, logs := observer.New(zap.WarnLevel)
	h.logs = logs
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = h.tel.NewTelemetrySettings()
	set.Logger = zap.New(core)
	var err error
	h.proc, err = NewFactory().CreateTraces(context.Background(), set, cfg, h.sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.proc.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.proc.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		_ = h.tel.Shutdown(context.Background())
	})
	return h
}

func defaultConfig() *Config { return createDefaultConfig().(*Config) }

// The example: one service with 2 errors in 8 spans -> 0.25.
func TestProcessorAnnotatesBatch(t *testing.T) {
	cfg := defaultConfig()
	cfg.SpanAttributes = true // no sampling here: the one stage writes everything
	h := start(t, cfg)
	spans := append(heattest.Ms("checkout", "GET /cart", 1, 2, 1, 2, 3, 4, 5, 6, 7, 8),
		heattest.Span{Service: "payment", Name: "charge", ID: 20, Parent: 8, Kind: ptrace.SpanKindServer, Dur: 4 * time.Millisecond})
	if err := h.proc.ConsumeTraces(context.Background(), heattest.Build(spans...)); err != nil {
		t.Fatal(err)
	}
	if len(h.sink.AllTraces()) != 1 || h.sink.SpanCount() != 9 {
		t.Fatalf("forwarded %d batches, %d spans", len(h.sink.AllTraces()), h.sink.SpanCount())
	}
	out := h.sink.AllTraces()[0]
	res := out.ResourceSpans().At(0).Resource().Attributes().AsRaw()
	want := map[string]any{
		"service.name":                "checkout",
		heat.AttrServiceSpanCount:     int64(8),
		heat.AttrServiceErrorCount:    int64(2),
		heat.AttrServiceErrorRate:     0.25,
		heat.AttrServiceOwnErrorCount: int64(2),
		heat.AttrServiceOwnErrorRate:  0.25,
		heat.AttrServiceP50Ms:         4.014079,
		heat.AttrServiceP90Ms:         7.012351,
		heat.AttrServiceP99Ms:         8.028159,
		heat.AttrServiceHot:           false, // 8 spans < min_spans 10
	}
	for k, v := range want {
		if res[k] != v {
			t.Errorf("%s = %#v, want %#v", k, res[k], v)
		}
	}
	if len(res) != len(want) {
		t.Errorf("resource attributes = %v", res)
	}
	callee := out.ResourceSpans().At(1).ScopeSpans().At(0).Spans().At(0).Attributes().AsRaw()
	for k, v := range map[string]any{
		heat.AttrOperationErrorRate:    0.0,
		heat.AttrOperationOwnErrorRate: 0.0,
		heat.AttrOperationP99Ms:        4.014079,
		heat.AttrEdgeCalls:             int64(1),
		heat.AttrEdgeErrorRate:         0.0, // the caller span (8ms) is not an error
		heat.AttrEdgeP99Ms:             4.014079,
	} {
		if callee[k] != v {
			t.Errorf("callee %s = %#v, want %#v", k, callee[k], v)
		}
	}

	// The heat map as the collector's own metrics.
	if got := sumInt(t, h, "otelcol_processor_heatmap_spans", nil); got != 9 {
		t.Errorf("spans metric = %d", got)
	}
	if got := sumInt(t, h, "otelcol_processor_heatmap_errors", nil); got != 2 {
		t.Errorf("errors metric = %d", got)
	}
	if got := gaugeFloat(t, h, "otelcol_processor_heatmap_service_error_rate", "checkout"); got != 0.25 {
		t.Errorf("checkout error rate gauge = %v", got)
	}
	if got := gaugeFloat(t, h, "otelcol_processor_heatmap_service_own_error_rate", "checkout"); got != 0.25 {
		t.Errorf("checkout own error rate gauge = %v", got)
	}
	if got := gaugeFloat(t, h, "otelcol_processor_heatmap_service_latency_p99", "payment"); got != 4.014079/1e3 {
		t.Errorf("payment p99 gauge = %v", got)
	}
	if got := sumInt(t, h, "otelcol_processor_heatmap_edges", ptr(attribute.String("resolution", "batch"))); got != 1 {
		t.Errorf("edges metric = %d", got)
	}
	if got := sumInt(t, h, "otelcol_processor_heatmap_keys", ptr(attribute.String("kind", "operation"))); got != 2 {
		t.Errorf("operation keys = %d", got)
	}
}

func TestProcessorHotAndOverflowLoggedOnce(t *testing.T) {
	cfg := defaultConfig()
	cfg.MaxServices = 1
	h := start(t, cfg)
	for range 3 {
		td := heattest.Build(append(heattest.Ms("api", "GET", 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
			heattest.Span{Service: "extra", Name: "x", ID: 30})...)
		if err := h.proc.ConsumeTraces(context.Background(), td); err != nil {
			t.Fatal(err)
		}
	}
	out := h.sink.AllTraces()[2]
	if hot, _ := out.ResourceSpans().At(0).Resource().Attributes().Get(heat.AttrServiceHot); !hot.Bool() {
		t.Error("api: 3 errors in 30 spans = 0.1 >= 0.05 should be hot")
	}
	if got := out.ResourceSpans().At(1).Resource().Attributes().AsRaw(); len(got) != 2 || got[heat.AttrServiceOverflow] != true {
		t.Errorf("overflowed service: %v, want only service.name and %s", got, heat.AttrServiceOverflow)
	}
	if got := h.logs.FilterMessageSnippet("cap reached").Len(); got != 1 {
		t.Fatalf("overflow logged %d times, want once", got)
	}
	entry := h.logs.All()[0].ContextMap()
	if entry["kind"] != "service" || entry["first_key"] != "extra" || entry["cap"] != int64(1) {
		t.Fatalf("log fields = %v", entry)
	}
	if got := sumInt(t, h, "otelcol_processor_heatmap_overflow", ptr(attribute.String("kind", "service"))); got != 3 {
		t.Errorf("overflow metric = %d", got)
	}
	if got := gaugeInt(t, h, "otelcol_processor_heatmap_service_hot", "api"); got != 1 {
		t.Errorf("hot gauge = %d", got)
	}
}

// The default counting stage writes only what sampling needs, on resources.
func TestProcessorResourceAttributesOnly(t *testing.T) {
	h := start(t, defaultConfig())
	td := heattest.Build(append(heattest.Ms("checkout", "GET /cart", 1, 2, 1, 2, 3, 4, 5, 6, 7, 8),
		heattest.Span{Service: "payment", Name: "charge", ID: 20, Parent: 8, Kind: ptrace.SpanKindServer, Dur: 4 * time.Millisecond})...)
	if err := h.proc.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	out := h.sink.AllTraces()[0]
	if v, _ := out.ResourceSpans().At(0).Resource().Attributes().Get(heat.AttrServiceErrorRate); v.Double() != 0.25 {
		t.Errorf("service error rate = %v", v.Double())
	}
	for _, rs := range out.ResourceSpans().All() {
		for _, s := range rs.ScopeSpans().At(0).Spans().All() {
			if n := s.Attributes().Len(); n != 0 {
				t.Fatalf("span %s got %d attributes: %v", s.Name(), n, s.Attributes().AsRaw())
			}
		}
	}
	// Edges are still counted.
	if got := sumInt(t, h, "otelcol_processor_heatmap_edges", ptr(attribute.String("resolution", "batch"))); got != 1 {
		t.Errorf("edges = %d", got)
	}
}

func TestProcessorConcurrent(t *testing.T) {
	h := start(t, defaultConfig())
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range 25 {
				td := heattest.Build(heattest.Span{Service: "s", Name: "op", Trace: byte(r), ID: byte(w + 1), Err: w == 0})
				if err := h.proc.ConsumeTraces(context.Background(), td); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 25 {
			_, _ = h.tel.GetMetric("otelcol_processor_heatmap_service_error_rate")
		}
	}()
	wg.Wait()
	if got := gaugeFloat(t, h, "otelcol_processor_heatmap_service_error_rate", "s"); got != 0.25 {
		t.Fatalf("error rate after 100 concurrent batches = %v", got)
	}
	if got := gaugeInt(t, h, "otelcol_processor_heatmap_service_window_spans", "s"); got != 100 {
		t.Fatalf("window spans = %d", got)
	}
	if got := gaugeInt(t, h, "otelcol_processor_heatmap_service_spans", "s"); got != 100 {
		t.Fatalf("total spans = %d", got)
	}
	if got := gaugeInt(t, h, "otelcol_processor_heatmap_service_errors", "s"); got != 25 {
		t.Fatalf("total errors = %d", got)
	}
}

func TestShutdownStopsTelemetry(t *testing.T) {
	processortest.VerifyShutdown(t, NewFactory(), defaultConfig())
	h := start(t, defaultConfig())
	if err := h.proc.ConsumeTraces(context.Background(), heattest.Build(heattest.Span{Service: "s", ID: 1})); err != nil {
		t.Fatal(err)
	}
	if err := h.proc.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.tel.GetMetric("otelcol_processor_heatmap_spans"); err == nil {
		t.Fatal("callback still registered after Shutdown")
	}
}

func dataPointsInt(t *testing.T, h *harness, name string) []metricdata.DataPoint[int64] {
	t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		t.Fatal(err)
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		return d.DataPoints
	case metricdata.Gauge[int64]:
		return d.DataPoints
	}
	t.Fatalf("%s: unexpected data %T", name, m.Data)
	return nil
}

// sumInt adds the points of an int metric that carry attr (all when nil).
func sumInt(t *testing.T, h *harness, name string, attr *attribute.KeyValue) int64 {
	t.Helper()
	var n int64
	for _, dp := range dataPointsInt(t, h, name) {
		if attr == nil {
			n += dp.Value
		} else if v, ok := dp.Attributes.Value(attr.Key); ok && v == attr.Value {
			n += dp.Value
		}
	}
	return n
}

func gaugeInt(t *testing.T, h *harness, name, service string) int64 {
	t.Helper()
	return sumInt(t, h, name, ptr(attribute.String("service.name", service)))
}

func gaugeFloat(t *testing.T, h *harness, name, service string) float64 {
	t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, dp := range m.Data.(metricdata.Gauge[float64]).DataPoints {
		if v, _ := dp.Attributes.Value("service.name"); v.AsString() == service {
			return dp.Value
		}
	}
	t.Fatalf("%s: no point for %s", name, service)
	return 0
}

func ptr[T any](v T) *T { return &v }

// Service names from data become metric labels: invalid UTF-8 or huge names
// must not break the collector's Prometheus endpoint, and distinct names
// must stay distinct series.
func TestLabelValueIsValidAndDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, name := range []string{"checkout", "bad\xff\xfeutf8</title><script>", "bad\xfe\xffutf8</title><script>", strings.Repeat("é", 200), strings.Repeat("é", 201)} {
		got := labelValue(name)
		if !utf8.ValidString(got) || len(got) > maxLabel+9 {
			t.Errorf("labelValue(%q) = %q: not valid or too long", name, got)
		}
		if other, ok := seen[got]; ok {
			t.Errorf("%q and %q share the label %q", name, other, got)
		}
		seen[got] = name
	}
	if labelValue("checkout") != "checkout" {
		t.Error("a plain name changed")
	}
}
