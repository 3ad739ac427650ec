// Package dedupe remembers which pieces of trace data the exporter has
// already counted, so that a batch retried after a failed write is drawn
// again but not counted twice in the service map and statistics.
package dedupe

import (
	"encoding/binary"
	"hash/fnv"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/tracemap/tracemap/internal/spantree"
)

// Set holds the fingerprints of the last Cap trees seen (oldest forgotten
// first). Not safe for concurrent use.
type Set struct {
	ring []uint64
	pos  int
	set  map[uint64]struct{}
}

// New remembers up to capacity fingerprints.
func New(capacity int) *Set {
	return &Set{ring: make([]uint64, 0, capacity), set: make(map[uint64]struct{}, capacity)}
}

// Fingerprint identifies the spans of one trace (spantree.GroupByTrace's
// group) by its trace ID and the IDs and start times of its spans: a retry
// carries exactly the same spans, while a later batch of the same trace
// carries others.
func Fingerprint(id pcommon.TraceID, refs []spantree.Ref) uint64 {
	h := fnv.New64a()
	h.Write(id[:])
	var b [8]byte
	for _, r := range refs {
		sid := r.Span.SpanID()
		h.Write(sid[:])
		binary.LittleEndian.PutUint64(b[:], uint64(r.Span.StartTimestamp()))
		h.Write(b[:])
	}
	return h.Sum64()
}

// Add records fp and reports whether it was new.
func (s *Set) Add(fp uint64) bool {
	if _, ok := s.set[fp]; ok {
		return false
	}
	if len(s.ring) < cap(s.ring) {
		s.ring = append(s.ring, fp)
	} else {
		delete(s.set, s.ring[s.pos])
		s.ring[s.pos] = fp
		s.pos = (s.pos + 1) % len(s.ring)
	}
	s.set[fp] = struct{}{}
	return true
}
