package servicedag

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tracemap/tracemap/internal/sugiyama"
)

// Version is the encoding version Encode writes and Decode reads.
const Version = "v1"

// Encode writes the DAG in the tracemap.dag encoding (docs/attributes.md):
//
//	v1|<width> <height>|<node>;<node>;...|<edge>;<edge>;...
//	node: <name>,<service>,<operation>,<flags>,<spans>,<errors>,<layer>,<x>,<y>,<w>,<h>
//	edge: <from>,<to>,<flags>,<calls>,<errors>,<duration_ns>,<x> <y> <x> <y> ...
//
// <service> is empty when it equals <name>. Flags are letters: "v" virtual
// node, "r" reversed edge. Strings are escaped with %XX for '%', ',', ';',
// '|' and control bytes. Coordinates are rounded to 0.1.
func (d *DAG) Encode() string { return d.encode(nil) }

// geometry is the encoded placement of a laid-out DAG: what a shape's
// graphs share, so Cache formats it once.
type geometry struct {
	size  string   // "<width> <height>"
	nodes []string // ",<layer>,<x>,<y>,<w>,<h>" per node
	edges []string // "<x> <y> ..." per edge
}

func geometryOf(d *DAG) *geometry {
	g := &geometry{nodes: make([]string, len(d.Nodes)), edges: make([]string, len(d.Edges))}
	var e encoder
	e.size(d)
	g.size = string(e.buf)
	for i, n := range d.Nodes {
		e.buf = e.buf[:0]
		e.nodeGeometry(n)
		g.nodes[i] = string(e.buf)
	}
	for i, ed := range d.Edges {
		e.buf = e.buf[:0]
		e.points(ed.Points)
		g.edges[i] = string(e.buf)
	}
	return g
}

// encoders keeps encode's buffers, so an encoding allocates just its string.
var encoders = sync.Pool{New: func() any { return new(encoder) }}

// encode writes the encoding, taking the placement from g when given.
func (d *DAG) encode(g *geometry) string {
	e := encoders.Get().(*encoder)
	defer e.put()
	e.buf = slices.Grow(e.buf[:0], 32+64*len(d.Nodes)+48*len(d.Edges))
	e.buf = append(e.buf, Version...)
	e.buf = append(e.buf, '|')
	if g != nil {
		e.buf = append(e.buf, g.size...)
	} else {
		e.size(d)
	}
	e.buf = append(e.buf, '|')
	for i, n := range d.Nodes {
		e.sep(i)
		e.escaped(n.Name)
		e.buf = append(e.buf, ',')
		if n.Service != n.Name {
			e.escaped(n.Service)
		}
		e.buf = append(e.buf, ',')
		e.escaped(n.Operation)
		e.flag(n.Virtual, 'v')
		e.ints(n.Spans, n.Errors)
		if g != nil {
			e.buf = append(e.buf, g.nodes[i]...)
		} else {
			e.nodeGeometry(n)
		}
	}
	e.buf = append(e.buf, '|')
	for i, ed := range d.Edges {
		e.sep(i)
		e.buf = strconv.AppendInt(e.buf, int64(ed.From), 10)
		e.ints(int64(ed.To))
		e.flag(ed.Reversed, 'r')
		e.ints(ed.Calls, ed.Errors, ed.DurationNs)
		e.buf = append(e.buf, ',')
		if g != nil {
			e.buf = append(e.buf, g.edges[i]...)
		} else {
			e.points(ed.Points)
		}
	}
	return string(e.buf)
}

type encoder struct{ buf []byte }

// put returns e to the pool unless a huge graph grew it.
func (e *encoder) put() {
	if cap(e.buf) <= 64<<10 {
		encoders.Put(e)
	}
}

// sep writes the ';' between list items, before every item but the first.
func (e *encoder) sep(i int) {
	if i > 0 {
		e.buf = append(e.buf, ';')
	}
}

func (e *encoder) size(d *DAG) {
	e.float(d.Width)
	e.buf = append(e.buf, ' ')
	e.float(d.Height)
}

func (e *encoder) nodeGeometry(n Node) {
	e.ints(int64(n.Layer))
	for _, v := range [...]float64{n.X, n.Y, n.W, n.H} {
		e.buf = append(e.buf, ',')
		e.float(v)
	}
}

func (e *encoder) points(pts []sugiyama.Point) {
	for j, p := range pts {
		if j > 0 {
			e.buf = append(e.buf, ' ')
		}
		e.float(p.X)
		e.buf = append(e.buf, ' ')
		e.float(p.Y)
	}
}

