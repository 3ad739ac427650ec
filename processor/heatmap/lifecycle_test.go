package heatmap

import (
	"context"
	"maps"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/testutil/heattest"
)

func create(t *testing.T, id component.ID, cfg *Config, next *consumertest.TracesSink) processor.Traces {
	t.Helper()
	set := processortest.NewNopSettings(typ)
	set.ID = id
	p, err := NewFactory().CreateTraces(context.Background(), set, cfg, next)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Both modes: create, start, shut down twice; the config struct is sound.
func TestLifecycleBothModes(t *testing.T) {
	if err := componenttest.CheckConfigStruct(createDefaultConfig()); err != nil {
		t.Fatal(err)
	}
	ctx, host := context.Background(), componenttest.NewNopHost()
	count := create(t, component.MustNewID("heatmap"), defaultConfig(), new(consumertest.TracesSink))
	ann := defaultConfig()
	ann.Mode, ann.Source = ModeAnnotate, "heatmap"
	annotate := create(t, component.MustNewIDWithName("heatmap", "annotate"), ann, new(consumertest.TracesSink))
	for _, p := range []processor.Traces{annotate, count} { // downstream first, as the collector does
		if err := p.Start(ctx, host); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []processor.Traces{count, annotate} {
		for range 2 {
			if err := p.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// An annotate stage whose source is not there, or is ambiguous, refuses to
// start with a message that says what to do.
func TestAnnotateStageNeedsItsSource(t *testing.T) {
	ctx, host := context.Background(), componenttest.NewNopHost()
	cfg := defaultConfig()
	cfg.Mode, cfg.Source = ModeAnnotate, "heatmap/absent"
	p := create(t, component.MustNewIDWithName("heatmap", "annotate"), cfg, new(consumertest.TracesSink))
	err := p.Start(ctx, host)
	if want := `source: no counting heatmap stage "heatmap/absent" in this collector: add "heatmap/absent" (mode count) before sampling in the same pipeline`; err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	_ = p.Shutdown(ctx)

	id := component.MustNewIDWithName("heatmap", "twice")
	a := create(t, id, defaultConfig(), new(consumertest.TracesSink))
	b := create(t, id, defaultConfig(), new(consumertest.TracesSink))
	cfg.Source = "heatmap/twice"
	p = create(t, component.MustNewIDWithName("heatmap", "annotate"), cfg, new(consumertest.TracesSink))
	err = p.Start(ctx, host)
	if want := `source: heatmap stage "heatmap/twice" is in 2 pipelines, each with its own window: give each pipeline's counting stage its own name`; err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	for _, x := range []processor.Traces{p, a, b} {
		_ = x.Shutdown(ctx)
	}
}

// The annotate stage writes the span values from its source's window, and
// the service values on a resource that carries none (its source wrote only
// the hot verdict, or nothing), and counts nothing itself.
func TestAnnotateStageUsesTheSourceWindow(t *testing.T) {
	ctx, host := context.Background(), componenttest.NewNopHost()
	src := defaultConfig()
	src.ServiceAttributes = ServiceAttributesHot
	counted := new(consumertest.TracesSink)
	count := create(t, component.MustNewIDWithName("heatmap", "src"), src, counted)
	cfg := defaultConfig()
	cfg.Mode, cfg.Source = ModeAnnotate, "heatmap/src"
	sink := new(consumertest.TracesSink)
	ann := create(t, component.MustNewIDWithName("heatmap", "ann"), cfg, sink)
	for _, p := range []processor.Traces{ann, count} {
		if err := p.Start(ctx, host); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		_ = count.Shutdown(ctx)
		_ = ann.Shutdown(ctx)
	}()
	spans := heattest.Ms("checkout", "GET /cart", 1, 2, 1, 2, 3, 4, 5, 6, 7, 8)
	if err := count.ConsumeTraces(ctx, heattest.Build(spans...)); err != nil {
		t.Fatal(err)
	}
	before := counted.AllTraces()[0].ResourceSpans().At(0).Resource().Attributes().AsRaw()
	// Not hot (8 spans, fewer than min_spans): nothing written before sampling.
	if want := map[string]any{"service.name": "checkout"}; !maps.Equal(before, want) {
		t.Fatalf("resource before sampling = %v, want %v", before, want)
	}
	// One span the sampler kept, with the resource as the counting stage left it.
	kept := heattest.Build(spans[0])
	if err := ann.ConsumeTraces(ctx, kept); err != nil {
		t.Fatal(err)
	}
	got := sink.AllTraces()[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().AsRaw()
	if want := map[string]any{
		heat.AttrOperationErrorRate: 0.25, heat.AttrOperationOwnErrorRate: 0.25, heat.AttrOperationP99Ms: 8.028159,
	}; !maps.Equal(got, want) {
		t.Fatalf("kept span = %v, want %v", got, want)
	}
	res := sink.AllTraces()[0].ResourceSpans().At(0).Resource().Attributes().AsRaw()
	if res[heat.AttrServiceSpanCount] != int64(8) || res[heat.AttrServiceErrorRate] != 0.25 || res[heat.AttrServiceHot] != false || len(res) != 10 {
		t.Fatalf("kept resource = %v, want service.name and the 9 service values of the window (8 spans, 2 errors)", res)
	}
}

// service_attributes: hot leaves service values for an annotate stage; a
// counting stage that no annotate stage reads says so once, at its first
// batch (when every stage has started), and says nothing when one does.
func TestHotWithoutAnnotateStageWarnsOnce(t *testing.T) {
	for _, withAnnotate := range []bool{false, true} {
		ctx, host := context.Background(), componenttest.NewNopHost()
		core, logs := observer.New(zap.WarnLevel)
		set := processortest.NewNopSettings(typ)
		set.ID = component.MustNewIDWithName("heatmap", "hotonly")
		set.Logger = zap.New(core)
		src := defaultConfig()
		src.ServiceAttributes = ServiceAttributesHot
		count, err := NewFactory().CreateTraces(ctx, set, src, new(consumertest.TracesSink))
		if err != nil {
			t.Fatal(err)
		}
		stages := []processor.Traces{count}
		if withAnnotate {
			cfg := defaultConfig()
			cfg.Mode, cfg.Source = ModeAnnotate, "heatmap/hotonly"
			// Downstream first, as the collector starts them.
			stages = []processor.Traces{create(t, component.MustNewIDWithName("heatmap", "ann"), cfg, new(consumertest.TracesSink)), count}
		}
		for _, p := range stages {
			if err := p.Start(ctx, host); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 {
			if err := count.ConsumeTraces(ctx, heattest.Build(heattest.Ms("checkout", "GET /cart", 1, 0, 5)...)); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range stages {
			if err := p.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
		}
		want := 1
		if withAnnotate {
			want = 0
		}
		got := logs.FilterMessageSnippet("no heatmap stage with mode annotate reads this stage's window").FilterMessageSnippet("source: heatmap/hotonly").Len()
		if got != want {
			t.Errorf("with annotate stage %v: %d warnings, want %d (%v)", withAnnotate, got, want, logs.All())
		}
	}
}
