// Package sugiyamatest provides the graphs the layout engine is measured on
// (random layered DAGs and service graphs shaped like real microservice
// traces) and runs Graphviz dot on the same graphs for comparison.
package sugiyamatest

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/tracemap/tracemap/internal/sugiyama"
)

// Named is a graph with a name for reports.
type Named struct {
	Name  string
	Graph sugiyama.Graph
}

// NodeW and NodeH are the size of every generated node: dot's default box
// (0.75in x 0.5in) in points.
const (
	NodeW = 54
	NodeH = 36
)

func boxes(n int) []sugiyama.Node {
	nodes := make([]sugiyama.Node, n)
	for i := range nodes {
		nodes[i] = sugiyama.Node{W: NodeW, H: NodeH}
	}
	return nodes
}

// RandomLayeredDAG returns a connected DAG of n nodes spread over about
// 0.7*sqrt(n) layers, with about 1.5 edges per node: every node below the
// first layer has a parent one layer up, and the extra edges span one layer
// (80%) or two to three (20%). Node numbers are shuffled so neither tool
// gets the layer order for free. The same n and seed give the same graph.
func RandomLayeredDAG(n int, seed uint64) sugiyama.Graph {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	L := max(2, int(math.Round(0.7*math.Sqrt(float64(n)))))
	byLayer := make([][]int, L)
	layer := make([]int, n)
	for v := 0; v < n; v++ {
		l := v
		if v >= L {
			l = rng.IntN(L)
		}
		layer[v] = l
		byLayer[l] = append(byLayer[l], v)
	}
	type pair struct{ a, b int }
	seen := map[pair]bool{}
	var edges []pair
	add := func(a, b int) {
		if !seen[pair{a, b}] {
			seen[pair{a, b}] = true
			edges = append(edges, pair{a, b})
		}
	}
	for v := 0; v < n; v++ {
		if l := layer[v]; l > 0 {
			add(byLayer[l-1][rng.IntN(len(byLayer[l-1]))], v)
		}
	}
	for len(edges) < n*3/2 && n > L {
		a := rng.IntN(n)
		l := layer[a]
		if l == L-1 {
			continue
		}
		span := 1
		if rng.IntN(5) == 0 {
			span = 2 + rng.IntN(2)
		}
		t := min(L-1, l+span)
		add(a, byLayer[t][rng.IntN(len(byLayer[t]))])
	}
	perm := rng.Perm(n)
	g := sugiyama.Graph{Nodes: boxes(n)}
	for _, e := range edges {
		g.Edges = append(g.Edges, sugiyama.Edge{From: perm[e.a], To: perm[e.b]})
	}
	return g
}

// fromCalls builds a graph from caller -> callees lists, nodes numbered in
// order of first appearance.
func fromCalls(calls [][]string) sugiyama.Graph {
	index := map[string]int{}
	id := numberer(index)
	var edges []sugiyama.Edge
	for _, c := range calls {
		from := id(c[0])
		for _, to := range c[1:] {
			edges = append(edges, sugiyama.Edge{From: from, To: id(to)})
		}
	}
	return sugiyama.Graph{Nodes: boxes(len(index)), Edges: edges}
}

// numberer numbers keys in order of first use, recording them in index.
func numberer[K comparable](index map[K]int) func(K) int {
	return func(k K) int {
		if i, ok := index[k]; ok {
			return i
		}
		index[k] = len(index)
		return index[k]
	}
}

// OnlineBoutique is the service graph of Google's microservices-demo.
func OnlineBoutique() sugiyama.Graph {
	return fromCalls([][]string{
		{"loadgenerator", "frontend"},
		{"frontend", "ad", "recommendation", "productcatalog", "cart", "shipping", "currency", "checkout"},
		{"recommendation", "productcatalog"},
		{"cart", "redis-cart"},
		{"checkout", "productcatalog", "cart", "shipping", "currency", "payment", "email"},
	})
}

// SocialNetwork is DeathStarBench's social network with its caches and
// databases.
func SocialNetwork() sugiyama.Graph {
	return fromCalls([][]string{
		{"nginx-web-server", "compose-post", "home-timeline", "user-timeline", "user", "social-graph", "media-frontend"},
		{"media-frontend", "media-mongodb"},
		{"compose-post", "text", "media", "unique-id", "user", "post-storage", "user-timeline", "home-timeline"},
		{"text", "url-shorten", "user-mention"},
		{"url-shorten", "url-shorten-memcached", "url-shorten-mongodb"},
		{"user-mention", "user-memcached", "user-mongodb"},
		{"user", "user-memcached", "user-mongodb", "social-graph"},
		{"post-storage", "post-storage-memcached", "post-storage-mongodb"},
		{"user-timeline", "user-timeline-redis", "user-timeline-mongodb", "post-storage"},
		{"home-timeline", "home-timeline-redis", "post-storage", "social-graph"},
		{"social-graph", "social-graph-redis", "social-graph-mongodb", "user"},
		{"media", "media-memcached", "media-mongodb"},
	})
}

