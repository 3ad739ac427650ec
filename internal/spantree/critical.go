package spantree

import (
	"cmp"
	"slices"
)

// The critical path is the chain of spans that bounded the trace's end:
// start at the end of the trace and repeatedly descend into the child that
// finished last before the current point in time; when a span has no such
// child, the path covers the span back to its start and returns to its
// parent, continuing from that start. For synchronous traces this is
// exactly Jaeger's definition (children clipped to their clipped parent,
// those entirely outside it ignored, "finished before" strict).
//
// Jaeger's path stops at the parent's end, so work the parent did not wait
// for (a message consumer that runs after its producer ended, a
// fire-and-forget task) is never on it, even when it is what ended the
// trace. Here it is followed:
//
//   - an async span (Span.Async: it ends after its parent, or it is a
//     top-level span that follows from a span of this trace by a link) is
//     not clipped to its parent's end;
//   - a top-level span linked to spans of the trace hangs, for the path
//     only, under the linked span that ended last among those whose
//     top-level span started earlier (so links never make a cycle);
//   - a span "finishes" when the last of its subtree (itself and every
//     descendant on the path's tree) ends, and children are compared by
//     that finish, not by their own end.
//
// Time between a producer's end and its consumer's start (the message
// waiting in a broker) belongs to no span: CriticalSelf leaves it out.
//
// The walk starts at a virtual root spanning the whole trace whose children
// are the top-level spans not hung under a link, so a trace with several
// roots gets the spans that bounded its end. Every child is entered at most
// once, so the walk is linear.

// frame is the critical path walk's position in the children of a span.
type frame struct {
	kids []int
	next int
}

// pathTree builds the path's tree: the span tree plus the top-level spans
// hung under the span they link to (extra lists those per span, linkParent
// gives theirs), which are Async. Both stay nil, and pathOrder is the tree's
// order, for the common trace without linked top-level spans.
func (b *builder) pathTree() {
	n := len(b.spans)
	linkedRoot := false
	for _, r := range b.t.Roots {
		if len(b.spans[r].Links) > 0 {
			linkedRoot = true
			break
		}
	}
	b.pathOrder = b.order
	if !linkedRoot {
		return
	}
	// rank orders the top-level spans as Roots does (roots, then orphans,
	// by start); top is the top-level span of each span.
	rank := resize(&b.sc.rank, n)
	for k, r := range b.t.Roots {
		rank[r] = int32(k)
	}
	top := resize(&b.sc.top, n)
	for _, i := range b.order {
		if p := b.spans[i].Parent; p >= 0 {
			top[i] = top[p]
		} else {
			top[i] = int32(i)
		}
	}
	earlier := func(x, y int) bool { // top-level x starts before y
		sx, sy := b.spans[x].CorrectedStart(), b.spans[y].CorrectedStart()
		return sx < sy || (sx == sy && rank[x] < rank[y])
	}
	b.extra = map[int][]int{}
	b.linkParent = map[int]int{}
	for _, r := range b.t.Roots {
		s := &b.spans[r]
		via := -1
		for _, j := range s.Links {
			if earlier(int(top[j]), r) && (via < 0 || b.spans[j].CorrectedEnd() > b.spans[via].CorrectedEnd()) {
				via = j
			}
		}
		if via >= 0 {
			s.Async = true
			b.linkParent[r] = via
			b.extra[via] = append(b.extra[via], r)
		}
	}
	// Parents before children on the path's tree.
	b.pathOrder = resize(&b.sc.pathOrder, n)[:0]
	for _, r := range b.t.Roots {
		if b.up(r) < 0 {
			b.pathOrder = append(b.pathOrder, r)
		}
	}
	for q := 0; q < len(b.pathOrder); q++ {
		i := b.pathOrder[q]
		b.pathOrder = append(b.pathOrder, b.spans[i].Children...)
		b.pathOrder = append(b.pathOrder, b.extra[i]...)
	}
}