// flag writes a comma and the flag letter when on.
func (e *encoder) flag(on bool, letter byte) {
	e.buf = append(e.buf, ',')
	if on {
		e.buf = append(e.buf, letter)
	}
}

// ints writes each value after a comma.
func (e *encoder) ints(vs ...int64) {
	for _, v := range vs {
		e.buf = append(e.buf, ',')
		e.buf = strconv.AppendInt(e.buf, v, 10)
	}
}

// float writes v rounded to 0.1, without exponent, "-0" or trailing ".0".
func (e *encoder) float(v float64) {
	// Never write what Decode must refuse: no NaN, nothing beyond MaxCoord.
	if math.IsNaN(v) {
		v = 0
	}
	v = max(-MaxCoord, min(v, MaxCoord))
	n := int64(math.Round(v * 10))
	if n < 0 {
		e.buf = append(e.buf, '-')
		n = -n
	}
	e.buf = strconv.AppendInt(e.buf, n/10, 10)
	if d := n % 10; d != 0 {
		e.buf = append(e.buf, '.', byte('0'+d))
	}
}

const hexDigits = "0123456789ABCDEF"

func needsEscape(c byte) bool {
	return c < 0x20 || c == 0x7f || c == '%' || c == ',' || c == ';' || c == '|'
}

func (e *encoder) escaped(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if needsEscape(c) {
			e.buf = append(e.buf, '%', hexDigits[c>>4], hexDigits[c&15])
			continue
		}
		e.buf = append(e.buf, c)
	}
}

func unescape(s string) (string, error) {
	if !strings.ContainsRune(s, '%') {
		return s, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", errors.New("truncated %-escape")
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad %%-escape %q", s[i:i+3])
		}
		out = append(out, byte(v))
		i += 2
	}
	return string(out), nil
}

// Decode parses the tracemap.dag encoding. Anything malformed — another
// version, wrong field counts, bad numbers, negative counts, edges naming
// missing nodes, non-finite coordinates — is an error.
func Decode(s string) (*DAG, error) { return decode(s, true) }

// DecodeGraph is Decode without the placement, for a caller that only
// counts (the svg exporter's windows): sizes, coordinates and edge points
// are neither parsed nor checked and stay zero, which is most of Decode's
// work. Everything else is parsed and checked as by Decode.
func DecodeGraph(s string) (*DAG, error) { return decode(s, false) }

func decode(s string, geometry bool) (*DAG, error) {
	var parts [4]string
	n := fieldsOf(parts[:], s, '|')
	if parts[0] != Version {
		return nil, fmt.Errorf("tracemap.dag: unsupported version (want %q prefix)", Version+"|")
	}
	if n != len(parts) {
		return nil, fmt.Errorf("tracemap.dag: %d sections, want 4", n)
	}
	d := &DAG{}
	if geometry {
		var size [2]string
		if fieldsOf(size[:], parts[1], ' ') != len(size) {
			return nil, errors.New("tracemap.dag: size: want \"<width> <height>\"")
		}
		var err error
		if d.Width, err = parseFloat(size[0]); err != nil {
			return nil, fmt.Errorf("tracemap.dag: width: %w", err)
		}
		if d.Height, err = parseFloat(size[1]); err != nil {
			return nil, fmt.Errorf("tracemap.dag: height: %w", err)
		}
	}
	if parts[2] != "" {
		d.Nodes = make([]Node, 0, strings.Count(parts[2], ";")+1)
		for f := range strings.SplitSeq(parts[2], ";") {
			n, err := decodeNode(f, geometry)
			if err != nil {
				return nil, fmt.Errorf("tracemap.dag: node %d: %w", len(d.Nodes), err)
			}
			d.Nodes = append(d.Nodes, n)
		}
	}
	if parts[3] != "" {
		d.Edges = make([]Edge, 0, strings.Count(parts[3], ";")+1)
		for f := range strings.SplitSeq(parts[3], ";") {
			e, err := decodeEdge(f, len(d.Nodes), geometry)
			if err != nil {
				return nil, fmt.Errorf("tracemap.dag: edge %d: %w", len(d.Edges), err)
			}
			d.Edges = append(d.Edges, e)
		}
	}
	return d, nil
}

