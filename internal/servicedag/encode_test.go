package servicedag

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tracemap/tracemap/internal/sugiyama"
)

func sample() *DAG {
	return &DAG{
		Width: 300.25, Height: 180,
		Nodes: []Node{
			{Name: "front,end", Service: "front,end", Spans: 3, Errors: 1, X: 150, Y: 20, W: 90, H: 40},
			{Name: "pay|ment: charge;%x", Service: "pay|ment", Operation: "charge;%x", Spans: 2, Layer: 1, X: 75.5, Y: 100, W: 120, H: 40},
			{Name: "postgres\n", Service: "postgres\n", Virtual: true, Layer: 2, X: 75.5, Y: 160, W: 70, H: 40},
		},
		Edges: []Edge{
			{From: 0, To: 1, Calls: 4, Errors: 2, DurationNs: 1234567, Points: []sugiyama.Point{{X: 150, Y: 40}, {X: 75.5, Y: 80}}},
			{From: 2, To: 0, Calls: 1, Reversed: true},
		},
	}
}

func TestEncodeExact(t *testing.T) {
	want := "v1|300.3 180|" +
		"front%2Cend,,,,3,1,0,150,20,90,40;" +
		"pay%7Cment: charge%3B%25x,pay%7Cment,charge%3B%25x,,2,0,1,75.5,100,120,40;" +
		"postgres%0A,,,v,0,0,2,75.5,160,70,40|" +
		"0,1,,4,2,1234567,150 40 75.5 80;" +
		"2,0,r,1,0,0,"
	if got := sample().Encode(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	d := sample()
	d.Width = 300.3 // what survives rounding
	got, err := Decode(d.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, d) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, d)
	}
	empty, err := Decode((&DAG{}).Encode())
	if err != nil || len(empty.Nodes) != 0 || len(empty.Edges) != 0 {
		t.Errorf("empty: %+v %v", empty, err)
	}
}

// TestDecodeGraph: the graph without its placement, and none of the
// placement's faults; the rest is checked as by Decode.
func TestDecodeGraph(t *testing.T) {
	want := sample()
	want.Width, want.Height = 0, 0
	for i := range want.Nodes {
		n := &want.Nodes[i]
		n.X, n.Y, n.W, n.H = 0, 0, 0, 0
	}
	for i := range want.Edges {
		want.Edges[i].Points = nil
	}
	got, err := DecodeGraph(sample().Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if _, err := DecodeGraph("v1|NaN|a,,,,1,0,0,x,0,0,0|0,0,,1,0,0,1 2 3"); err != nil {
		t.Errorf("placement checked: %v", err)
	}
	if _, err := DecodeGraph("v1|0 0|a,,,,-1,0,0,0,0,0,0|"); err == nil || !strings.Contains(err.Error(), "spans") {
		t.Errorf("counts not checked: %v", err)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{"", "unsupported version"},
		{"v2|0 0||", "unsupported version"},
		{"v1|0 0|", "sections"},
		{"v1|0|", "sections"},
		{"v1|0||", "size"},
		{"v1|NaN 0||", "width"},
		{"v1|0 Inf||", "height"},
		{"v1|0 1e13||", "height"},
		{"v1|0 0|a,,,,1,0,0,0,0,0|", "node 0: 10 fields"},
		{"v1|0 0|a,,,x,1,0,0,0,0,0,0|", "unknown flags"},
		{"v1|0 0|a,,,,-1,0,0,0,0,0,0|", "spans"},
		{"v1|0 0|a%2,,,,1,0,0,0,0,0,0|", "truncated"},
		{"v1|0 0|a%zz,,,,1,0,0,0,0,0,0|", "bad %-escape"},
		{"v1|0 0|a,,,,1,0,0,0,0,0,nan|", "h:"},
		{"v1|0 0|a,,,,1,0,99999999999,0,0,0,0|", "layer"},
		{"v1|0 0|a,,,,1,0,0,0,0,0,0|0,1,,1,0,0,", "to:"},
		{"v1|0 0|a,,,,1,0,0,0,0,0,0|0,0,,1,0,0,1 2 3", "odd number"},
		{"v1|0 0|a,,,,1,0,0,0,0,0,0|0,0,q,1,0,0,", "unknown flags"},
		{"v1|0 0|a,,,,1,0,0,0,0,0,0|0,0,,1,0,", "6 fields"},
	} {
		_, err := Decode(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Decode(%q) = %v, want error containing %q", tc.in, err, tc.err)
		}
	}
}

// FuzzDecode: Decode never panics, and what it accepts re-encodes to a
// string that decodes to the same DAG.
func FuzzDecode(f *testing.F) {
	f.Add(sample().Encode())
	f.Add("v1|0 0||")
	f.Add("v1|1 2|a,,,,1,0,0,0,0,0,0|0,0,,1,0,0,1 2")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Decode(s)
		if err != nil {
			return
		}
		if _, err := DecodeGraph(s); err != nil {
			t.Fatalf("DecodeGraph refuses what Decode accepts: %v", err)
		}
		again, err := Decode(d.Encode())
		if err != nil {
			t.Fatalf("re-encoded DAG does not decode: %v", err)
		}
		if again.Encode() != d.Encode() {
			t.Fatalf("encoding not stable:\n%s\n%s", d.Encode(), again.Encode())
		}
	})
}
