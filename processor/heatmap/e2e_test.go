//go:build e2e

package heatmap_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/testutil/collectortest"
	"github.com/tracemap/tracemap/internal/testutil/heattest"
)

// Two pipelines on the same OTLP input: one counts and writes every value
// (no sampling), the other counts before tail_sampling, which keeps only the
// traces that pass through a hot service (heatmap writes only the hot
// verdict), and writes the other service values and the per-span values on
// the kept traces after sampling (heatmap/annotate reads heatmap's window).
const e2eConfig = `
receivers:
  otlp:
    protocols:
      grpc:
      http:
processors:
  heatmap/all:
    threshold: 0.1
    min_spans: 8
    span_attributes: true
  heatmap:
    threshold: 0.1
    min_spans: 8
    service_attributes: hot
  heatmap/annotate:
    mode: annotate
    source: heatmap
  tail_sampling:
    decision_wait: 1s
    policies:
      - name: through-a-hot-service
        type: boolean_attribute
        boolean_attribute: {key: tracemap.service.hot, value: true}
exporters:
  file/all:
    path: {{.Dir}}/all.jsonl
    flush_interval: 100ms
  file/kept:
    path: {{.Dir}}/kept.jsonl
    flush_interval: 100ms
service:
  pipelines:
    traces/all:
      receivers: [otlp]
      processors: [heatmap/all]
      exporters: [file/all]
    traces/kept:
      receivers: [otlp]
      processors: [heatmap, tail_sampling, heatmap/annotate]
      exporters: [file/kept]
`

// e2eBatch: traces 0-3 go frontend -> payment (payment: 2 errors in 8 spans,
// 1 of them its own, hot at threshold 0.1), traces 4-5 go frontend -> catalog (no errors).
func e2eBatch() ptrace.Traces {
	var spans []heattest.Span
	for tr := byte(0); tr < 6; tr++ {
		callee, op := "payment", "charge"
		if tr >= 4 {
			callee, op = "catalog", "list"
		}
		spans = append(spans,
			heattest.Span{Service: "frontend", Name: "GET /", Trace: tr, ID: 1, Kind: ptrace.SpanKindServer, Dur: 10 * time.Millisecond},
			heattest.Span{Service: "frontend", Name: "call " + callee, Trace: tr, ID: 2, Parent: 1, Kind: ptrace.SpanKindClient, Dur: 9 * time.Millisecond},
		)
		if callee == "payment" {
			spans = append(spans,
				heattest.Span{Service: "payment", Name: "charge", Trace: tr, ID: 3, Parent: 2, Kind: ptrace.SpanKindServer, Dur: 8 * time.Millisecond, Err: tr == 0},
				heattest.Span{Service: "payment", Name: "db", Trace: tr, ID: 4, Parent: 3, Dur: 4 * time.Millisecond, Err: tr == 0},
			)
		} else {
			spans = append(spans, heattest.Span{Service: "catalog", Name: op, Trace: tr, ID: 3, Parent: 2, Kind: ptrace.SpanKindServer, Dur: 2 * time.Millisecond})
		}
	}
	return heattest.Build(spans...)
}

// HdrHistogram values at the defaults (1µs, 2 significant figures): the
// highest value equivalent to 2, 4, 8, 9 and 10 ms.
const (
	h2ms  = 2.007039
	h4ms  = 4.014079
	h8ms  = 8.028159
	h9ms  = 9.043967
	h10ms = 10.027007
)

