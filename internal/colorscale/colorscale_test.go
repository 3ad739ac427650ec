package colorscale

import (
	"math"
	"testing"
)

func TestLookup(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", Heat},
		{"heat", Heat},
		{"viridis", Viridis},
		{" Inferno ", Inferno},
		{"CIVIDIS", Cividis},
		{"hsl", HSL},
	} {
		s, err := Lookup(tc.in)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", tc.in, err)
		}
		if s.Name() != tc.want {
			t.Errorf("Lookup(%q).Name() = %q, want %q", tc.in, s.Name(), tc.want)
		}
	}
	if _, err := Lookup("jet"); err == nil || err.Error() != `unknown colour scale "jet" (want one of heat, viridis, inferno, cividis, hsl)` {
		t.Errorf("Lookup(jet) error = %v", err)
	}
	if (Scale{}).Name() != Default {
		t.Errorf("zero Scale is %q, want the default", (Scale{}).Name())
	}
}

// The end points and the middle entry of each table, converted to 8 bits, are
// the published colours (matplotlib's to_hex of the same entries).
func TestTablesExact(t *testing.T) {
	for _, tc := range []struct {
		scale string
		v     float64
		want  string
	}{
		{Viridis, 0, "#440154"},
		{Viridis, 0.5, "#21918c"},
		{Viridis, 1, "#fde725"},
		{Inferno, 0, "#000004"},
		{Inferno, 0.5, "#bc3754"},
		{Inferno, 1, "#fcffa4"},
		{Cividis, 0, "#00224e"},
		{Cividis, 0.5, "#7d7c78"},
		{Cividis, 1, "#fee838"},
		// Out of range and NaN clamp.
		{Viridis, -3, "#440154"},
		{Viridis, 7, "#fde725"},
		{Viridis, math.NaN(), "#440154"},
		// floor(v*256): 0.25 is entry 64.
		{Viridis, 0.25, "#3b528b"},
	} {
		s, _ := Lookup(tc.scale)
		if got := s.At(tc.v).Hex(); got != tc.want {
			t.Errorf("%s.At(%v) = %s, want %s", tc.scale, tc.v, got, tc.want)
		}
	}
	for name, tab := range map[string]*[256][3]float64{Viridis: &viridisTable, Inferno: &infernoTable, Cividis: &cividisTable} {
		for i, e := range tab {
			for _, c := range e {
				if c < 0 || c > 1 {
					t.Fatalf("%s[%d] = %v outside 0..1", name, i, e)
				}
			}
		}
	}
}

func TestHSLRamp(t *testing.T) {
	s, _ := Lookup(HSL)
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "#0000ff"},    // blue
		{0.25, "#00ff80"}, // hue 150, on the way through green
		{0.5, "#ffff00"},  // yellow
		{0.75, "#ff8000"}, // orange
		{1, "#ff0000"},    // red
	} {
		if got := s.At(tc.v).Hex(); got != tc.want {
			t.Errorf("hsl.At(%v) = %s, want %s", tc.v, got, tc.want)
		}
	}
}

// Perceptual scales must get lighter as v grows (that is what makes them
// readable in grey and for colour-blind readers).
func TestMonotoneLightness(t *testing.T) {
	for _, name := range []string{Viridis, Inferno, Cividis} {
		s, _ := Lookup(name)
		prev := -1.0
		for i := 0; i <= 16; i++ {
			c := s.At(float64(i) / 16)
			l := 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)
			if l <= prev {
				t.Errorf("%s: luminance not increasing at %d/16 (%v <= %v)", name, i, l, prev)
			}
			prev = l
		}
	}
}
