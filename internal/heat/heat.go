// Package heat keeps sliding-window span statistics (counts, errors and an
// HdrHistogram of durations) per service, per operation and per edge.
package heat

// Stats is the current window's view of one key.
type Stats struct {
	Spans     int64
	Errors    int64
	ErrorRate float64 // Errors / Spans, 0 when Spans is 0
	P50Ms     float64
	P90Ms     float64
	P99Ms     float64
}
