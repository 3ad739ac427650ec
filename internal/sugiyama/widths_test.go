package sugiyama_test

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/tracemap/tracemap/internal/sugiyama"
	"github.com/tracemap/tracemap/internal/testutil/sugiyamatest"
)

var widths = flag.String("widths", "", "print the drawing widths of the bench graphs for these relax sweeps, e.g. 0,8,16 (docs/bench/layout-compaction.md)")

// TestWidths prints, with -widths, a Markdown table of Result.Width per
// bench graph and relax setting, and whether every long edge that runs
// through more than one dummy keeps one x in all of them ("bent" counts
// those that do not: chains split where they cross another) and the
// edges drawn through a box.
func TestWidths(t *testing.T) {
	if *widths == "" {
		t.Skip("run with -widths 0,8")
	}
	var sweeps []int
	for _, f := range strings.Split(*widths, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			t.Fatalf("bad -widths %q", *widths)
		}
		sweeps = append(sweeps, n)
	}
	head := "| graph |"
	for _, s := range sweeps {
		head += fmt.Sprintf(" width px, %d sweeps | bent | through nodes |", s)
	}
	fmt.Println(head)
	fmt.Println("|---|" + strings.Repeat("---:|---:|---:|", len(sweeps)))
	graphs := append(sugiyamatest.ServiceGraphs(), sugiyamatest.RandomDAGs(20, 100, 1000)...)
	for _, ng := range graphs {
		row := "| " + ng.Name + " |"
		for _, s := range sweeps {
			restore := sugiyama.SetRelaxSweeps(s)
			r := sugiyama.Layout(ng.Graph, sugiyama.DefaultOptions())
			restore()
			bent := 0
			for _, e := range r.Edges {
				p := e.Points
				for i := 2; len(p) > 4 && i+1 < len(p); i++ {
					if p[i].X != p[1].X {
						bent++
						break
					}
				}
			}
			row += fmt.Sprintf(" %.0f | %d | %d |", r.Width, bent, sugiyama.EdgesThroughNodes(ng.Graph, r))
		}
		fmt.Println(row)
	}
}
