package sugiyamatest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tracemap/tracemap/internal/sugiyama"
)

// ELKVersion is the elkjs release the comparison installs (npm package
// elkjs, the Eclipse Layout Kernel compiled to JavaScript).
const ELKVersion = "0.12.1"

// InstallELK installs elkjs at ELKVersion with npm into dir (once: an
// existing install is reused) and returns the directory to pass to ELK.
func InstallELK(ctx context.Context, dir string) (string, error) {
	dir = filepath.Join(dir, "elkjs-"+ELKVersion)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "elkjs", "package.json")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "--no-save", "elkjs@"+ELKVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm install elkjs@%s: %w: %s", ELKVersion, err, strings.TrimSpace(string(out)))
	}
	return dir, nil
}

// elkScript lays out the graph on stdin with ELK Layered (top to bottom,
// its default orthogonal edge routing, our gaps), warm runs first so the
// measured one is JIT-compiled, and prints the drawing and the CPU time of
// the measured layout alone (node's start-up excluded).
const elkScript = `
const ELK = require(process.argv[1] + '/node_modules/elkjs/lib/elk.bundled.js');
let input = '';
process.stdin.on('data', d => input += d);
process.stdin.on('end', async () => {
  const g = JSON.parse(input);
  const graph = () => ({id: 'root',
    layoutOptions: {'elk.algorithm': 'layered', 'elk.direction': 'DOWN',
      'elk.spacing.nodeNode': String(g.nodeGap), 'elk.layered.spacing.nodeNodeBetweenLayers': String(g.layerGap),
      'elk.padding': '[top=0,left=0,bottom=0,right=0]'},
    children: g.nodes.map((n, i) => ({id: 'n' + i, width: n[0], height: n[1]})),
    edges: g.edges.map((e, i) => ({id: 'e' + i, sources: ['n' + e[0]], targets: ['n' + e[1]]}))});
  const elk = new ELK();
  for (let i = 0; i < g.warm; i++) await elk.layout(graph());
  const c0 = process.cpuUsage(), t0 = process.hrtime.bigint();
  const out = await elk.layout(graph());
  const cpu = process.cpuUsage(c0), wall = Number(process.hrtime.bigint() - t0);
  const pos = {};
  out.children.forEach(c => pos[c.id] = [c.x + c.width / 2, c.y + c.height / 2]);
  const edges = out.edges.map(e => {
    const s = (e.sections || [])[0];
    if (!s) return [];
    return [s.startPoint, ...(s.bendPoints || []), s.endPoint].map(p => [p.x, p.y]);
  });
  process.stdout.write(JSON.stringify({cpuNs: (cpu.user + cpu.system) * 1000, wallNs: wall,
    nodes: g.nodes.map((_, i) => pos['n' + i]), edges, width: out.width, height: out.height}));
});
`

// ELK lays g out with ELK Layered under node (elkjs installed in dir by
// InstallELK) and returns its drawing in our coordinates with its layers
// numbered like dot's, and the wall and CPU time of the layout itself.
// warm layouts run first, unmeasured.
func ELK(ctx context.Context, dir string, g sugiyama.Graph, opt sugiyama.Options, warm int) (sugiyama.Result, Timing, error) {
	type in struct {
		Nodes    [][2]float64 `json:"nodes"`
		Edges    [][2]int     `json:"edges"`
		NodeGap  float64      `json:"nodeGap"`
		LayerGap float64      `json:"layerGap"`
		Warm     int          `json:"warm"`
	}
	req := in{NodeGap: opt.NodeGap, LayerGap: opt.LayerGap, Warm: warm, Nodes: [][2]float64{}, Edges: [][2]int{}}
	for _, n := range g.Nodes {
		req.Nodes = append(req.Nodes, [2]float64{n.W, n.H})
	}
	for _, e := range g.Edges {
		req.Edges = append(req.Edges, [2]int{e.From, e.To})
	}
	data, err := json.Marshal(req)
	if err != nil {
		return sugiyama.Result{}, Timing{}, err
	}
	cmd := exec.CommandContext(ctx, "node", "-e", elkScript, dir)
	cmd.Stdin = bytes.NewReader(data)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return sugiyama.Result{}, Timing{}, fmt.Errorf("elk: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var out struct {
		CPUNs, WallNs float64
		Nodes         [][2]float64
		Edges         [][][2]float64
		Width, Height float64
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return sugiyama.Result{}, Timing{}, fmt.Errorf("elk output: %w", err)
	}
	if len(out.Nodes) != len(g.Nodes) || len(out.Edges) != len(g.Edges) {
		return sugiyama.Result{}, Timing{}, errors.New("elk output: node or edge count differs from the input")
	}
	r := sugiyama.Result{Nodes: make([]sugiyama.Placed, len(g.Nodes)), Edges: make([]sugiyama.Route, len(g.Edges)), Width: out.Width, Height: out.Height}
	for i, p := range out.Nodes {
		r.Nodes[i] = sugiyama.Placed{X: p[0], Y: p[1]}
	}
	for i, pts := range out.Edges {
		for _, p := range pts {
			r.Edges[i].Points = append(r.Edges[i].Points, sugiyama.Point{X: p[0], Y: p[1]})
		}
	}
	assignRanks(&r)
	return r, Timing{Wall: time.Duration(out.WallNs), CPU: time.Duration(out.CPUNs)}, nil
}
