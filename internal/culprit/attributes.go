package culprit

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracemap/tracemap/internal/spantree"
)

// WriteAttributes writes the verdict onto the trace's spans, replacing
// earlier values (a trace may pass two tracemap collectors):
// tracemap.error.own on own errors, and the trace's culprits on every
// top-level span (each root and orphan, so that a search by tag finds the
// trace whichever of its parts carries the tag). Only ERROR spans can carry
// a stale tracemap.error.own, so only they are looked at.
func (v Verdict) WriteAttributes(t *spantree.Tree) {
	for i := range t.Spans {
		if !t.Spans[i].Error {
			continue
		}
		attrs := t.Spans[i].Source.Attributes()
		if v.Own[i] {
			attrs.PutBool(AttrOwnError, true)
		} else {
			attrs.Remove(AttrOwnError)
		}
	}
	for _, r := range t.Roots {
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

// putStr puts a non-empty value and removes the key for an empty one.
func putStr(attrs pcommon.Map, key, val string) {
	if val == "" {
		attrs.Remove(key)
		return
	}
	attrs.PutStr(key, val)
}