// up is span i's parent on the path's tree, -1 for its roots.
func (b *builder) up(i int) int {
	if p := b.spans[i].Parent; p >= 0 || b.linkParent == nil {
		return p
	}
	if p, ok := b.linkParent[i]; ok {
		return p
	}
	return -1
}

// criticalPath marks the other Async spans (those that outlive their
// parent), Critical, and sets CriticalSelf and Tree.Path (see above).
func (b *builder) criticalPath() {
	n := len(b.spans)
	from := resize(&b.sc.from, n) // clipped intervals
	to := resize(&b.sc.to, n)
	// Latest end in the subtree; the start times sortChildren used are
	// done with, so their array is reused.
	fin := resize(&b.sc.starts, n)
	inside := resize(&b.sc.inside, n)
	for _, i := range b.pathOrder {
		s := &b.spans[i]
		from[i], to[i] = s.CorrectedStart(), s.CorrectedEnd()
		inside[i] = true
		if p := b.up(i); p >= 0 {
			if s.Parent >= 0 {
				s.Async = to[i] > b.spans[p].CorrectedEnd()
			}
			from[i] = max(from[i], from[p])
			if !s.Async {
				to[i] = min(to[i], to[p])
			}
			inside[i] = inside[p] && from[i] <= to[i]
		}
		fin[i] = to[i]
	}
	for k := len(b.pathOrder) - 1; k >= 0; k-- {
		if i := b.pathOrder[k]; inside[i] {
			if p := b.up(i); p >= 0 {
				fin[p] = max(fin[p], fin[i])
			}
		}
	}
	// Sorted child lists are carved from one buffer: every span's children
	// and the top-level spans, at most 2n entries, so it never grows.
	buf := resize(&b.sc.kids, 2*n)[:0]
	// byFinish lists the children of v on the path's tree (v == n: the
	// virtual root), latest finish first; sorted when v is first entered.
	byFinish := func(v int) []int {
		start := len(buf)
		if v == n {
			for _, r := range b.t.Roots {
				if b.up(r) < 0 {
					buf = append(buf, r)
				}
			}
		} else {
			buf = append(buf, b.spans[v].Children...)
			buf = append(buf, b.extra[v]...)
		}
		kids := buf[start:len(buf):len(buf)]
		slices.SortFunc(kids, func(x, y int) int {
			if c := cmp.Compare(fin[y], fin[x]); c != 0 {
				return c
			}
			if c := cmp.Compare(from[y], from[x]); c != 0 {
				return c
			}
			return cmp.Compare(x, y)
		})
		return kids
	}
	// The path is a chain from the virtual root, so a stack of frames holds
	// the scan position of every span on it.
	stack := append(b.sc.frames[:0], frame{kids: byFinish(n)})
	path := b.sc.path[:0]
	cur := n
	limit, bounded := int64(0), false
	for {
		f := &stack[len(stack)-1]
		child := -1
		for f.next < len(f.kids) {
			c := f.kids[f.next]
			f.next++
			if inside[c] && (!bounded || fin[c] < limit) {
				child = c
				break
			}
		}
		if child >= 0 {
			cur, bounded = child, false
			b.spans[cur].Critical = true
			path = append(path, cur)
			stack = append(stack, frame{kids: byFinish(cur)})
			continue
		}
		if cur == n {
			break
		}
		limit, bounded = from[cur], true
		stack = stack[:len(stack)-1]
		if cur = b.up(cur); cur < 0 {
			cur = n
		}
	}
	b.sc.frames, b.sc.path = stack[:0], path
	b.t.Path = append(b.t.Path[:0], path...)
	// CriticalSelf: a critical span's clipped interval minus what its
	// critical children's subtrees cover of it. The parent of a critical
	// span is critical, so every critical span is counted once.
	for _, i := range path {
		s := &b.spans[i]
		s.CriticalSelf += to[i] - from[i]
		if p := b.up(i); p >= 0 {
			b.spans[p].CriticalSelf -= max(0, min(fin[i], to[p])-max(from[i], from[p]))
		}
	}
}
