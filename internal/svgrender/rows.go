package svgrender

import (
	"math"

	"github.com/tracemap/tracemap/internal/spantree"
)

// The timeline shows one row per span while the trace fits the row budget.
// Above it, rows are merged in steps until they fit, so the number of rows
// depends on the trace's shape (depth x distinct calls), not its span count:
//
//  1. mergeConsecutive: consecutive siblings with the same service and name
//     share one "xN" row, and the subtrees under a merged row are collapsed
//     into one: their children are merged by service and name, recursively
//     (a loop of 1000 "GET /item" calls, each doing a query, is two rows);
//  2. mergeByKey: all siblings with the same service and name are merged,
//     consecutive or not;
//  3. truncate: the rows past the budget go into one last row that shows
//     every remaining span.
type mergeMode int

const (
	perSpan mergeMode = iota
	mergeConsecutive
	mergeByKey
)

// row is one line of the timeline.
type row struct {
	depth    int
	members  []int32 // spans drawn on the row, in traversal order
	overflow bool    // the catch-all row past the budget
}

// layoutRows picks the least merging that fits the budget.
func layoutRows(t *spantree.Tree, budget int) ([]row, mergeMode) {
	if len(t.Spans) <= budget {
		rows, _ := walkRows(t, perSpan, budget)
		return rows, perSpan
	}
	if rows, ok := walkRows(t, mergeConsecutive, budget); ok {
		return rows, mergeConsecutive
	}
	rows, _ := walkRows(t, mergeByKey, budget)
	return rows, mergeByKey
}

type rowKey struct{ service, name string }

type pending struct {
	depth   int
	members []int32
}

// walkRows lists rows depth first. In mergeByKey mode it never fails: the
// spans that would need rows past the budget, with everything under them,
// are folded into an overflow row; in the other modes it reports false as
// soon as the budget would be exceeded. Work and memory stay proportional
// to the spans plus the budget, whatever the shape. Each span is visited at
// most once, so a malformed tree (a cycle, a child listed twice, an index
// out of range) can neither loop nor repeat.
func walkRows(t *spantree.Tree, mode mergeMode, budget int) ([]row, bool) {
	n := len(t.Spans)
	seen := make([]bool, n)
	take := func(dst []int32, idx int) []int32 {
		if idx < 0 || idx >= n || idx > math.MaxInt32 || seen[idx] {
			return dst
		}
		seen[idx] = true
		return append(dst, int32(idx))
	}
	children := func(dst []int32, members []int32) []int32 {
		for _, m := range members {
			for _, c := range t.Spans[m].Children {
				dst = take(dst, c)
			}
		}
		return dst
	}

	var rows []row
	var overflow, spill []int32
	var stack []pending
	// Every pending group gets a row before anything below it on the stack,
	// so groups beyond the free rows can never get one.
	free := func() int {
		if mode == mergeByKey {
			return budget - 1 - len(rows) - len(stack) // the last row is the overflow row
		}
		return budget - len(rows) - len(stack)
	}
	push := func(depth int, spans []int32, byKey bool) bool {
		groups, rest := groupSiblings(t, spans, mode, byKey, free())
		if len(rest) > 0 {
			if mode != mergeByKey {
				return false
			}
			// rest and all its descendants go to the overflow row.
			for i := len(overflow); ; i++ {
				overflow = append(overflow, rest...)
				if i >= len(overflow) {
					break
				}
				spill = children(spill[:0], overflow[i:i+1])
				rest = spill
			}
		}
		for i := len(groups) - 1; i >= 0; i-- {
			stack = append(stack, pending{depth, groups[i]})
		}
		return true
	}
	var roots []int32
	for _, r := range t.Roots {
		roots = take(roots, r)
	}
	if !push(0, roots, mode == mergeByKey) {
		return nil, false
	}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		rows = append(rows, row{depth: p.depth, members: p.members})
		// Children of a merged row are the collapsed subtrees: merge by key.
		if !push(p.depth+1, children(nil, p.members), mode == mergeByKey || len(p.members) > 1) {
			return nil, false
		}
	}
	if len(overflow) > 0 {
		rows = append(rows, row{members: overflow, overflow: true})
	}
	return rows, true
}

// groupSiblings splits spans (siblings, in order) into at most limit rows:
// one each in perSpan mode, else runs of the same service and name, or all
// spans of the same service and name (in order of first appearance) when
// byKey. Spans that would start a group past the limit are returned as rest.
func groupSiblings(t *spantree.Tree, spans []int32, mode mergeMode, byKey bool, limit int) (groups [][]int32, rest []int32) {
	key := func(i int32) rowKey { return rowKey{t.Spans[i].Service, t.Spans[i].Name} }
	switch {
	case mode == perSpan:
		for i := range spans {
			if len(groups) == limit {
				return groups, spans[i:]
			}
			groups = append(groups, spans[i:i+1:i+1])
		}
	case !byKey:
		start := 0
		for i := 1; i <= len(spans); i++ {
			if i == len(spans) || key(spans[i]) != key(spans[start]) {
				if len(groups) == limit {
					return groups, spans[start:]
				}
				groups = append(groups, spans[start:i:i])
				start = i
			}
		}
	default:
		var at map[rowKey]int // only for long sibling lists
		find := func(k rowKey) (int, bool) {
			if at != nil {
				g, ok := at[k]
				return g, ok
			}
			for g := range groups {
				if key(groups[g][0]) == k {
					return g, true
				}
			}
			return 0, false
		}
		for _, s := range spans {
			k := key(s)
			g, ok := find(k)
			if !ok {
				if len(groups) >= limit {
					rest = append(rest, s)
					continue
				}
				g = len(groups)
				groups = append(groups, nil)
				if at != nil {
					at[k] = g
				} else if g == 8 {
					at = make(map[rowKey]int, 16)
					for i := range groups[:g] {
						at[key(groups[i][0])] = i
					}
					at[k] = g
				}
			}
			groups[g] = append(groups[g], s)
		}
	}
	return groups, rest
}
