//go:generate mdatagen metadata.yaml

// Package svgexporter draws, per service-map window, a bounded set of
// exemplar traces (the culprits of errors, the slowest, a typical one, per
// service and edge), the window's service map and a machine-readable window
// summary (internal/summary), as self-contained SVG and JSON written to a
// gocloud.dev/blob bucket (a directory, S3, GCS or Azure Blob Storage).
// With mode: all it draws every trace it receives instead.
package svgexporter
