package store

import (
	"sync"

	"github.com/tracemap/tracemap/internal/spantree"
)

// traceCache keeps the most recently used trees within a span budget, so
// that zooming into a big trace decodes it once, not on every step.
type traceCache struct {
	maxSpans int
	mu       sync.Mutex
	order    []string // least recently used first
	trees    map[string]*spantree.Tree
	spans    int
}

func (c *traceCache) get(id string) *spantree.Tree {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.trees[id]
	if t != nil {
		c.touch(id)
	}
	return t
}

func (c *traceCache) put(id string, t *spantree.Tree) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trees == nil {
		c.trees = map[string]*spantree.Tree{}
	}
	if _, ok := c.trees[id]; ok {
		c.touch(id)
		return
	}
	if len(t.Spans) > c.maxSpans {
		return
	}
	for len(c.order) > 0 && c.spans+len(t.Spans) > c.maxSpans {
		old := c.order[0]
		c.order = c.order[1:]
		c.spans -= len(c.trees[old].Spans)
		delete(c.trees, old)
	}
	c.trees[id] = t
	c.order = append(c.order, id)
	c.spans += len(t.Spans)
}

func (c *traceCache) touch(id string) {
	for i, k := range c.order {
		if k == id {
			copy(c.order[i:], c.order[i+1:])
			c.order[len(c.order)-1] = id
			return
		}
	}
}
