package culprit

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracemap/tracemap/internal/spantree"
)

// WriteOwnErrors writes tracemap.error.own onto the own errors of the tree
// v was computed from, replacing earlier values (a trace may pass two
// tracemap collectors). Only ERROR spans can carry a stale one, so only they
// are looked at.
func (v Verdict) WriteOwnErrors(t *spantree.Tree) {
	for _, i := range v.errs {
		attrs := t.Spans[i].Source.Attributes()
		if v.Own[i] {
			attrs.PutBool(AttrOwnError, true)
		} else {
			attrs.Remove(AttrOwnError)
		}
	}
}

// WriteCulprits writes the trace's culprits, replacing earlier values, onto
// every real root of the trace, or onto every orphan when it has no root
// (see Carriers).
func (v Verdict) WriteCulprits(t *spantree.Tree) {
	for _, r := range Carriers(t) {
		attrs := t.Spans[r].Source.Attributes()
		putStr(attrs, AttrError, v.Error)
		putStr(attrs, AttrLatency, v.Latency)
		if v.Latency != "" {
			attrs.PutDouble(AttrLatencyShare, v.LatencyShare)
		} else {
			attrs.Remove(AttrLatencyShare)
		}
	}
}

// Carriers are the spans that carry the trace's culprits: every real root
// (a trace may have several), else, when its root span is missing, every
// orphan. A search by tag then finds the trace once per root, and a trace
// whose root never arrived is still found.
func Carriers(t *spantree.Tree) []int {
	for k, r := range t.Roots {
		if t.Spans[r].Orphan {
			if k == 0 {
				return t.Roots
			}
			return t.Roots[:k]
		}
	}
	return t.Roots
}

// putStr puts a non-empty value and removes the key for an empty one.
func putStr(attrs pcommon.Map, key, val string) {
	if val == "" {
		attrs.Remove(key)
		return
	}
	attrs.PutStr(key, val)
}
