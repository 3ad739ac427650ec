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

// walkRows lists rows depth first. In mergeByKey mode it never fails: rows
// past the budget are folded into an overflow row; in the other modes it
// reports false as soon as the budget is exceeded. Each span is visited at
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
	var roots []int32
	for _, r := range t.Roots {
		roots = take(roots, r)
	}

	var rows []row
	var overflow []int32
	var stack []pending
	push := func(depth int, spans []int32, byKey bool) {
		groups := groupSiblings(t, spans, mode, byKey)
		for i := len(groups) - 1; i >= 0; i-- {
			stack = append(stack, pending{depth, groups[i]})
		}
	}
	push(0, roots, mode == mergeByKey)
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if mode == mergeByKey && len(rows) >= budget-1 {
			overflow = append(overflow, p.members...)
		} else {
			rows = append(rows, row{depth: p.depth, members: p.members})
			if len(rows) > budget {
				return nil, false
			}
		}
		var kids []int32
		for _, m := range p.members {
			for _, c := range t.Spans[m].Children {
				kids = take(kids, c)
			}
		}
		// Children of a merged row are the collapsed subtrees: merge by key.
		push(p.depth+1, kids, mode == mergeByKey || len(p.members) > 1)
	}
	if len(overflow) > 0 {
		rows = append(rows, row{members: overflow, overflow: true})
	}
	return rows, true
}

// groupSiblings splits spans (siblings, in order) into rows: one each in
// perSpan mode, else runs of the same service and name, or all spans of the
// same service and name (in order of first appearance) when byKey.
func groupSiblings(t *spantree.Tree, spans []int32, mode mergeMode, byKey bool) [][]int32 {
	if len(spans) == 0 {
		return nil
	}
	key := func(i int32) rowKey { return rowKey{t.Spans[i].Service, t.Spans[i].Name} }
	var groups [][]int32
	switch {
	case mode == perSpan:
		groups = make([][]int32, len(spans))
		for i := range spans {
			groups[i] = spans[i : i+1 : i+1]
		}
	case !byKey:
		start := 0
		for i := 1; i <= len(spans); i++ {
			if i == len(spans) || key(spans[i]) != key(spans[start]) {
				groups = append(groups, spans[start:i:i])
				start = i
			}
		}
	default:
		at := make(map[rowKey]int)
		for _, s := range spans {
			k := key(s)
			g, ok := at[k]
			if !ok {
				g = len(groups)
				at[k] = g
				groups = append(groups, nil)
			}
			groups[g] = append(groups[g], s)
		}
	}
	return groups
}
