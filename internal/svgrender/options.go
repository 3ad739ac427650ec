// Package svgrender draws a trace (header, service DAG with an error-rate
// heat overlay, timeline) and a service map as self-contained SVG, and the
// index.html that lists the latest pictures.
//
// Output is a pure function of the input: the same trace and options give
// byte-identical SVG, so the collector's exporter and the offline renderer
// agree. Strings from data only ever appear as escaped character data (see
// appendText); attributes, styles and structure are the renderer's own, and
// the documents reference nothing outside themselves.
package svgrender

import (
	"math"

	"github.com/tracemap/tracemap/internal/colorscale"
	"github.com/tracemap/tracemap/internal/heat"
)

// HeatFunc returns the window statistics of a service; ok is false when the
// service has none (no heatmap, or not seen in the window).
type HeatFunc func(service string) (s heat.Stats, ok bool)

// Options tune a picture. The zero value is a good default.
type Options struct {
	// Scale colours the error-rate heat overlay (default viridis).
	Scale colorscale.Scale
	// Width of the picture in pixels (default 1200; kept within 600..8000).
	// A wider service DAG widens the picture.
	Width int
	// RowBudget is the number of timeline rows above which spans are merged
	// (default 400; at least 20).
	RowBudget int
	// HotThreshold is the error rate from which a service is marked hot
	// (red border and label), like heatmap's threshold (default 0.05).
	HotThreshold float64
	// NodeLink, when set, makes node i of a service map a link to the
	// relative key and #fragment it returns ("" key: no link). Both are
	// checked like RenderIndex's links (plain relative paths of
	// [A-Za-z0-9._~-]), so only keys the caller made itself can be linked.
	NodeLink func(i int) (key, fragment string)
	// BarBudget bounds the bars drawn for merged rows (default 12000): when
	// more would be needed, bins widen from 1 pixel to 2, 4, ...
	BarBudget int
}

func (o Options) withDefaults() Options {
	switch {
	case o.Width == 0:
		o.Width = 1200
	case o.Width < 600:
		o.Width = 600
	case o.Width > 8000:
		o.Width = 8000
	}
	switch {
	case o.RowBudget == 0:
		o.RowBudget = 400
	case o.RowBudget < 20:
		o.RowBudget = 20
	}
	if !(o.HotThreshold > 0) {
		o.HotThreshold = 0.05
	}
	if o.BarBudget <= 0 {
		o.BarBudget = 12000
	}
	return o
}

// heatLevel maps an error rate to the 0..1 position on the colour scale. The
// square root spreads the rates SREs care about (1%, 5%, 25%) across the
// scale instead of crowding them at its cold end; the legend is labelled in
// rates, so no one has to know the mapping.
func heatLevel(rate float64) float64 {
	if !(rate > 0) {
		return 0
	}
	if rate > 1 {
		return 1
	}
	return math.Sqrt(rate)
}

// heatOpacity is the overlay's opacity for a level: 0.2 for no errors up
// to 0.8 at 100%, over an opaque neutral base, so the node's border and
// label (drawn on top, with a halo) stay readable at any rate.
func heatOpacity(level float64) float64 { return 0.2 + 0.6*level }

// Categorical service colours: Tableau 10 without its red and pink (red
// marks errors here), then lighter tints of the same hues.
var servicePalette = [...]string{
	"#4e79a7", "#f28e2b", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f", "#bab0ac",
	"#a0cbe8", "#ffbe7d", "#b5dcd7", "#8cd17d", "#f1ce63", "#d4a6c8", "#d7b5a6", "#79706e",
}
