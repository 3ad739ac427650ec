package spantree

import (
	"cmp"
	"slices"
)

// criticalPath marks the critical path as Jaeger defines it: start at the
// end of the root and repeatedly descend into the child that finished last
// before the current point in time; when a span has no such child, the path
// covers the span back to its start and returns to the parent, continuing
// from that start. Children are first clipped to their (clipped) parent and
// those entirely outside it are ignored, as Jaeger does.
//
// The walk starts at a virtual root spanning the whole trace whose children
// are the roots and orphans, so a trace with one root gets exactly Jaeger's
// path and a trace with several roots gets the spans that bounded its end.
// Every child is entered at most once, so the walk is linear.
func (b *builder) criticalPath() {
	n := len(b.spans)
	from := resize(&b.sc.from, n) // clipped intervals
	to := resize(&b.sc.to, n)
	inside := resize(&b.sc.inside, n)
	// Sorted child lists are carved from one buffer: every span's children
	// and the roots, at most 2n entries, so it never grows.
	buf := resize(&b.sc.kids, 2*n)[:0]
	for _, i := range b.order {
		s := &b.spans[i]
		from[i], to[i] = s.CorrectedStart(), s.CorrectedEnd()
		inside[i] = true
		if p := s.Parent; p >= 0 {
			from[i], to[i] = max(from[i], from[p]), min(to[i], to[p])
			inside[i] = inside[p] && from[i] <= to[i]
		}
	}
	// byEnd[v] lists the children of v (v == n: the virtual root), latest
	// end first; sorted when v is first entered.
	byEnd := func(v int) []int {
		start := len(buf)
		if v == n {
			buf = append(buf, b.t.Roots...)
		} else {
			buf = append(buf, b.spans[v].Children...)
		}
		kids := buf[start:len(buf):len(buf)]
		slices.SortFunc(kids, func(x, y int) int {
			if c := cmp.Compare(to[y], to[x]); c != 0 {
				return c
			}
			if c := cmp.Compare(from[y], from[x]); c != 0 {
				return c
			}
			return cmp.Compare(x, y)
		})
		return kids
	}
	type frame struct {
		kids []int
		next int
	}
	// The path is a chain from the virtual root, so a stack of frames holds
	// the scan position of every span on it.
	stack := []frame{{kids: byEnd(n)}}
	cur := n
	limit, bounded := int64(0), false
	for {
		f := &stack[len(stack)-1]
		child := -1
		for f.next < len(f.kids) {
			c := f.kids[f.next]
			f.next++
			if inside[c] && (!bounded || to[c] < limit) {
				child = c
				break
			}
		}
		if child >= 0 {
			cur, bounded = child, false
			b.spans[cur].Critical = true
			stack = append(stack, frame{kids: byEnd(cur)})
			continue
		}
		if cur == n {
			b.criticalSelf(from, to)
			return
		}
		limit, bounded = from[cur], true
		stack = stack[:len(stack)-1]
		if cur = b.spans[cur].Parent; cur < 0 {
			cur = n
		}
	}
}

// criticalSelf sets CriticalSelf: each critical span's clipped interval
// minus the part its critical children cover.
func (b *builder) criticalSelf(from, to []int64) {
	for _, i := range b.order {
		s := &b.spans[i]
		if !s.Critical {
			continue
		}
		s.CriticalSelf += to[i] - from[i]
		if p := s.Parent; p >= 0 {
			b.spans[p].CriticalSelf -= max(0, min(to[i], to[p])-max(from[i], from[p]))
		}
	}
}
