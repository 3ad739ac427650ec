package svgrender

import (
	"math"
	"strconv"
)

// Time units, largest first.
const (
	nsDay  = 86_400e9
	nsHour = 3_600e9
	nsMin  = 60e9
)

var units = [...]struct {
	ns   int64
	name string
}{{nsDay, "d"}, {nsHour, "h"}, {nsMin, "min"}, {1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}, {1, "ns"}}

// clockSteps are the tick steps past 10 seconds, where 1-2-5 steps would
// not fall on minutes and hours.
var clockSteps = [...]int64{15e9, 30e9, nsMin, 2 * nsMin, 5 * nsMin, 10 * nsMin, 15 * nsMin, 30 * nsMin,
	nsHour, 2 * nsHour, 3 * nsHour, 6 * nsHour, 12 * nsHour, nsDay, 2 * nsDay}

// tickStep returns the smallest step that divides span nanoseconds into at
// most want intervals: 1-2-5 steps (1, 2, 5, 10, 20, 50, ... ns) up to 10
// seconds, then 15s, 30s, 1, 2, 5, 10, 15, 30 minutes, 1, 2, 3, 6, 12
// hours, 1 and 2 days, then 5, 10, 20, 50, ... days.
func tickStep(span int64, want int) int64 {
	if want < 1 {
		want = 1
	}
	if span <= 0 {
		return 1
	}
	fits := func(step int64) bool { return span/step <= int64(want) }
	for base := int64(1); base <= 10e9; base *= 10 {
		for _, m := range [3]int64{1, 2, 5} {
			if step := base * m; step <= 10e9 && fits(step) {
				return step
			}
		}
	}
	for _, step := range clockSteps {
		if fits(step) {
			return step
		}
	}
	for base := int64(nsDay); ; base *= 10 {
		for _, m := range [3]int64{5, 10, 20} {
			if step := base * m; fits(step) || step > math.MaxInt64/100 {
				return step
			}
		}
	}
}

// ticks returns 0, step, 2*step, ... up to span inclusive.
func ticks(span int64, want int) (step int64, at []int64) {
	step = tickStep(span, want)
	for v := int64(0); v <= span && v >= 0; v += step {
		at = append(at, v)
	}
	return step, at
}

// tickUnit is the one unit of an axis with this step: the largest unit
// whose half is not above the step. A 500µs step gives "0.5ms", "1ms",
// "1.5ms"; a 200µs step "200µs", "400µs", ... "1000µs"; a 30s step
// "0.5min", "1min"; a 15s step "15s", "30s", ... "75s".
func tickUnit(step int64) (ns int64, name string) {
	for _, c := range units {
		if step*2 >= c.ns {
			return c.ns, c.name
		}
	}
	return 1, "ns"
}

// tickLabel formats v (a multiple of step) in the axis's unit, exactly.
func tickLabel(v, step int64) string {
	ns, name := tickUnit(step)
	return unitLabel(v, unit{ns, name})
}

type unit struct {
	ns   int64
	name string
}

// axisUnit is the unit of an axis with this step up to end: tickUnit's,
// or a larger one when labels would run to five digits (a trace with its
// idle gaps cut out ticks every 50ms up to 80s: "80.1s", not "80100ms").
func axisUnit(step, end int64) unit {
	ns, name := tickUnit(step)
	u := unit{ns, name}
	for k := len(units) - 1; k > 0; k-- {
		if units[k].ns == u.ns && end/u.ns >= 10_000 {
			u = unit{units[k-1].ns, units[k-1].name}
		}
	}
	return u
}

// unitLabel formats v in unit u, exactly (decimals as needed).
func unitLabel(v int64, u unit) string {
	if v == 0 {
		return "0"
	}
	ns, name := u.ns, u.name
	whole, frac := v/ns, v%ns
	s := strconv.FormatInt(whole, 10)
	if frac != 0 {
		s = strconv.FormatFloat(float64(v)/float64(ns), 'f', -1, 64)
	}
	return s + name
}

// fmtDur formats a duration with three significant digits in the largest
// unit it reaches: 850ns, 12.3µs, 1.05ms, 230ms, 4.57s, 1.67min, 7.15h,
// 298d.
func fmtDur(ns int64) string {
	if ns < 0 {
		if ns == math.MinInt64 {
			ns++
		}
		return "-" + fmtDur(-ns)
	}
	for k, u := range units {
		if ns >= u.ns || u.ns == 1 {
			v := float64(ns) / float64(u.ns)
			prec := 0
			switch {
			case v < 10:
				prec = 2
			case v < 100:
				prec = 1
			}
			s := strconv.FormatFloat(v, 'f', prec, 64)
			if prec > 0 {
				for s[len(s)-1] == '0' {
					s = s[:len(s)-1]
				}
				if s[len(s)-1] == '.' {
					s = s[:len(s)-1]
				}
			}
			// 999.7ms rounds up into the next unit; 59.99s into 1min.
			if k > 0 && v*float64(u.ns) >= float64(units[k-1].ns)*0.9995 {
				return "1" + units[k-1].name
			}
			return s + u.name
		}
	}
	return "0ns"
}
