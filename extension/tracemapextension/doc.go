//go:generate mdatagen metadata.yaml

// Package tracemapextension is the tracemap extension: a read-only web view
// of what the svg exporter writes to its bucket — a live service map pushed
// over a WebSocket, each service's exemplar traces per window, and trace
// pictures that are redrawn at full detail when the user zooms in.
package tracemapextension
