//go:build e2e

package collectortest

// e2eTier is true in a test binary built with -tags e2e (make test): only
// then may a test build and run the distribution.
const e2eTier = true
