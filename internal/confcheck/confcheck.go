// Package confcheck is tracemap's one style of configuration error: every
// problem is reported (none hides another), each on its own line, and each
// line starts with the setting's full key path, `::`-separated as the
// collector's --set flag writes it (`service_map::max_edges: must be at
// least 1, got 0`).
package confcheck

import (
	"errors"
	"fmt"
)

// Problems collects a configuration's problems; the zero value is ready.
type Problems struct{ errs []error }

// Add records err under key; a nil err is no problem.
func (p *Problems) Add(key string, err error) {
	if err != nil {
		p.errs = append(p.errs, fmt.Errorf("%s: %w", key, err))
	}
}

// Addf records a problem with key, formatted.
func (p *Problems) Addf(key, format string, args ...any) {
	p.Add(key, fmt.Errorf(format, args...))
}

// Number is what the bound checks take: counts, sizes and durations
// (time.Duration prints as 1.5s in the message).
type Number interface {
	~int | ~int32 | ~int64 | ~uint32 | ~float64
}

// AtLeast records a problem under key when got < lowest.
func AtLeast[T Number](p *Problems, key string, got, lowest T) {
	if got < lowest {
		p.Addf(key, "must be at least %v, got %v", lowest, got)
	}
}

// NotNegative records a problem under key when got < 0.
func NotNegative[T Number](p *Problems, key string, got T) {
	if got < 0 {
		p.Addf(key, "must not be negative, got %v", got)
	}
}

// Positive records a problem under key when got is not above zero.
func Positive[T Number](p *Problems, key string, got T) {
	if got <= 0 {
		p.Addf(key, "must be positive, got %v", got)
	}
}

// Nested records the problems a sub-configuration reports (each line
// already starting with its own key path, as Problems writes them) under
// key, so that every line names its full path: `heat::window: ...`.
func (p *Problems) Nested(key string, err error) {
	p.each(err, func(e error) error { return fmt.Errorf("%s::%w", key, e) })
}

// Squashed records the problems of a sub-configuration squashed into this
// one's keys, as they are.
func (p *Problems) Squashed(err error) {
	p.each(err, func(e error) error { return e })
}

func (p *Problems) each(err error, wrap func(error) error) {
	if err == nil {
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			p.each(e, wrap)
		}
		return
	}
	p.errs = append(p.errs, wrap(err))
}

// Err is every problem joined, one a line, or nil when there is none.
func (p *Problems) Err() error { return errors.Join(p.errs...) }
