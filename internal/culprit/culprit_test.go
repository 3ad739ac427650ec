package culprit

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

var S = tracetest.S

const (
	server   = ptrace.SpanKindServer
	client   = ptrace.SpanKindClient
	producer = ptrace.SpanKindProducer
	consumer = ptrace.SpanKindConsumer
)

func tree(t *testing.T, spans ...tracetest.Span) *spantree.Tree {
	t.Helper()
	trees := spantree.FromTraces(tracetest.Traces(tracetest.TraceID(1), spans...))
	if len(trees) != 1 {
		t.Fatalf("%d trees", len(trees))
	}
	return trees[0]
}

// names lists the names of the spans whose flag is set, in span order.
func names(tr *spantree.Tree, flags []bool) string {
	var out []string
	for i, on := range flags {
		if on {
			out = append(out, tr.Spans[i].Name)
		}
	}
	return strings.Join(out, ",")
}

// summary prints a verdict by span names.
func summary(tr *spantree.Tree, v Verdict) string {
	span := "-"
	if v.ErrorSpan >= 0 {
		span = tr.Spans[v.ErrorSpan].Name
	}
	return fmt.Sprintf("own=[%s] propagated=[%s] error=%q span=%s latency=%q share=%.4f",
		names(tr, v.Own), names(tr, v.Propagated), v.Error, span, v.Latency, v.LatencyShare)
}

