//go:generate mdatagen metadata.yaml

// Package layout is the layout processor: for every trace it builds the span
// tree, corrects clock skew, marks the critical path, names the culprits of
// the trace's failure and latency, and lays out the trace's service DAG,
// writing the results as tracemap.* attributes (docs/attributes.md).
package layout
