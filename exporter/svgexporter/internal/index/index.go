// Package index keeps, per key prefix, the newest pictures written there,
// so that a listing (index.json, index.html) can be written next to them.
// Memory is bounded by the number of prefixes and entries per prefix.
package index

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Version of the index.json format.
const Version = 1

// Entry is one picture in a listing.
type Entry struct {
	Name       string    `json:"name"` // object name relative to the prefix
	Kind       string    `json:"kind"` // "trace" or "service_map"
	TraceID    string    `json:"trace_id,omitempty"`
	Service    string    `json:"service,omitempty"`
	Operation  string    `json:"operation,omitempty"`
	Start      time.Time `json:"start"`
	DurationNs int64     `json:"duration_ns"`
	Spans      int64     `json:"spans"`
	Errors     int64     `json:"errors"`
}

// Manifest is the index.json document.
type Manifest struct {
	Version int     `json:"version"`
	Prefix  string  `json:"prefix"`
	Entries []Entry `json:"entries"` // newest first
}

// Decode reads an index.json document.
func Decode(data []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return Manifest{}, err
	}
	if m.Version != Version {
		return Manifest{}, fmt.Errorf("index.json version %d, want %d", m.Version, Version)
	}
	return m, nil
}

// Encode writes an index.json document.
func Encode(prefix string, entries []Entry) ([]byte, error) {
	if entries == nil {
		entries = []Entry{}
	}
	return json.MarshalIndent(Manifest{Version: Version, Prefix: prefix, Entries: entries}, "", " ")
}

// Merge returns the newest max entries of a and b, newest first, one per
// name (a wins over b for the same name).
func Merge(a, b []Entry, max int) []Entry {
	seen := make(map[string]bool, len(a)+len(b))
	out := make([]Entry, 0, min(len(a)+len(b), max+1))
	for _, list := range [][]Entry{a, b} {
		for _, e := range list {
			if !seen[e.Name] {
				seen[e.Name] = true
				out = append(out, e)
			}
		}
	}
	sortNewestFirst(out)
	if len(out) > max {
		out = out[:max]
	}
	return out
}

func sortNewestFirst(es []Entry) {
	sort.SliceStable(es, func(i, j int) bool { return newer(es[i], es[j]) })
}

// newer orders a listing: newest first, then by name.
func newer(a, b Entry) bool {
	if !a.Start.Equal(b.Start) {
		return a.Start.After(b.Start)
	}
	return a.Name < b.Name
}

// Snapshot is a prefix's listing to write.
type Snapshot struct {
	Prefix  string
	Entries []Entry
	// Loaded is false until a listing already in the bucket has been merged
	// in (see Set.Loaded); the writer reads the old index.json first.
	Loaded bool
}

type list struct {
	entries []Entry // newest first, at most max
	dirty   bool
	loaded  bool
	touched uint64
}

// Set is the listings of all prefixes. It is not safe for concurrent use;
// the exporter guards it.
type Set struct {
	max, maxPrefixes int
	lists            map[string]*list
	clock            uint64
	// evicted holds dirty listings pushed out by newer prefixes until the
	// next Dirty call writes them.
	evicted []Snapshot
	// Dropped counts dirty listings lost because even evicted was full.
	Dropped int
}

// NewSet keeps up to maxEntries entries for each of up to maxPrefixes prefixes.
func NewSet(maxEntries, maxPrefixes int) *Set {
	return &Set{max: maxEntries, maxPrefixes: maxPrefixes, lists: make(map[string]*list)}
}

// Add records a picture under prefix.
func (s *Set) Add(prefix string, e Entry) {
	l := s.lists[prefix]
	if l == nil {
		s.evict()
		l = &list{}
		s.lists[prefix] = l
	}
	s.clock++
	l.touched = s.clock
	// In place, without Merge's map: this runs for every picture.
	for i := range l.entries {
		if l.entries[i].Name == e.Name {
			l.entries = slices.Delete(l.entries, i, i+1)
			break
		}
	}
	pos := sort.Search(len(l.entries), func(i int) bool { return newer(e, l.entries[i]) })
	if pos >= s.max {
		return // older than every kept entry of a full listing
	}
	l.dirty = true
	l.entries = slices.Insert(l.entries, pos, e)
	if len(l.entries) > s.max {
		l.entries = l.entries[:s.max]
	}
}

// evict makes room for one more prefix, dropping the least recently used.
func (s *Set) evict() {
	for len(s.lists) >= s.maxPrefixes {
		var oldest string
		var ol *list
		for p, l := range s.lists {
			if ol == nil || l.touched < ol.touched {
				oldest, ol = p, l
			}
		}
		delete(s.lists, oldest)
		if ol.dirty {
			if len(s.evicted) < s.maxPrefixes {
				s.evicted = append(s.evicted, Snapshot{Prefix: oldest, Entries: ol.entries, Loaded: ol.loaded})
			} else {
				s.Dropped++
			}
		}
	}
}

// Dirty returns the listings changed since they were last returned and
// marks them clean. A writer that fails calls Failed to get them back.
func (s *Set) Dirty() []Snapshot {
	out := s.evicted
	s.evicted = nil
	for p, l := range s.lists {
		if l.dirty {
			l.dirty = false
			out = append(out, Snapshot{Prefix: p, Entries: append([]Entry(nil), l.entries...), Loaded: l.loaded})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Prefix < out[j].Prefix })
	return out
}

// Loaded merges the listing found in the bucket for prefix (once).
func (s *Set) Loaded(prefix string, old []Entry) {
	l := s.lists[prefix]
	if l == nil || l.loaded {
		return
	}
	l.loaded = true
	l.entries = Merge(l.entries, old, s.max)
}

// Failed marks prefix dirty again after a failed write, so the next Dirty
// returns it.
func (s *Set) Failed(snap Snapshot) {
	if l := s.lists[snap.Prefix]; l != nil {
		l.dirty = true
		return
	}
	if len(s.evicted) < s.maxPrefixes {
		s.evicted = append(s.evicted, snap)
	} else {
		s.Dropped++
	}
}
