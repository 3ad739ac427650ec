//go:generate mdatagen metadata.yaml

// Package ebpfreceiver produces spans from the kernel for Go programs that
// carry no tracing SDK: uprobes on net/http and on configured functions,
// read through a BPF ring buffer.
package ebpfreceiver
