package colorscale

import (
	"math"
	"testing"
)

// Machado, Oliveira and Fernandes (2009), "A Physiologically-based Model
// for Simulation of Color Vision Deficiency": the severity 1.0 matrices,
// applied to linear-light sRGB.
var cvd = map[string][3][3]float64{
	"normal": {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}},
	"protanopia": {
		{0.152286, 1.052583, -0.204868},
		{0.114503, 0.786281, 0.099216},
		{-0.003882, -0.048116, 1.051998},
	},
	"deuteranopia": {
		{0.367322, 0.860646, -0.227968},
		{0.280085, 0.672501, 0.047413},
		{-0.011820, 0.042940, 0.968881},
	},
	"tritanopia": {
		{1.255528, -0.076749, -0.178779},
		{-0.078411, 0.930809, 0.147602},
		{0.004733, 0.691367, 0.303900},
	},
	// Greyscale: the luminance, as a printer or a monochrome screen shows it.
	"greyscale": {
		{0.2126729, 0.7151522, 0.0721750},
		{0.2126729, 0.7151522, 0.0721750},
		{0.2126729, 0.7151522, 0.0721750},
	},
}

var visions = []string{"normal", "protanopia", "deuteranopia", "tritanopia", "greyscale"}

// seen is the colour as a person with the given vision perceives it, in CIELAB.
func seen(c Color, vision string) Lab {
	m, rgb := cvd[vision], c.Linear()
	var out [3]float64
	for i := range out {
		out[i] = min(max(m[i][0]*rgb[0]+m[i][1]*rgb[1]+m[i][2]*rgb[2], 0), 1)
	}
	return LabOfLinear(out)
}

// minLegendDeltaE is the smallest ΔE*ab (CIE 1976) allowed between
// adjacent steps of the heat legend under any simulated vision: 10 is
// well above the just-noticeable difference (about 2.3) for side-by-side
// patches and keeps steps apart on a node seen alone.
const minLegendDeltaE = 10

// The default scale's legend steps, rates 0, 1%, 5%, 25% and 100% on the
// renderer's square-root axis, stay apart under normal vision, the three
// dichromacies and in greyscale; its lightness falls monotonically along
// the whole scale and it starts neutral (chroma below 3).
func TestHeatScaleUnderColourVisionDeficiency(t *testing.T) {
	s := Scale{}
	rates := []float64{0, 0.01, 0.05, 0.25, 1}
	for _, vision := range visions {
		for i := 1; i < len(rates); i++ {
			a, b := s.At(math.Sqrt(rates[i-1])), s.At(math.Sqrt(rates[i]))
			d := DeltaE(seen(a, vision), seen(b, vision))
			if d < minLegendDeltaE {
				t.Errorf("%s: %v%% %s and %v%% %s are ΔE %.1f apart, want >= %d", vision, rates[i-1]*100, a.Hex(), rates[i]*100, b.Hex(), d, minLegendDeltaE)
			}
			t.Logf("%s: %v%% -> %v%%: ΔE %.1f", vision, rates[i-1]*100, rates[i]*100, d)
		}
	}
	prev := math.Inf(1)
	for i := 0; i <= 100; i++ {
		l := s.At(float64(i) / 100).Lab()
		if l.L >= prev {
			t.Errorf("lightness not falling at %d%%: L* %.2f after %.2f", i, l.L, prev)
		}
		prev = l.L
	}
	if z := s.At(0).Lab(); math.Hypot(z.A, z.B) > 3 {
		t.Errorf("0 is %s with chroma %.1f, want neutral", s.At(0).Hex(), math.Hypot(z.A, z.B))
	}
}

// minPaletteDeltaE is the least ΔE between two service colours under
// normal vision and the three dichromacies.
const minPaletteDeltaE = 10

// Services: a service's colour comes from its name (the same slot in every
// picture it has to itself), collisions move the later name in name order
// to the next free slot, and within one picture of up to 7 services no two
// share a colour; repeated names share theirs.
func TestServicesStableAndDistinct(t *testing.T) {
	got := Services([]string{"frontend", "checkout", "payment", "frontend"})
	if got[0] != ServiceSlot("frontend") || got[3] != got[0] {
		t.Errorf("frontend got %v, want its own slot %d twice", got, ServiceSlot("frontend"))
	}
	// Alone or with others, frontend keeps its colour.
	if alone := Services([]string{"frontend"}); alone[0] != got[0] {
		t.Errorf("frontend alone %d, with others %d", alone[0], got[0])
	}
	// Two names with one preferred slot: the first in name order keeps it.
	var a, b string
	for i := 0; b == ""; i++ {
		n := "svc-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		switch {
		case a == "":
			a = n
		case ServiceSlot(n) == ServiceSlot(a):
			b = n
		}
	}
	pair := Services([]string{b, a})
	if pair[1] != ServiceSlot(a) || pair[0] != (ServiceSlot(a)+1)%len(ServicePalette) {
		t.Errorf("%s and %s both prefer %d: got %v, want %s to keep it and %s to take the next", a, b, ServiceSlot(a), pair, a, b)
	}
	seven := Services([]string{"a", "b", "c", "d", "e", "f", "g"})
	seenSlot := map[int]bool{}
	for _, k := range seven {
		seenSlot[k] = true
	}
	if len(seenSlot) != 7 {
		t.Errorf("7 services got slots %v: want 7 different", seven)
	}
	// Every pair of palette colours stays apart under every simulated vision.
	for _, vision := range visions[:4] {
		for i := range ServicePalette {
			for j := i + 1; j < len(ServicePalette); j++ {
				if d := DeltaE(seen(ServicePalette[i], vision), seen(ServicePalette[j], vision)); d < minPaletteDeltaE {
					t.Errorf("%s: %s and %s are ΔE %.1f apart, want >= %d", vision, ServicePalette[i].Hex(), ServicePalette[j].Hex(), d, minPaletteDeltaE)
				}
			}
		}
	}
}
