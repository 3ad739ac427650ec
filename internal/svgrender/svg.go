package svgrender

import (
	"strconv"

	"github.com/tracemap/tracemap/internal/colorscale"
)

const margin = 20

// style is the only CSS in a picture: constant, no url(), no @import. It
// carries the fonts, the service colours (classes s0..s6, the
// palette of colorscale.ServicePalette) and the marks.
var style = func() string {
	s := `<style>
text{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;font-size:11px;fill:#222}
.h1{font-size:18px;font-weight:bold}.h2{font-size:13px}.h3{font-size:14px;font-weight:bold}
.hv{font-size:14px;font-weight:bold}.mut{fill:#666}.ee{fill:#a50f15;font-weight:bold}
.n text{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}.dk text,.dk .ee{fill:#fff;stroke:#222}
.nr{fill:none;stroke:#555;stroke-width:1.2}.nv{stroke-dasharray:5 3}
.hot{stroke:#4a0512;stroke-width:3.5}.ring{fill:none;stroke:#111;stroke-width:2}.lat{stroke-dasharray:6 3}
.nn{font-size:12px;font-weight:bold;text-anchor:middle}.ns{font-size:10px;text-anchor:middle}.nj{font-size:10px;font-weight:bold;text-anchor:middle}
.e path{fill:none;stroke:#8a8a8a;stroke-linejoin:round}.e .ah{fill:#8a8a8a;stroke:none}
.ee path{stroke:#c4161c}.ee .ah{fill:#c4161c}.er path{stroke-dasharray:6 3}.er .ah{stroke-dasharray:none}
.el{font-size:10px;fill:#444;text-anchor:middle}.elb{fill:#fff;fill-opacity:.9}
.lt{font-size:11px;fill:#444}.lx{font-size:10px;fill:#444;text-anchor:middle}
.tk{stroke:#444;fill:none}.gr{stroke:#e2e2e2}.ax{font-size:10px;fill:#555;text-anchor:middle}
.zb{fill:#f6f7f9}.rl{font-size:11px}.sv{fill:#666}.rc{font-weight:bold}
.b{stroke:none}.be{stroke:#a50f15;stroke-width:1.5}.bo{stroke:#111;stroke-width:2.5}.bp{stroke:#a50f15;stroke-width:1.2;stroke-dasharray:2 2}
.bs{stroke:#6a3d9a;stroke-width:1.2;stroke-dasharray:3 2}.ba{fill-opacity:.55}
.dl{font-size:10px;fill:#333;paint-order:stroke;stroke:#fff;stroke-width:2.5px;stroke-linejoin:round}.dr{text-anchor:end}
.cp{fill:#111}.zo{fill:#999}.xm{fill:#a50f15}.brk{fill:#fff;fill-opacity:.85}.al{fill:none;stroke:#888;stroke-width:1}
`
	for i, c := range colorscale.ServicePalette {
		s += ".s" + strconv.Itoa(i) + "{fill:" + c.Hex() + "}"
	}
	return s + "\n</style>\n"
}()

// openSVG writes the document start with a white background.
func openSVG(o *out, w, h float64) {
	o.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	o.raw(`<svg xmlns="http://www.w3.org/2000/svg" width="`)
	o.f(w)
	o.raw(`" height="`)
	o.f(h)
	o.raw(`" viewBox="0 0 `)
	o.f(w)
	o.raw(" ")
	o.f(h)
	o.raw(`">` + "\n")
	o.raw(style)
	o.raw(`<rect width="100%" height="100%" fill="#fff"/>` + "\n")
}

// textAt opens a <text> element of class cls at (x, y); the caller writes
// the content and "</text>".
func textAt(o *out, cls string, x, y float64) {
	o.raw(`<text class="`)
	o.raw(cls)
	o.raw(`" x="`)
	o.f(x)
	o.raw(`" y="`)
	o.f(y)
	o.raw(`">`)
}

// rectAt writes a <rect> of class cls.
func rectAt(o *out, cls string, x, y, w, h float64) {
	o.raw(`<rect class="`)
	o.raw(cls)
	o.raw(`"`)
	rectAttrs(o, x, y, w, h)
}

// rectAttrs ends a <rect> tag with its geometry.
func rectAttrs(o *out, x, y, w, h float64) {
	o.raw(` x="`)
	o.f(x)
	o.raw(`" y="`)
	o.f(y)
	o.raw(`" width="`)
	o.f(w)
	o.raw(`" height="`)
	o.f(h)
	o.raw(`"/>`)
}