// HotelReservation is DeathStarBench's hotel reservation application.
func HotelReservation() sugiyama.Graph {
	return fromCalls([][]string{
		{"frontend", "search", "profile", "recommendation", "user", "reservation"},
		{"search", "geo", "rate"},
		{"geo", "mongodb-geo"},
		{"rate", "memcached-rate", "mongodb-rate"},
		{"profile", "memcached-profile", "mongodb-profile"},
		{"recommendation", "mongodb-recommendation"},
		{"user", "mongodb-user"},
		{"reservation", "memcached-reserve", "mongodb-reservation"},
	})
}

// TraceShaped aggregates the service graph of many synthetic traces over a
// tiered service population, shaped like published production call graphs
// (e.g. Alibaba's 2021 microservice traces): every service has a fixed set
// of dependencies (one to six, heavy-tailed, popular services chosen more
// often), mostly one tier down, some two tiers down or straight to the
// storage tier, and a few back up a tier (callbacks, so there are cycles).
// Each trace enters at a gateway and calls a random subset of the
// dependencies at every hop; the graph holds the calls the traces made.
func TraceShaped(services, traces int, seed uint64) sugiyama.Graph {
	rng := rand.New(rand.NewPCG(seed, uint64(services)))
	const tiers = 5
	tierOf := make([]int, services)
	var byTier [tiers][]int
	for s := 0; s < services; s++ {
		t := s
		if s >= tiers {
			t = []int{0, 1, 1, 2, 2, 2, 3, 3, 4, 4}[rng.IntN(10)]
		}
		tierOf[s] = t
		byTier[t] = append(byTier[t], s)
	}
	pick := func(t int) int { // Zipf-like within a tier
		list := byTier[t]
		i := int(float64(len(list)) * math.Pow(rng.Float64(), 2.5))
		return list[min(i, len(list)-1)]
	}
	deps := make([][]int, services)
	for s := 0; s < services; s++ {
		t := tierOf[s]
		if t == tiers-1 {
			continue
		}
		for k := 1 + int(math.Pow(rng.Float64(), 2)*6); k > 0; k-- {
			nt := t + 1
			switch r := rng.IntN(20); {
			case r < 3 && t+2 < tiers:
				nt = t + 2
			case r < 5:
				nt = tiers - 1
			case r == 5 && t > 0:
				nt = t - 1
			}
			if c := pick(nt); c != s && !slices.Contains(deps[s], c) {
				deps[s] = append(deps[s], c)
			}
		}
	}
	type pair struct{ a, b int }
	seen := map[pair]bool{}
	var edges []pair
	var walk func(s, depth int)
	walk = func(s, depth int) {
		if depth == 6 {
			return
		}
		for _, c := range deps[s] {
			if rng.IntN(10) < 6 {
				if !seen[pair{s, c}] {
					seen[pair{s, c}] = true
					edges = append(edges, pair{s, c})
				}
				walk(c, depth+1)
			}
		}
	}
	for i := 0; i < traces; i++ {
		walk(pick(0), 0)
	}
	// Keep only services that appeared, numbered in first-seen order.
	index := map[int]int{}
	id := numberer(index)
	g := sugiyama.Graph{}
	for _, e := range edges {
		g.Edges = append(g.Edges, sugiyama.Edge{From: id(e.a), To: id(e.b)})
	}
	g.Nodes = boxes(len(index))
	return g
}

// ServiceGraphs are the real-shaped service graphs of the comparison.
func ServiceGraphs() []Named {
	return []Named{
		{"online-boutique", OnlineBoutique()},
		{"social-network", SocialNetwork()},
		{"hotel-reservation", HotelReservation()},
		{"trace-shaped-60", TraceShaped(60, 300, 1)},
		{"trace-shaped-300", TraceShaped(300, 3000, 2)},
		{"trace-shaped-1000", TraceShaped(1000, 10000, 3)},
	}
}

// RandomDAGs are the random layered DAGs of the comparison.
func RandomDAGs(sizes ...int) []Named {
	var out []Named
	for _, n := range sizes {
		out = append(out, Named{"random-" + strconv.Itoa(n), RandomLayeredDAG(n, 42)})
	}
	return out
}
