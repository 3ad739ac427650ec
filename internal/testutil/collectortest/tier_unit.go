//go:build !e2e

package collectortest

// e2eTier is false in the unit tier (make test-unit, plain go test): a test
// that reaches for the distribution there is missing its build tag.
const e2eTier = false
