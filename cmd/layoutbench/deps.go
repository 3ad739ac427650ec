package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/tracemap/tracemap/internal/sugiyama"
	"github.com/tracemap/tracemap/internal/testutil/sugiyamatest"
)

// dependency is one link of Jaeger's dependencies API.
type dependency struct {
	Parent    string `json:"parent"`
	Child     string `json:"child"`
	CallCount int64  `json:"callCount"`
}

// readDependencies reads a Jaeger dependencies file: the API's response
// ({"data": [...]}) or its bare list of links.
func readDependencies(path string) ([]dependency, error) {
	b, err := os.ReadFile(path) //nolint:gosec // the file the user named with -deps
	if err != nil {
		return nil, err
	}
	var links []dependency
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '{' {
		var resp struct {
			Data []dependency `json:"data"`
		}
		err = json.Unmarshal(b, &resp)
		links = resp.Data
	} else {
		err = json.Unmarshal(b, &links)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: not a Jaeger dependencies file: %w", path, err)
	}
	if len(links) == 0 {
		return nil, fmt.Errorf("%s: no dependency links", path)
	}
	return links, nil
}

// depsGroups is the graphs of a dependencies file: the whole service graph
// and the one-hop neighbourhood of each of its top busiest services (most
// links; what a map around one service shows), each as service boxes of
// one size, self calls left out; graphs of more than maxServices services
// are skipped. Graphs are named by rank, not by service, so no text from
// the file reaches the table.
func depsGroups(path string, top, maxServices int) ([]group, error) {
	links, err := readDependencies(path)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	var nbrs [][]int
	id := func(s string) int {
		if i, ok := index[s]; ok {
			return i
		}
		index[s] = len(nbrs)
		nbrs = append(nbrs, nil)
		return len(nbrs) - 1
	}
	type pair struct{ from, to int }
	var pairs []pair
	seen := map[pair]bool{}
	for _, l := range links {
		p := pair{id(l.Parent), id(l.Child)}
		if p.from == p.to || seen[p] {
			continue
		}
		seen[p] = true
		pairs = append(pairs, p)
		nbrs[p.from] = append(nbrs[p.from], p.to)
		nbrs[p.to] = append(nbrs[p.to], p.from)
	}
	// The graph on the services in keep (all when nil).
	graph := func(keep []bool) sugiyama.Graph {
		local := make([]int, len(nbrs))
		var g sugiyama.Graph
		for v := range nbrs {
			local[v] = -1
			if keep == nil || keep[v] {
				local[v] = len(g.Nodes)
				g.Nodes = append(g.Nodes, sugiyama.Node{W: 120, H: 36})
			}
		}
		for _, p := range pairs {
			if a, b := local[p.from], local[p.to]; a >= 0 && b >= 0 {
				g.Edges = append(g.Edges, sugiyama.Edge{From: a, To: b})
			}
		}
		return g
	}
	gr := group{name: "dependencies"}
	if len(nbrs) <= maxServices {
		gr.graphs = append(gr.graphs, sugiyamatest.Named{Name: fmt.Sprintf("all %d services", len(nbrs)), Graph: graph(nil)})
	}
	busiest := make([]int, len(nbrs))
	for v := range busiest {
		busiest[v] = v
	}
	slices.SortStableFunc(busiest, func(a, b int) int { return cmp.Compare(len(nbrs[b]), len(nbrs[a])) })
	for rank, v := range busiest[:min(top, len(busiest))] {
		keep := make([]bool, len(nbrs))
		keep[v] = true
		n := 1
		for _, u := range nbrs[v] {
			if !keep[u] {
				keep[u] = true
				n++
			}
		}
		if n > maxServices || n < 3 {
			continue
		}
		gr.graphs = append(gr.graphs, sugiyamatest.Named{Name: fmt.Sprintf("around busiest #%d (%d services)", rank+1, n), Graph: graph(keep)})
	}
	if len(gr.graphs) == 0 {
		return nil, errors.New("no graph of at most -deps-max services")
	}
	return []group{gr}, nil
}
