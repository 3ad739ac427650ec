package servicedag

import (
	"testing"

	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// FuzzFromTree builds, lays out and encodes the service DAG of random span
// sets (see tracetest.FromFuzz): no panic, every edge joins two nodes, no
// self loops, counts add up, and the encoding decodes.
func FuzzFromTree(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 0, 10, 0, 2, 1, 1, 1, 0, 5, 2})
	f.Add([]byte{1, 2, 0, 0, 0, 10, 0, 2, 1, 1, 0, 0, 5, 3, 3, 3, 2, 9, 0, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		// A Builder that built a larger graph before builds the same graph.
		var b Builder
		b.FromTree(spantree.FromTraces(tracetest.Generate(tracetest.TraceID(9), 200, 30, 1))[0], Options{})
		for _, tr := range spantree.FromTraces(tracetest.FromFuzz(data)) {
			for _, ops := range []bool{false, true} {
				d := FromTree(tr, Options{Operations: ops})
				if again := b.FromTree(tr, Options{Operations: ops}); again.Encode() != d.Encode() {
					t.Fatalf("reused Builder: %s, want %s", again.Encode(), d.Encode())
				}
				var spans int64
				for _, n := range d.Nodes {
					spans += n.Spans
				}
				if spans != int64(len(tr.Spans)) {
					t.Fatalf("nodes hold %d spans, tree has %d", spans, len(tr.Spans))
				}
				for _, e := range d.Edges {
					if e.From == e.To || e.From < 0 || e.To < 0 || e.From >= len(d.Nodes) || e.To >= len(d.Nodes) || e.Calls < 1 {
						t.Fatalf("bad edge %+v of %d nodes", e, len(d.Nodes))
					}
				}
				Layout(d)
				if _, err := Decode(d.Encode()); err != nil {
					t.Fatalf("encoding does not decode: %v", err)
				}
			}
		}
	})
}
