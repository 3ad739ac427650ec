package spantree

import (
	"cmp"
	"slices"
)

// Clip returns the part of t that lies in [from, to] (ns from t.Start, after
// skew correction): the spans overlapping it, cut to it, on a time axis that
// starts at from and lasts to-from. It is how a zoomed view of a huge trace
// is drawn at full detail without drawing the rest. What describes a span in
// the whole trace (Depth, Self, Critical, Orphan, Error) is kept; a span whose
// parent lies outside the range becomes a root of the clip. t is not changed.
// from and to are clamped into [0, t.Duration]. orig maps each span of the
// clip to its index in t, so per-span results computed on the whole trace
// (a culprit verdict) carry over.
func (t *Tree) Clip(from, to int64) (c *Tree, orig []int) {
	from = min(max(from, 0), t.Duration)
	to = min(max(to, from), t.Duration)
	a, b := t.Start+from, t.Start+to
	c = &Tree{TraceID: t.TraceID, Start: a, Duration: b - a}
	idx := make([]int, len(t.Spans)) // t's index -> c's index, -1 when cut away
	for i := range t.Spans {
		s := &t.Spans[i]
		cs, ce := s.CorrectedStart(), s.CorrectedEnd()
		if ce < a || cs > b {
			idx[i] = -1
			continue
		}
		idx[i] = len(c.Spans)
		orig = append(orig, i)
		n := *s
		n.Children, n.Links = nil, nil
		cs, ce = max(cs, a), min(ce, b)
		n.Start, n.End = cs-s.Skew, ce-s.Skew
		n.Offset = cs - a
		c.Spans = append(c.Spans, n)
	}
	for i := range t.Spans {
		j := idx[i]
		if j < 0 {
			continue
		}
		n := &c.Spans[j]
		if p := t.Spans[i].Parent; p >= 0 && idx[p] >= 0 {
			n.Parent = idx[p]
		} else {
			n.Parent = -1
		}
		for _, ch := range t.Spans[i].Children {
			if idx[ch] >= 0 {
				n.Children = append(n.Children, idx[ch])
			}
		}
		for _, l := range t.Spans[i].Links {
			if idx[l] >= 0 {
				n.Links = append(n.Links, idx[l])
			}
		}
	}
	// Roots keep t's order (roots, then orphans, by corrected start),
	// followed by the spans whose parent was cut away, by corrected start.
	isRoot := make([]bool, len(c.Spans))
	for _, r := range t.Roots {
		if j := idx[r]; j >= 0 {
			c.Roots = append(c.Roots, j)
			isRoot[j] = true
		}
	}
	cut := len(c.Roots)
	for j := range c.Spans {
		if c.Spans[j].Parent < 0 && !isRoot[j] {
			c.Roots = append(c.Roots, j)
		}
	}
	slices.SortStableFunc(c.Roots[cut:], func(x, y int) int {
		return cmp.Compare(c.Spans[x].CorrectedStart(), c.Spans[y].CorrectedStart())
	})
	return c, orig
}
