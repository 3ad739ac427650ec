package heat

import "fmt"

// HotBy names the error count a HotRule keys on.
type HotBy string

const (
	// HotByOwnErrors keys on own errors (failures that start in the
	// service; see IsOwnError): a service whose errors only propagate from
	// its callees is a victim, not hot. The default (also the zero value).
	HotByOwnErrors HotBy = "own_errors"
	// HotByErrors keys on every error span, propagated ones included.
	HotByErrors HotBy = "errors"
)

// HotRule is THE hot verdict of tracemap: heatmap (tracemap.service.hot and
// its gauge), the svg exporter and the renderer all call Hot, so the same
// statistics are hot everywhere.
type HotRule struct {
	// Threshold is the error rate (0..1) at or above which a service is hot.
	Threshold float64
	// MinSpans is the number of spans the service needs in the window.
	MinSpans int64
	// By selects the rate compared with Threshold; "" means HotByOwnErrors.
	By HotBy
}

// Hot reports whether s is hot: it is not counted in the overflow bucket, it
// has at least one span and at least MinSpans spans, at least one error of
// the kind By selects, and that error rate is >= Threshold. Threshold 0 is
// respected as written and means "any error": every service with at least
// MinSpans spans and at least one (own) error is hot; a service without
// errors is never hot, whatever the threshold.
func (r HotRule) Hot(s Stats) bool {
	if s.Overflow || s.Spans <= 0 || s.Spans < r.MinSpans {
		return false
	}
	errs, rate := s.OwnErrors, s.OwnErrorRate
	if r.By == HotByErrors {
		errs, rate = s.Errors, s.ErrorRate
	}
	return errs > 0 && rate >= r.Threshold
}

// Check reports an unknown By ("" is the default, own_errors).
func (b HotBy) Check() error {
	switch b {
	case "", HotByOwnErrors, HotByErrors:
		return nil
	}
	return fmt.Errorf("must be %q or %q, got %q", HotByOwnErrors, HotByErrors, string(b))
}

// CheckThreshold reports a Threshold outside 0..1 (NaN included).
func CheckThreshold(t float64) error {
	if t >= 0 && t <= 1 {
		return nil
	}
	return fmt.Errorf("must be within 0..1, got %v", t)
}