// fieldsOf splits s at every sep into dst, as strings.Split would without
// allocating, and returns the number of fields s has; when that exceeds
// len(dst), dst holds the first ones. The fields are short (numbers,
// names), so a byte loop beats a call to strings.IndexByte per field.
func fieldsOf(dst []string, s string, sep byte) int {
	n, start := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] != sep {
			continue
		}
		if n < len(dst) {
			dst[n] = s[start:i]
		}
		n++
		start = i + 1
	}
	if n < len(dst) {
		dst[n] = s[start:]
	}
	return n + 1
}

func decodeNode(f string, geometry bool) (Node, error) {
	var n Node
	var fs [11]string
	if got := fieldsOf(fs[:], f, ','); got != len(fs) {
		return n, fmt.Errorf("%d fields, want 11", got)
	}
	var err error
	if n.Name, err = unescape(fs[0]); err != nil {
		return n, fmt.Errorf("name: %w", err)
	}
	if n.Service, err = unescape(fs[1]); err != nil {
		return n, fmt.Errorf("service: %w", err)
	}
	if fs[1] == "" {
		n.Service = n.Name
	}
	if n.Operation, err = unescape(fs[2]); err != nil {
		return n, fmt.Errorf("operation: %w", err)
	}
	if n.Virtual, err = parseFlag(fs[3], "v"); err != nil {
		return n, err
	}
	var layer int64
	if err := parseCounts(fs[4:7], []string{"spans", "errors", "layer"}, &n.Spans, &n.Errors, &layer); err != nil {
		return n, err
	}
	if layer > math.MaxInt32 {
		return n, errors.New("layer: too large")
	}
	n.Layer = int(layer)
	if !geometry {
		return n, nil
	}
	for i, dst := range []*float64{&n.X, &n.Y, &n.W, &n.H} {
		if *dst, err = parseFloat(fs[7+i]); err != nil {
			return n, fmt.Errorf("%s: %w", [...]string{"x", "y", "w", "h"}[i], err)
		}
	}
	return n, nil
}

func decodeEdge(f string, nodes int, geometry bool) (Edge, error) {
	var e Edge
	var fs [7]string
	if got := fieldsOf(fs[:], f, ','); got != len(fs) {
		return e, fmt.Errorf("%d fields, want 7", got)
	}
	for i, dst := range []*int{&e.From, &e.To} {
		v, err := parseCount(fs[i])
		if err != nil || v >= int64(nodes) {
			return e, fmt.Errorf("%s: %q is not a node index (%d nodes)", [...]string{"from", "to"}[i], fs[i], nodes)
		}
		*dst = int(v)
	}
	var err error
	if e.Reversed, err = parseFlag(fs[2], "r"); err != nil {
		return e, err
	}
	if err := parseCounts(fs[3:6], []string{"calls", "errors", "duration_ns"}, &e.Calls, &e.Errors, &e.DurationNs); err != nil {
		return e, err
	}
	if fs[6] == "" || !geometry {
		return e, nil
	}
	coords := strings.Count(fs[6], " ") + 1
	if coords%2 != 0 {
		return e, errors.New("points: odd number of coordinates")
	}
	e.Points = make([]sugiyama.Point, 0, coords/2)
	var p sugiyama.Point
	x := true
	for c := range strings.SplitSeq(fs[6], " ") {
		v, err := parseFloat(c)
		if err != nil {
			return e, fmt.Errorf("points: %w", err)
		}
		if x {
			p.X = v
		} else {
			p.Y = v
			e.Points = append(e.Points, p)
		}
		x = !x
	}
	return e, nil
}

// parseFlag reads a flags field: empty, or the one letter it may hold.
func parseFlag(f, letter string) (bool, error) {
	switch f {
	case "":
		return false, nil
	case letter:
		return true, nil
	}
	return false, fmt.Errorf("unknown flags %q", f)
}

// parseCounts parses fields[i] into dst[i], naming names[i] on error.
func parseCounts(fields, names []string, dst ...*int64) error {
	for i, d := range dst {
		v, err := parseCount(fields[i])
		if err != nil {
			return fmt.Errorf("%s: %w", names[i], err)
		}
		*d = v
	}
	return nil
}

func parseCount(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("%d is negative", v)
	}
	return v, nil
}

// MaxCoord bounds sizes and coordinates in the encoding (layouts stay far
// below it); Encode clamps to it and Decode refuses beyond it.
const MaxCoord = 1e12

func parseFloat(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.Abs(v) > MaxCoord {
		return 0, fmt.Errorf("%q is not a number within ±%g", s, MaxCoord)
	}
	return v, nil
}

// AttrDAG is the root-span attribute that carries Encode's output.
const AttrDAG = "tracemap.dag"
