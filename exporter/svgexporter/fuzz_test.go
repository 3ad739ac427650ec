package svgexporter

import (
	"context"
	"strings"
	"testing"

	"github.com/tracemap/tracemap/exporter/svgexporter/internal/objkey"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// FuzzPushTraces sends traces with hostile service and span names through
// the whole exporter: every object must land under its prefix with a safe
// key, and every picture and listing must parse.
func FuzzPushTraces(f *testing.F) {
	for _, s := range []string{"", "..", "../../x", "a/b\\c", "</title><script>", "]]>", "\x00\x1b\u202e", "\xff", "index.html", strings.Repeat("é", 300)} {
		f.Add(s, s)
	}
	cfg := testConfig("mem://")
	cfg.Key = "t/{{.Service}}/{{.Operation}}/{{.TraceID}}.svg"
	f.Fuzz(func(t *testing.T, service, op string) {
		e := startExporter(t, cfg)
		ctx := context.Background()
		td := tracetest.Traces(tracetest.TraceID(1),
			tracetest.S(1, 0, service, op, 0, 1000),
			tracetest.S(2, 1, op, service, 10, 900).Err())
		if err := e.pushTraces(ctx, td); err != nil {
			t.Fatal(err)
		}
		e.rotate(ctx, e.now())
		if err := e.flushIndex(ctx); err != nil {
			t.Fatal(err)
		}
		iter := e.bucket.List(nil)
		var pictures int
		for {
			obj, err := iter.Next(ctx)
			if err != nil {
				break
			}
			if err := objkey.Check(obj.Key); err != nil {
				t.Fatalf("key %q: %v", obj.Key, err)
			}
			if !strings.HasPrefix(obj.Key, "t/") && !strings.HasPrefix(obj.Key, "servicemaps/") {
				t.Fatalf("key %q outside the prefixes", obj.Key)
			}
			data, err := e.bucket.ReadAll(ctx, obj.Key)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(obj.Key, ".svg") {
				pictures++
				parseSVG(t, data)
			}
		}
		if pictures != 2 { // the trace and the service map
			t.Fatalf("%d pictures, want 2", pictures)
		}
		if err := e.shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
