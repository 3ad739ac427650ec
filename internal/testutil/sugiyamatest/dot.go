package sugiyamatest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tracemap/tracemap/internal/sugiyama"
)

// DOT writes g in the dot language with dot's gaps set from opt and every
// node a fixed-size, unlabelled box of its own size.
func DOT(g sugiyama.Graph, opt sugiyama.Options) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "digraph G {\n graph [nodesep=%g, ranksep=%g];\n node [shape=box, fixedsize=true, label=\"\"];\n",
		opt.NodeGap/72, opt.LayerGap/72)
	for i, n := range g.Nodes {
		fmt.Fprintf(&b, " n%d [width=%g, height=%g];\n", i, n.W/72, n.H/72)
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, " n%d -> n%d;\n", e.From, e.To)
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// Timing is what one run of dot cost: wall time (process start included)
// and the CPU time (user + system) of the dot process.
type Timing struct{ Wall, CPU time.Duration }

// Dot lays g out with Graphviz dot (-Tplain) and returns its drawing as a
// Result in our coordinates (points, y down) and what it cost. Ranks come
// from the node centres' y; edges follow dot's splines, sampled. Graphs
// must have equal node heights (ranks are evenly spaced then) and no self
// loops.
func Dot(ctx context.Context, g sugiyama.Graph, opt sugiyama.Options) (sugiyama.Result, Timing, error) {
	out, t, err := runDot(ctx, DOT(g, opt))
	if err != nil {
		return sugiyama.Result{}, t, err
	}
	r, err := ParsePlain(g, out)
	return r, t, err
}

// DotCopies lays out copies of g in one dot process (dot lays out every
// graph of its input in turn) and returns what the whole run cost, so the
// cost of starting dot can be spread over the copies. It checks that dot
// drew every copy (each ends in a "stop" line in -Tplain, after its "graph" line).
func DotCopies(ctx context.Context, g sugiyama.Graph, opt sugiyama.Options, copies int) (Timing, error) {
	copies = max(copies, 1)
	out, t, err := runDot(ctx, bytes.Repeat(DOT(g, opt), copies))
	if err != nil {
		return t, err
	}
	if n := bytes.Count(out, []byte("\nstop\n")); n != copies {
		return t, fmt.Errorf("dot drew %d of %d copies", n, copies)
	}
	return t, nil
}

func runDot(ctx context.Context, input []byte) ([]byte, Timing, error) {
	cmd := exec.CommandContext(ctx, "dot", "-Tplain")
	cmd.Stdin = bytes.NewReader(input)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	t := Timing{Wall: time.Since(start)}
	if cmd.ProcessState != nil {
		t.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return nil, t, fmt.Errorf("dot: %w: %s", err, strings.TrimSpace(errOut.String()))
	}
	return out.Bytes(), t, nil
}

// ParsePlain reads dot's -Tplain output for g (nodes named n<index>).
func ParsePlain(g sugiyama.Graph, plain []byte) (sugiyama.Result, error) {
	r := sugiyama.Result{Nodes: make([]sugiyama.Placed, len(g.Nodes)), Edges: make([]sugiyama.Route, len(g.Edges))}
	var height float64
	seen := make([]bool, len(g.Nodes))
	type key struct{ a, b int }
	var splines = map[key][][]sugiyama.Point{}
	sc := bufio.NewScanner(bytes.NewReader(plain))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	num := func(s string) float64 {
		f, _ := strconv.ParseFloat(s, 64)
		return f * 72
	}
	node := func(s string) (int, error) {
		i, err := strconv.Atoi(strings.TrimPrefix(s, "n"))
		if err != nil || i < 0 || i >= len(g.Nodes) {
			return 0, fmt.Errorf("dot output: unknown node %q", s)
		}
		return i, nil
	}
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "graph":
			if len(f) >= 4 {
				height = num(f[3])
			}
		case "node":
			if len(f) < 4 {
				return r, fmt.Errorf("dot output: short node line %q", sc.Text())
			}
			i, err := node(f[1])
			if err != nil {
				return r, err
			}
			r.Nodes[i] = sugiyama.Placed{X: num(f[2]), Y: height - num(f[3])}
			seen[i] = true
		case "edge":
			if len(f) < 4 {
				return r, fmt.Errorf("dot output: short edge line %q", sc.Text())
			}
			a, err := node(f[1])
			if err != nil {
				return r, err
			}
			b, err := node(f[2])
			if err != nil {
				return r, err
			}
			k, _ := strconv.Atoi(f[3])
			if k < 1 || len(f) < 4+2*k {
				return r, fmt.Errorf("dot output: bad edge line %q", sc.Text())
			}
			ctrl := make([]sugiyama.Point, k)
			for j := range ctrl {
				ctrl[j] = sugiyama.Point{X: num(f[4+2*j]), Y: height - num(f[5+2*j])}
			}
			splines[key{a, b}] = append(splines[key{a, b}], sampleBezier(ctrl))
		}
	}
	if err := sc.Err(); err != nil {
		return r, err
	}
	for i, ok := range seen {
		if !ok {
			return r, fmt.Errorf("dot output: node n%d missing", i)
		}
	}
	for i, e := range g.Edges {
		k := key{e.From, e.To}
		if list := splines[k]; len(list) > 0 {
			r.Edges[i].Points = list[0]
			splines[k] = list[1:]
		}
	}
	assignRanks(&r)
	return r, nil
}

// assignRanks numbers dot's ranks from the distinct node centre heights,
// evenly spaced, so ranks holding only virtual nodes are counted too.
func assignRanks(r *sugiyama.Result) {
	if len(r.Nodes) == 0 {
		return
	}
	ys := make([]float64, 0, len(r.Nodes))
	for _, p := range r.Nodes {
		ys = append(ys, math.Round(p.Y*100)/100)
	}
	slices.Sort(ys)
	ys = slices.Compact(ys)
	step := math.Inf(1)
	for i := 1; i < len(ys); i++ {
		step = math.Min(step, ys[i]-ys[i-1])
	}
	if math.IsInf(step, 1) {
		step = 1
	}
	top := ys[0]
	ranks := int(math.Round((ys[len(ys)-1]-top)/step)) + 1
	r.LayerY = make([]float64, ranks)
	for l := range r.LayerY {
		r.LayerY[l] = top + float64(l)*step
	}
	for i, p := range r.Nodes {
		r.Nodes[i].Layer = int(math.Round((p.Y - top) / step))
	}
}

// sampleBezier turns a piecewise cubic Bézier (3k+1 control points) into
// a polyline.
func sampleBezier(c []sugiyama.Point) []sugiyama.Point {
	const steps = 16
	out := []sugiyama.Point{c[0]}
	for i := 0; i+3 < len(c); i += 3 {
		p0, p1, p2, p3 := c[i], c[i+1], c[i+2], c[i+3]
		for s := 1; s <= steps; s++ {
			t := float64(s) / steps
			u := 1 - t
			a, b, cc, d := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
			out = append(out, sugiyama.Point{
				X: a*p0.X + b*p1.X + cc*p2.X + d*p3.X,
				Y: a*p0.Y + b*p1.Y + cc*p2.Y + d*p3.Y,
			})
		}
	}
	return out
}
