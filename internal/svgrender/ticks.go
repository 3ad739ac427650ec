package svgrender

import (
	"math"
	"strconv"
)

// tickStep returns the smallest 1-2-5 step (1, 2, 5, 10, 20, 50, ... ns)
// that divides span nanoseconds into at most want intervals.
func tickStep(span int64, want int) int64 {
	if want < 1 {
		want = 1
	}
	if span <= 0 {
		return 1
	}
	for base := int64(1); ; base *= 10 {
		for _, m := range [3]int64{1, 2, 5} {
			step := base * m
			if span/step <= int64(want) || step > math.MaxInt64/100 {
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

// units for time labels, largest first.
var units = [...]struct {
	ns   int64
	name string
}{{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}, {1, "ns"}}

// tickLabel formats v (a multiple of step) exactly, in the largest unit
// whose half is not above the step, so one axis uses one unit throughout:
// a 500µs step gives "0", "0.5ms", "1ms", "1.5ms"; a 200µs step "200µs",
// "400µs", ... "1000µs".
func tickLabel(v, step int64) string {
	if v == 0 {
		return "0"
	}
	u := units[len(units)-1]
	for _, c := range units {
		if step*10 >= c.ns*5 { // a step of 0.5 unit or more
			u = c
			break
		}
	}
	whole, frac := v/u.ns, v%u.ns
	s := strconv.FormatInt(whole, 10)
	if frac != 0 {
		digits := strconv.FormatInt(frac+u.ns, 10)[1:] // zero-padded
		for len(digits) > 0 && digits[len(digits)-1] == '0' {
			digits = digits[:len(digits)-1]
		}
		s += "." + digits
	}
	return s + u.name
}

// fmtDur formats a duration with three significant digits in a fitting
// unit: 850ns, 12.3µs, 1.05ms, 230ms, 4.57s; minutes past 100s.
func fmtDur(ns int64) string {
	if ns < 0 {
		return "-" + fmtDur(-ns)
	}
	if ns >= 100e9 {
		m, s := ns/60e9, (ns%60e9)/1e9
		return strconv.FormatInt(m, 10) + "m" + strconv.FormatInt(s/10, 10) + strconv.FormatInt(s%10, 10) + "s"
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
			if s == "1000" && k > 0 { // 999.7ms rounds up into the next unit
				return "1" + units[k-1].name
			}
			return s + u.name
		}
	}
	return "0ns"
}
