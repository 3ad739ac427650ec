package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deps.json")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDepsGroups(t *testing.T) {
	links := `[{"parent":"a","child":"b","callCount":3},{"parent":"a","child":"c","callCount":1},
		{"parent":"b","child":"a","callCount":2},{"parent":"a","child":"b","callCount":9},
		{"parent":"c","child":"c","callCount":4},{"parent":"d","child":"e","callCount":1}]`
	for name, text := range map[string]string{"list": links, "api response": `{"data": ` + links + `, "total": 6}`} {
		t.Run(name, func(t *testing.T) {
			groups, err := depsGroups(writeFile(t, text), 10, 400)
			if err != nil {
				t.Fatal(err)
			}
			if len(groups) != 1 {
				t.Fatalf("%d groups", len(groups))
			}
			var got []string
			for _, ng := range groups[0].graphs {
				got = append(got, ng.Name+": "+strings.Repeat("n", len(ng.Graph.Nodes))+" "+strings.Repeat("e", len(ng.Graph.Edges)))
			}
			// The self call and the repeated a->b are dropped; b->a stays (a
			// cycle). a is the busiest (b, c), then b (a) and c (a): too small
			// to show apart from the whole, as are d and e.
			want := []string{"all 5 services: nnnnn eeee", "around busiest #1 (3 services): nnn eee"}
			if strings.Join(got, "; ") != strings.Join(want, "; ") {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestDepsGroupsErrors(t *testing.T) {
	for name, c := range map[string]struct{ text, want string }{
		"not json":     {"digraph {}", "not a Jaeger dependencies file"},
		"no links":     {`{"data": []}`, "no dependency links"},
		"wrong shape":  {`[{"parent": 1}]`, "not a Jaeger dependencies file"},
		"only too big": {`[{"parent":"a","child":"b"},{"parent":"a","child":"c"},{"parent":"a","child":"d"}]`, "no graph of at most"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := depsGroups(writeFile(t, c.text), 10, 2)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}
