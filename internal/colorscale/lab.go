package colorscale

import "math"

// Lab is a colour in CIELAB (D65 white), the space in which distances
// approximate perceived differences (ΔE*ab, CIE 1976).
type Lab struct{ L, A, B float64 }

// linear converts an 8-bit sRGB component to linear light in 0..1.
func linear(c uint8) float64 {
	v := float64(c) / 255
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

// encode converts linear light to an 8-bit sRGB component (clamped).
func encode(v float64) uint8 {
	v = min(max(v, 0), 1)
	if v <= 0.0031308 {
		v *= 12.92
	} else {
		v = 1.055*math.Pow(v, 1/2.4) - 0.055
	}
	return uint8(math.Round(v * 255))
}

// Linear returns the colour's linear-light RGB components.
func (c Color) Linear() [3]float64 { return [3]float64{linear(c.R), linear(c.G), linear(c.B)} }

// FromLinear is the sRGB colour of linear-light components (clamped).
func FromLinear(rgb [3]float64) Color { return Color{encode(rgb[0]), encode(rgb[1]), encode(rgb[2])} }

// D65 reference white.
const xn, yn, zn = 0.95047, 1.0, 1.08883

func labF(t float64) float64 {
	if t > 216.0/24389 {
		return math.Cbrt(t)
	}
	return (24389.0/27*t + 16) / 116
}

func labFInv(t float64) float64 {
	if t3 := t * t * t; t3 > 216.0/24389 {
		return t3
	}
	return (116*t - 16) * 27 / 24389
}

// LabOfLinear converts linear-light sRGB to CIELAB.
func LabOfLinear(rgb [3]float64) Lab {
	r, g, b := rgb[0], rgb[1], rgb[2]
	x := 0.4124564*r + 0.3575761*g + 0.1804375*b
	y := 0.2126729*r + 0.7151522*g + 0.0721750*b
	z := 0.0193339*r + 0.1191920*g + 0.9503041*b
	fx, fy, fz := labF(x/xn), labF(y/yn), labF(z/zn)
	return Lab{L: 116*fy - 16, A: 500 * (fx - fy), B: 200 * (fy - fz)}
}

// Lab converts the colour to CIELAB.
func (c Color) Lab() Lab { return LabOfLinear(c.Linear()) }

// Color converts back to 8-bit sRGB (out-of-gamut values are clamped).
func (l Lab) Color() Color {
	fy := (l.L + 16) / 116
	x, y, z := xn*labFInv(fy+l.A/500), yn*labFInv(fy), zn*labFInv(fy-l.B/200)
	return FromLinear([3]float64{
		3.2404542*x - 1.5371385*y - 0.4985314*z,
		-0.9692660*x + 1.8760108*y + 0.0415560*z,
		0.0556434*x - 0.2040259*y + 1.0572252*z,
	})
}

// DeltaE is the CIE 1976 colour difference.
func DeltaE(a, b Lab) float64 {
	return math.Sqrt((a.L-b.L)*(a.L-b.L) + (a.A-b.A)*(a.A-b.A) + (a.B-b.B)*(a.B-b.B))
}
