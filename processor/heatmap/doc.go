//go:generate mdatagen metadata.yaml

// Package heatmap is the heatmap processor: it keeps sliding-window error
// rates, own-error rates and latency percentiles per service, operation and
// caller -> callee edge from every span it sees, and writes them onto the
// data as tracemap.* attributes for tail sampling, the svg exporter and any
// downstream UI. A second stage (mode: annotate) writes the per-span values
// after sampling, from the first stage's window.
package heatmap