func TestVerdicts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spans []tracetest.Span
		want  string
	}{{
		// payment fails; checkout and frontend only pass the failure on.
		name: "leaf failure propagating three levels",
		spans: []tracetest.Span{
			S(1, 0, "frontend", "GET /checkout", 0, 1000).Of(server).Err(),
			S(2, 1, "frontend", "call checkout", 50, 950).Of(client).Err(),
			S(3, 2, "checkout", "POST /checkout", 100, 900).Of(server).Err(),
			S(4, 3, "checkout", "call payment", 150, 490).Of(client).Err(),
			S(5, 4, "payment", "charge", 200, 450).Of(server).Err(),
			S(6, 3, "inventory", "reserve", 500, 800).Of(server),
		},
		// Path: GET 0-50, 950-1000 (100) + call checkout 50-100, 900-950
		// (100) + POST 100-150, 490-500, 800-900 (160) + reserve 500-800
		// (300) + call payment 150-200, 450-490 (90) + charge 200-450
		// (250): frontend 200, checkout 250, inventory 300, payment 250.
		want: `own=[charge] propagated=[GET /checkout,call checkout,POST /checkout,call payment] error="payment" span=charge latency="inventory" share=0.3000`,
	}, {
		// The first attempt fails, the retry succeeds: payment made an
		// own error, but the trace did not fail.
		name: "retry that succeeds",
		spans: []tracetest.Span{
			S(1, 0, "checkout", "POST /checkout", 0, 1000).Of(server),
			S(2, 1, "checkout", "call payment", 100, 300).Of(client).Err(),
			S(3, 2, "payment", "charge", 120, 280).Of(server).Err(),
			S(4, 1, "checkout", "call payment", 400, 900).Of(client),
			S(5, 4, "payment", "charge", 420, 880).Of(server),
		},
		// Both attempts are on the path: POST 0-100, 300-400, 900-1000
		// (300), the calls 20+20 and 20+20, the charges 160 and 460.
		want: `own=[charge] propagated=[call payment] error="" span=- latency="payment" share=0.6200`,
	}, {
		// Two calls fail in parallel; the one still running when the
		// caller gave up bounds the trace's end and is blamed.
		name: "two independent failures, one on the critical path",
		spans: []tracetest.Span{
			S(1, 0, "frontend", "GET /", 0, 100).Of(server).Err(),
			S(2, 1, "cart", "get cart", 10, 40).Of(server).Err(),
			S(3, 1, "ads", "get ads", 20, 90).Of(server).Err(),
		},
		want: `own=[get cart,get ads] propagated=[GET /] error="ads" span=get ads latency="ads" share=0.7000`,
	}, {
		// Neither failure is on the path (an OK call ended last): the one
		// that ended first is blamed.
		name: "two independent failures off the critical path",
		spans: []tracetest.Span{
			S(1, 0, "frontend", "GET /", 0, 100).Of(server).Err(),
			S(2, 1, "cart", "get cart", 10, 35).Of(server).Err(),
			S(3, 1, "ads", "get ads", 15, 30).Of(server).Err(),
			S(4, 1, "recs", "get recs", 20, 90).Of(server),
		},
		want: `own=[get cart,get ads] propagated=[GET /] error="ads" span=get ads latency="recs" share=0.7000`,
	}, {
		// The database is not instrumented: the failing client span is
		// the own error, and the blame goes to the peer it names.
		name: "failing call to an uninstrumented peer",
		spans: []tracetest.Span{
			S(1, 0, "orders", "GET /orders", 0, 100).Of(server).Err(),
			S(2, 1, "orders", "SELECT orders", 10, 90).Of(client).Err().Attr("peer.service", "mysql"),
		},
		want: `own=[SELECT orders] propagated=[GET /orders] error="mysql" span=SELECT orders latency="mysql" share=0.8000`,
	}, {
		name: "slow leaf under fast parents",
		spans: []tracetest.Span{
			S(1, 0, "frontend", "GET /", 0, 1000).Of(server),
			S(2, 1, "checkout", "POST /checkout", 100, 900).Of(server),
			S(3, 2, "inventory", "reserve", 160, 798).Of(server),
		},
		// inventory: 638 of 1000 ns.
		want: `own=[] propagated=[] error="" span=- latency="inventory" share=0.6380`,
	}, {
		// The producer's request succeeded; the consumer, which ran after
		// it, failed: nobody waited for it, so its failure is the trace's.
		name: "async consumer fails after its producer ended",
		spans: []tracetest.Span{
			S(1, 0, "shop", "POST /order", 0, 100).Of(server),
			S(2, 1, "shop", "publish orders", 20, 40).Of(producer),
			S(3, 2, "mailer", "process orders", 300, 500).Of(consumer).Err(),
			S(4, 3, "mailer", "send mail", 320, 480).Of(client).Err().Attr("server.address", "smtp.example.com"),
		},
		// The path follows the consumer: POST 0-20, publish 20-40, the
		// broker 40-300 (nobody's), process 300-320 and 480-500, send mail
		// 320-480: the mail server holds 160 of 500 ns.
		want: `own=[send mail] propagated=[process orders] error="smtp.example.com" span=send mail latency="smtp.example.com" share=0.3200`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			tr := tree(t, tc.spans...)
			if got := summary(tr, Analyze(tr)); got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestEmptyTrace(t *testing.T) {
	v := Analyze(spantree.Build(tracetest.TraceID(1), nil))
	if len(v.Own) != 0 || v.ErrorSpan != -1 || v.Error != "" || v.Latency != "" || v.LatencyShare != 0 {
		t.Errorf("%+v", v)
	}
}

func TestWriteAttributes(t *testing.T) {
	td := tracetest.Traces(tracetest.TraceID(1),
		S(1, 0, "frontend", "GET /", 0, 100).Of(server).Err(),
		S(2, 1, "payment", "charge", 10, 60).Of(server).Err(),
		S(3, 9, "mailer", "orphan", 120, 200).Of(consumer),
		S(4, 0, "cron", "second root", 50, 80),
	)
	// A stale verdict from an earlier collector, on a span that is now
	// propagated.
	tr := spantree.FromTraces(td)[0]
	tr.Spans[0].Source.Attributes().PutBool(AttrOwnError, true)
	v := Analyze(tr)
	v.WriteOwnErrors(tr)
	v.WriteCulprits(tr)
	got := map[string]string{}
	spantree.ForEachSpan(td, func(sp ptrace.Span, _ pcommon.Resource) {
		var kv []string
		sp.Attributes().Range(func(k string, v pcommon.Value) bool {
			kv = append(kv, k+"="+v.AsString())
			return true
		})
		slices.Sort(kv)
		got[sp.Name()] = strings.Join(kv, " ")
	})
	// Path: orphan 120-200 (80), GET / 0-10, 60-100 (50), charge (50).
	// Both roots carry the verdict; the orphan, in a trace with a root,
	// does not.
	want := map[string]string{
		"GET /":       "tracemap.culprit.error=payment tracemap.culprit.latency=mailer tracemap.culprit.latency_share=0.4",
		"second root": "tracemap.culprit.error=payment tracemap.culprit.latency=mailer tracemap.culprit.latency_share=0.4",
		"charge":      "tracemap.error.own=true",
		"orphan":      "",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s:\n got %s\nwant %s", k, got[k], w)
		}
	}
}

func TestCarriersWithoutRoot(t *testing.T) {
	tr := tree(t,
		S(2, 1, "a", "lost a", 0, 10),
		S(3, 1, "b", "lost b", 5, 20),
		S(4, 3, "b", "child", 6, 8),
	)
	var got []string
	for _, i := range Carriers(tr) {
		got = append(got, tr.Spans[i].Name)
	}
	if strings.Join(got, ",") != "lost a,lost b" {
		t.Errorf("carriers %v", got)
	}
}
