// Package colorscale holds tracemap's colours: the scales that map a value
// in 0..1 (an error rate, usually) to a colour, and the categorical palette
// that gives each service its colour (see Services).
//
// The default scale, heat, reads as heat without a legend: neutral grey at
// 0, through yellow and orange to dark red at 1, lightness falling
// monotonically, so it stays ordered under every colour-vision deficiency
// and in greyscale. viridis, inferno and cividis (perceptually uniform, from
// their published 256-entry tables) and the seed design's HSL blue ->
// yellow -> red ramp remain as options.
package colorscale

import (
	"fmt"
	"math"
	"strings"
)

// Names of the scales, as written in configuration.
const (
	Heat    = "heat"
	Viridis = "viridis"
	Inferno = "inferno"
	Cividis = "cividis"
	HSL     = "hsl"

	// Default is the scale used when none is configured.
	Default = Heat
)

// Names lists every scale Lookup accepts, default first.
func Names() []string { return []string{Heat, Viridis, Inferno, Cividis, HSL} }

// Color is an 8-bit sRGB colour.
type Color struct{ R, G, B uint8 }

// Hex returns the colour as #rrggbb (lower case), the form SVG and CSS take.
func (c Color) Hex() string {
	const digits = "0123456789abcdef"
	return string([]byte{'#',
		digits[c.R>>4], digits[c.R&15],
		digits[c.G>>4], digits[c.G&15],
		digits[c.B>>4], digits[c.B&15]})
}

// Scale maps 0..1 to a colour. The zero value is the default scale.
type Scale struct{ name string }

// Lookup returns the scale with the given name (case-insensitive, surrounding
// blanks ignored); the empty name gives Default.
func Lookup(name string) (Scale, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		n = Default
	}
	for _, known := range Names() {
		if n == known {
			return Scale{name: n}, nil
		}
	}
	return Scale{}, fmt.Errorf("unknown colour scale %q (want one of %s)", name, strings.Join(Names(), ", "))
}

// Name is the scale's configuration name.
func (s Scale) Name() string {
	if s.name == "" {
		return Default
	}
	return s.name
}

// At returns the colour for v. Values outside 0..1 are clamped and NaN counts
// as 0, so a broken statistic never breaks a picture.
func (s Scale) At(v float64) Color {
	if !(v > 0) { // also NaN
		v = 0
	} else if v > 1 {
		v = 1
	}
	switch s.Name() {
	case Inferno:
		return fromTable(&infernoTable, v)
	case Cividis:
		return fromTable(&cividisTable, v)
	case HSL:
		return hslRamp(v)
	case Viridis:
		return fromTable(&viridisTable, v)
	default:
		return heatRamp(v)
	}
}

// heatAnchors are the heat scale's colours at fixed positions; in between
// it is interpolated linearly in CIELAB. The positions put the legend's
// steps (rates 0, 1%, 5%, 25%, 100% at levels 0, 0.1, 0.22, 0.5, 1 on the
// square-root axis the renderer uses) on clearly different colours. The
// hues follow ColorBrewer's YlOrRd; the start is a neutral grey, so a
// service without errors does not look warm. Lightness (L*) falls from 95
// to 24 along the scale.
var heatAnchors = [...]struct {
	at float64
	c  Color
}{
	{0, Color{0xf7, 0xf7, 0xf5}},
	{0.1, Color{0xfc, 0xd2, 0x62}},
	{0.22, Color{0xf8, 0xa0, 0x3c}},
	{0.5, Color{0xee, 0x55, 0x28}},
	{0.75, Color{0xc0, 0x18, 0x28}},
	{1, Color{0x6e, 0x08, 0x1c}},
}

func heatRamp(v float64) Color {
	for i := 1; i < len(heatAnchors); i++ {
		a, b := heatAnchors[i-1], heatAnchors[i]
		if v <= b.at {
			t := (v - a.at) / (b.at - a.at)
			la, lb := a.c.Lab(), b.c.Lab()
			return Lab{la.L + t*(lb.L-la.L), la.A + t*(lb.A-la.A), la.B + t*(lb.B-la.B)}.Color()
		}
	}
	return heatAnchors[len(heatAnchors)-1].c
}

// fromTable picks the entry the way matplotlib's ListedColormap does:
// index floor(v*N), with v == 1 mapped to the last entry.
func fromTable(t *[256][3]float64, v float64) Color {
	i := int(v * 256)
	if i > 255 {
		i = 255
	}
	e := t[i]
	return Color{to8(e[0]), to8(e[1]), to8(e[2])}
}

func to8(c float64) uint8 { return uint8(math.Round(c * 255)) }

// hslRamp is the seed design's ramp: full saturation, half lightness, hue
// 240 (blue) at 0, 60 (yellow) at 0.5 and 0 (red) at 1, linear in between.
func hslRamp(v float64) Color {
	var hue float64
	if v <= 0.5 {
		hue = 240 - 360*v // 240 -> 60
	} else {
		hue = 120 * (1 - v) // 60 -> 0
	}
	return hsl(hue, 1, 0.5)
}

// hsl converts hue in degrees, saturation and lightness in 0..1 to sRGB
// (the CSS Color 3 algorithm).
func hsl(h, s, l float64) Color {
	c := (1 - math.Abs(2*l-1)) * s
	hp := h / 60
	x := c * (1 - math.Abs(math.Mod(hp, 2)-1))
	var r, g, b float64
	switch {
	case hp < 1:
		r, g = c, x
	case hp < 2:
		r, g = x, c
	case hp < 3:
		g, b = c, x
	case hp < 4:
		g, b = x, c
	case hp < 5:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := l - c/2
	return Color{to8(r + m), to8(g + m), to8(b + m)}
}
