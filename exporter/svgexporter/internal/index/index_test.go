package index

import (
	"reflect"
	"testing"
	"time"
)

func at(sec int) time.Time { return time.Unix(int64(sec), 0).UTC() }

func names(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}

func TestSetNewestFirstBounded(t *testing.T) {
	s := NewSet(3, 2)
	for i, n := range []string{"b", "a", "d", "c", "e"} {
		s.Add("p", Entry{Name: n, Start: at([]int{2, 1, 4, 3, 0}[i])})
	}
	s.Add("p", Entry{Name: "c", Start: at(3), Spans: 7}) // rewrite of one object
	d := s.Dirty()
	if len(d) != 1 || d[0].Prefix != "p" {
		t.Fatalf("Dirty = %+v", d)
	}
	if got := names(d[0].Entries); !reflect.DeepEqual(got, []string{"d", "c", "b"}) {
		t.Fatalf("entries = %v", got)
	}
	if d[0].Entries[1].Spans != 7 {
		t.Fatal("newer entry for the same name did not win")
	}
	if len(s.Dirty()) != 0 {
		t.Fatal("Dirty returned a clean listing")
	}
	s.Failed(d[0])
	if got := s.Dirty(); len(got) != 1 {
		t.Fatalf("Failed listing not returned again: %+v", got)
	}
}

func TestSetEvictsLeastRecentlyUsed(t *testing.T) {
	s := NewSet(10, 2)
	s.Add("x", Entry{Name: "1", Start: at(1)})
	s.Add("y", Entry{Name: "2", Start: at(2)})
	s.Dirty()
	s.Add("x", Entry{Name: "3", Start: at(3)}) // x dirty and recent, y clean
	s.Add("z", Entry{Name: "4", Start: at(4)}) // evicts y (clean): nothing to write
	d := s.Dirty()
	if len(d) != 2 || d[0].Prefix != "x" || d[1].Prefix != "z" {
		t.Fatalf("Dirty = %+v", d)
	}
	s.Add("x", Entry{Name: "5", Start: at(5)})
	s.Add("w", Entry{Name: "6", Start: at(6)}) // evicts z (clean)
	s.Add("v", Entry{Name: "7", Start: at(7)}) // evicts x (dirty): kept for writing
	d = s.Dirty()
	if got := []string{d[0].Prefix, d[1].Prefix, d[2].Prefix}; len(d) != 3 || !reflect.DeepEqual(got, []string{"v", "w", "x"}) {
		t.Fatalf("Dirty after eviction = %+v", d)
	}
	if got := names(d[2].Entries); !reflect.DeepEqual(got, []string{"5", "3", "1"}) {
		t.Fatalf("evicted listing = %v", got)
	}
}

func TestLoadedMergesOnce(t *testing.T) {
	s := NewSet(3, 4)
	s.Add("p", Entry{Name: "new", Start: at(10)})
	old := []Entry{{Name: "o1", Start: at(5)}, {Name: "o2", Start: at(20)}, {Name: "o3", Start: at(1)}}
	s.Loaded("p", old)
	s.Loaded("p", []Entry{{Name: "again", Start: at(30)}})
	d := s.Dirty()
	if !d[0].Loaded {
		t.Fatal("snapshot not marked loaded")
	}
	if got := names(d[0].Entries); !reflect.DeepEqual(got, []string{"o2", "new", "o1"}) {
		t.Fatalf("entries = %v", got)
	}
}

func TestManifestRoundTrip(t *testing.T) {
	es := []Entry{{Name: "a.svg", Kind: "trace", TraceID: "ab", Service: "s", Start: at(3), DurationNs: 5, Spans: 2, Errors: 1}}
	data, err := Encode("traces/x", es)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(data)
	if err != nil || m.Prefix != "traces/x" || !reflect.DeepEqual(m.Entries, es) {
		t.Fatalf("Decode = %+v, %v", m, err)
	}
	if _, err := Decode([]byte(`{"version":9}`)); err == nil {
		t.Fatal("unknown version accepted")
	}
	if _, err := Decode([]byte(`{`)); err == nil {
		t.Fatal("bad JSON accepted")
	}
}