func TestE2EAttributesAndHotSampling(t *testing.T) {
	c := collectortest.Start(t, e2eConfig)
	c.SendGRPC(t, e2eBatch())

	allPath, keptPath := filepath.Join(c.Dir, "all.jsonl"), filepath.Join(c.Dir, "kept.jsonl")
	collectortest.Eventually(t, 30*time.Second, func() bool {
		return collectortest.ReadTraces(t, allPath).SpanCount() >= 22 &&
			c.Metric(t, "otelcol_processor_tail_sampling_global_count_traces_sampled") >= 6
	})
	time.Sleep(500 * time.Millisecond) // the file exporters flush every 100ms
	// The collector's own metrics: two counting stages, 22 spans each (the
	// annotate stage counts nothing); payment is hot.
	if got := c.Metric(t, "otelcol_processor_heatmap_spans"); got != 44 {
		t.Errorf("otelcol_processor_heatmap_spans = %v, want 44", got)
	}
	if got := c.Metric(t, `otelcol_processor_heatmap_service_hot{processor="heatmap",service_name="payment"}`); got != 1 {
		t.Errorf("payment hot gauge = %v, want 1", got)
	}
	if got := c.Metric(t, `otelcol_processor_heatmap_service_error_rate{processor="heatmap",service_name="payment"}`); got != 0.25 {
		t.Errorf("payment error rate gauge = %v, want 0.25", got)
	}
	if got := c.Metric(t, `otelcol_processor_heatmap_service_own_error_rate{processor="heatmap",service_name="payment"}`); got != 0.125 {
		t.Errorf("payment own error rate gauge = %v, want 0.125", got)
	}
	if got := c.MetricWith(t, "otelcol_processor_heatmap_service_errors", `service_name="payment"`); got != 4 {
		t.Errorf("payment errors counter (both pipelines) = %v, want 4", got)
	}
	c.Stop(t)

	all := collectortest.ReadTraces(t, allPath)
	if all.SpanCount() != 22 {
		t.Fatalf("all: %d spans, want 22", all.SpanCount())
	}
	resources, spans := attributesOf(all)
	want := map[string]map[string]any{
		"payment": {
			"service.name": "payment", heat.AttrServiceSpanCount: int64(8), heat.AttrServiceErrorCount: int64(2),
			heat.AttrServiceErrorRate: 0.25, heat.AttrServiceOwnErrorCount: int64(1), heat.AttrServiceOwnErrorRate: 0.125, heat.AttrServiceP50Ms: h4ms, heat.AttrServiceP90Ms: h8ms, heat.AttrServiceP99Ms: h8ms,
			heat.AttrServiceHot: true,
		},
		"frontend": {
			"service.name": "frontend", heat.AttrServiceSpanCount: int64(12), heat.AttrServiceErrorCount: int64(0),
			heat.AttrServiceErrorRate: 0.0, heat.AttrServiceOwnErrorCount: int64(0), heat.AttrServiceOwnErrorRate: 0.0,
			heat.AttrServiceP50Ms: h9ms, heat.AttrServiceP90Ms: h10ms, heat.AttrServiceP99Ms: h10ms,
			heat.AttrServiceHot: false,
		},
		"catalog": {
			"service.name": "catalog", heat.AttrServiceSpanCount: int64(2), heat.AttrServiceErrorCount: int64(0),
			heat.AttrServiceErrorRate: 0.0, heat.AttrServiceOwnErrorCount: int64(0), heat.AttrServiceOwnErrorRate: 0.0,
			heat.AttrServiceP50Ms: h2ms, heat.AttrServiceP90Ms: h2ms, heat.AttrServiceP99Ms: h2ms,
			heat.AttrServiceHot: false,
		},
	}
	for svc, w := range want {
		assertExact(t, "resource "+svc, resources[svc], w)
	}
	assertExact(t, "payment charge (callee, trace 0)", spans["payment/charge/0"], map[string]any{
		heat.AttrOperationErrorRate: 0.25, heat.AttrOperationOwnErrorRate: 0.0, heat.AttrOperationP99Ms: h8ms,
		heat.AttrEdgeCalls: int64(4), heat.AttrEdgeErrorRate: 0.25, heat.AttrEdgeP99Ms: h8ms,
	})
	assertExact(t, "payment db (same-service child)", spans["payment/db/3"], map[string]any{
		heat.AttrOperationErrorRate: 0.25, heat.AttrOperationOwnErrorRate: 0.25, heat.AttrOperationP99Ms: h4ms,
	})
	assertExact(t, "catalog list (callee)", spans["catalog/list/5"], map[string]any{
		heat.AttrOperationErrorRate: 0.0, heat.AttrOperationOwnErrorRate: 0.0, heat.AttrOperationP99Ms: h2ms,
		heat.AttrEdgeCalls: int64(2), heat.AttrEdgeErrorRate: 0.0, heat.AttrEdgeP99Ms: h2ms,
	})
	assertExact(t, "frontend root", spans["frontend/GET //4"], map[string]any{
		heat.AttrOperationErrorRate: 0.0, heat.AttrOperationOwnErrorRate: 0.0, heat.AttrOperationP99Ms: h10ms,
	})

	// tail_sampling on tracemap.service.hot kept exactly the traces through payment.
	kept := collectortest.ReadTraces(t, keptPath)
	var ids []int
	seen := map[int]bool{}
	for _, rs := range kept.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				if id := int(s.TraceID()[15]) - 1; !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []int{0, 1, 2, 3}) || kept.SpanCount() != 16 {
		t.Fatalf("kept traces %v (%d spans), want [0 1 2 3] (16 spans)", ids, kept.SpanCount())
	}
	// Every kept span carries the whole contract: the hot verdict written
	// before sampling, the other service values and the span values written
	// after it, the same as the pipeline that wrote everything in one stage.
	keptRes, keptSpans := attributesOf(kept)
	for svc, attrs := range keptRes {
		assertExact(t, "kept resource "+svc, attrs, resources[svc])
	}
	for key, attrs := range keptSpans {
		assertExact(t, "kept span "+key, attrs, spans[key])
	}
}

// attributesOf indexes the resource attributes by service and the span
// attributes by "service/name/trace".
func attributesOf(td ptrace.Traces) (resources, spans map[string]map[string]any) {
	resources, spans = map[string]map[string]any{}, map[string]map[string]any{}
	for _, rs := range td.ResourceSpans().All() {
		attrs := rs.Resource().Attributes().AsRaw()
		svc := attrs["service.name"].(string)
		resources[svc] = attrs
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				spans[fmt.Sprintf("%s/%s/%d", svc, s.Name(), s.TraceID()[15]-1)] = s.Attributes().AsRaw()
			}
		}
	}
	return resources, spans
}

func assertExact(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: missing", what)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %#v, want %#v", what, k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %s = %#v", what, k, v)
		}
	}
}
