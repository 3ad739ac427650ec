package servicedag

import (
	"container/list"
	"strconv"
	"sync"
)

// Cache remembers the layouts of recent graph shapes. Traces of one
// endpoint mostly share their service graph, and a layout depends only on
// the node names (their box sizes) and the edges, so most traces reuse one.
// It is safe for concurrent use and holds at most its size in shapes, each
// of at most CacheMaxNodes nodes and CacheMaxEdges edges (larger graphs are
// rare, seldom repeat, and are laid out every time), so its memory is
// bounded by size x a few tens of KB.
type Cache struct {
	mu    sync.Mutex
	size  int
	byKey map[string]*list.Element
	lru   list.List // of *cached, most recent first
	key   []byte    // shape's buffer
}

type cached struct {
	key           string
	geom          *geometry // the placement, encoded
	nodes         []Node    // placement only
	edges         []Edge    // Points and Reversed only
	width, height float64
}

// Graphs larger than these are not cached.
const (
	CacheMaxNodes = 64
	CacheMaxEdges = 128
)

// NewCache makes a cache of size shapes (at least 1).
func NewCache(size int) *Cache {
	return &Cache{size: max(size, 1), byKey: make(map[string]*list.Element)}
}

// Layout is Layout(d), reusing the result for a graph of the same shape.
// Returned edge Points are shared with the cache: treat them as read-only.
func (c *Cache) Layout(d *DAG) { c.layout(d) }

// LayoutEncode is Layout(d) followed by d.Encode(), reusing the encoded
// placement of the shape too.
func (c *Cache) LayoutEncode(d *DAG) string { return d.encode(c.layout(d)) }

// layout places d and returns the shape's encoded placement (nil when the
// graph is too large to cache).
func (c *Cache) layout(d *DAG) *geometry {
	if len(d.Nodes) > CacheMaxNodes || len(d.Edges) > CacheMaxEdges {
		Layout(d)
		return nil
	}
	c.mu.Lock()
	shape := c.shape(d)
	if el, ok := c.byKey[string(shape)]; ok { // no string is made to look up
		c.lru.MoveToFront(el)
		e := el.Value.(*cached)
		c.mu.Unlock()
		e.apply(d)
		return e.geom
	}
	key := string(shape)
	c.mu.Unlock()

	Layout(d)
	e := &cached{key: key, geom: geometryOf(d), nodes: make([]Node, len(d.Nodes)), edges: make([]Edge, len(d.Edges)), width: d.Width, height: d.Height}
	for i, n := range d.Nodes {
		e.nodes[i] = Node{X: n.X, Y: n.Y, W: n.W, H: n.H, Layer: n.Layer}
	}
	for i, ed := range d.Edges {
		e.edges[i] = Edge{Points: ed.Points, Reversed: ed.Reversed}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; !ok { // else laid out concurrently by another caller
		c.byKey[key] = c.lru.PushFront(e)
		for c.lru.Len() > c.size {
			old := c.lru.Remove(c.lru.Back()).(*cached)
			delete(c.byKey, old.key)
		}
	}
	return e.geom
}

// Len is the number of shapes cached.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

func (e *cached) apply(d *DAG) {
	d.Width, d.Height = e.width, e.height
	for i := range d.Nodes {
		n := &d.Nodes[i]
		n.X, n.Y, n.W, n.H, n.Layer = e.nodes[i].X, e.nodes[i].Y, e.nodes[i].W, e.nodes[i].H, e.nodes[i].Layer
	}
	for i := range d.Edges {
		d.Edges[i].Points, d.Edges[i].Reversed = e.edges[i].Points, e.edges[i].Reversed
	}
}

// shape is the cache key, written into c.key: what Layout's result
// depends on. Names are length-prefixed so no two shapes share a key.
// Called with c.mu held; valid until the next call.
func (c *Cache) shape(d *DAG) []byte {
	b := strconv.AppendInt(c.key[:0], int64(len(d.Nodes)), 10)
	for _, n := range d.Nodes {
		b = append(b, ' ')
		if n.Entry {
			b = append(b, '^')
		}
		b = strconv.AppendInt(b, int64(len(n.Name)), 10)
		b = append(b, ':')
		b = append(b, n.Name...)
	}
	for _, e := range d.Edges {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(e.From), 10)
		b = append(b, '>')
		b = strconv.AppendInt(b, int64(e.To), 10)
	}
	c.key = b
	return b
}
