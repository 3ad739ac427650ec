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
	// Scale colours the own-error-rate heat of the nodes (default heat:
	// neutral grey to dark red).
	Scale colorscale.Scale
	// Width of the picture in pixels (default 1200; kept within 600..8000).
	// A wider service DAG widens the picture.
	Width int
	// RowBudget is the number of timeline rows above which spans are merged
	// (default 400; at least 20).
	RowBudget int
	// Hot is the hot verdict, heatmap's heat.HotRule: pass the configured
	// rule so the pictures mark exactly the services the heatmap marks
	// (a threshold of 0 stays 0). nil means heat.DefaultConfig's rule.
	Hot *heat.HotRule
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
	if o.BarBudget <= 0 {
		o.BarBudget = 12000
	}
	return o
}

// hotRule is the rule in force: the configured one, else the default.
func (o Options) hotRule() heat.HotRule {
	if o.Hot != nil {
		return *o.Hot
	}
	c := heat.DefaultConfig()
	return c.HotRule()
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
