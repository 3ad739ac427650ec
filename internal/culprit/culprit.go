// Package culprit names who made a trace fail or slow: which ERROR spans
// are where a failure starts (own errors) and which only pass on a child's
// failure (propagated), the service where the trace's failure started, and
// the service holding the largest share of the critical path.
//
// The rules are documented with examples in docs/attributes.md
// ("Culprits"). The layout processor writes the verdict as attributes; the
// svg exporter and the renderer compute it with Analyze when layout is not
// in the pipeline, so every picture and every tag comes from one rule.
package culprit

import (
	"github.com/tracemap/tracemap/internal/heat"
	"github.com/tracemap/tracemap/internal/spantree"
)

// Attributes written by WriteAttributes (docs/attributes.md).
const (
	// AttrOwnError (span bool, only when true): the span is ERROR and no
	// child of it is: the failure starts here.
	AttrOwnError = "tracemap.error.own"
	// AttrError (top-level span string): the service where the trace's
	// failure started; absent when the trace did not fail.
	AttrError = "tracemap.culprit.error"
	// AttrLatency (top-level span string): the service holding the largest
	// share of the critical path's time.
	AttrLatency = "tracemap.culprit.latency"
	// AttrLatencyShare (top-level span double 0..1): that share of the
	// trace's duration.
	AttrLatencyShare = "tracemap.culprit.latency_share"
)

// Verdict is what Analyze says about one trace.
type Verdict struct {
	// Own is per span index: ERROR with no ERROR child, the failure starts
	// here.
	Own []bool
	// Propagated is per span index: ERROR with an ERROR child.
	Propagated []bool
	// Error is the service where the trace's failure started ("" when the
	// trace did not fail): the service of span ErrorSpan, or the peer it
	// called when that is an uninstrumented peer (spantree.Tree.Peer).
	Error string
	// ErrorSpan is the own error the trace's failure is blamed on, -1 when
	// none.
	ErrorSpan int
	// Latency is the service (or uninstrumented peer) holding the largest
	// share of the critical path's time, "" when the path covers no time.
	Latency string
	// LatencyShare is that time over the trace's duration, 0..1.
	LatencyShare float64

	errs []int // the ERROR spans, for WriteOwnErrors
}

// Analyze computes the verdict of one trace.
//
// A span is an own error when it is ERROR and none of its children is
// (heat.IsOwnError, the rule heatmap counts by); an ERROR span with an
// ERROR child is propagated. The trace failed when one
// of its top-level spans (roots, orphans) or of its async spans
// (spantree.Span.Async: their parent did not wait for them) is ERROR; the
// failure's candidates are the own errors joined to such a span by an
// unbroken chain of ERROR parents. A failure absorbed by an OK caller (a
// retry that succeeded, a fallback) still makes an own error, but not the
// trace's failure. Among several candidates the culprit is the one on the
// critical path, else the earliest to end, else the deepest, else the first
// in the input.
func Analyze(t *spantree.Tree) Verdict {
	n := len(t.Spans)
	flags := make([]bool, 2*n)
	v := Verdict{Own: flags[:n:n], Propagated: flags[n:], ErrorSpan: -1}
	for i := range t.Spans {
		s := &t.Spans[i]
		if !s.Error {
			continue
		}
		v.errs = append(v.errs, i)
		childErr := false
		for _, c := range s.Children {
			if t.Spans[c].Error {
				childErr = true
				break
			}
		}
		v.Own[i] = heat.IsOwnError(true, childErr)
		v.Propagated[i] = !v.Own[i]
	}
	if len(v.errs) > 0 {
		v.ErrorSpan = blame(t, &v)
		if v.ErrorSpan >= 0 {
			v.Error = service(t, v.ErrorSpan)
		}
	}
	v.Latency, v.LatencyShare = latency(t)
	return v
}

// service is whom span i's time or failure belongs to: the uninstrumented
// peer it called, else its own service.
func service(t *spantree.Tree, i int) string {
	if peer := t.Peer(i); peer != "" {
		return peer
	}
	return t.Spans[i].Service
}

// blame picks the own error the trace's failure is blamed on, or -1. Each
// own error climbs its chain of ERROR parents to a top-level or async span
// (the trace's failure) or to an OK parent (absorbed); what a climb learns
// is kept per span, so every span is climbed through once.
func blame(t *spantree.Tree, v *Verdict) int {
	const (
		unknown int8 = iota
		fails
		absorbed
	)
	state := make([]int8, len(t.Spans))
	var chain []int
	best := -1
	for _, i := range v.errs {
		if !v.Own[i] {
			continue
		}
		chain = chain[:0]
		verdict := absorbed
		for j := i; ; j = t.Spans[j].Parent {
			s := &t.Spans[j]
			if state[j] != unknown {
				verdict = state[j]
				break
			}
			chain = append(chain, j)
			if !s.Error {
				break
			}
			if s.Parent < 0 || s.Async {
				verdict = fails
				break
			}
		}
		for _, j := range chain {
			state[j] = verdict
		}
		if verdict == fails && (best < 0 || before(&t.Spans[i], &t.Spans[best])) {
			best = i
		}
	}
	return best
}

// before orders failure candidates: critical first, then earliest end,
// then deepest (the input order breaks the remaining ties).
func before(a, b *spantree.Span) bool {
	if a.Critical != b.Critical {
		return a.Critical
	}
	if ea, eb := a.CorrectedEnd(), b.CorrectedEnd(); ea != eb {
		return ea < eb
	}
	return a.Depth > b.Depth
}

// scanLimit is how many services are summed by scanning before a map.
const scanLimit = 16

// latency sums CriticalSelf per service and returns the largest, with its
// share of the trace's duration; ties go to the service met first on the
// path (spantree.Tree.Path).
func latency(t *spantree.Tree) (string, float64) {
	if t.Duration <= 0 {
		return "", 0
	}
	type sum struct {
		name string
		ns   int64
	}
	var (
		buf   [scanLimit]sum // on the stack: most traces touch a few services
		sums  = buf[:0]
		index map[string]int
	)
	for _, i := range t.Path {
		ns := t.Spans[i].CriticalSelf
		if ns <= 0 {
			continue
		}
		name := service(t, i)
		k := -1
		if index != nil {
			if j, ok := index[name]; ok {
				k = j
			}
		} else {
			for j := range sums {
				if sums[j].name == name {
					k = j
					break
				}
			}
		}
		if k < 0 {
			k = len(sums)
			sums = append(sums, sum{name: name})
			if index != nil {
				index[name] = k
			} else if len(sums) > scanLimit {
				index = make(map[string]int, 2*scanLimit)
				for j := range sums {
					index[sums[j].name] = j
				}
			}
		}
		sums[k].ns += ns
	}
	best := -1
	for k := range sums {
		if best < 0 || sums[k].ns > sums[best].ns {
			best = k
		}
	}
	if best < 0 {
		return "", 0
	}
	return sums[best].name, min(1, float64(sums[best].ns)/float64(t.Duration))
}
