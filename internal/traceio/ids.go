package traceio

import (
	"encoding/hex"
	"fmt"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// traceID parses a hex trace ID of up to 32 digits; shorter ones (64-bit
// IDs, or leading zeros dropped) are left-padded as Jaeger and Zipkin do.
func traceID(s string) (pcommon.TraceID, error) {
	var id pcommon.TraceID
	err := decodeID(id[:], s, "trace")
	return id, err
}

// spanID parses a hex span ID of up to 16 digits.
func spanID(s string) (pcommon.SpanID, error) {
	var id pcommon.SpanID
	err := decodeID(id[:], s, "span")
	return id, err
}

// decodeID fills dst from hex digits, right-aligned, refusing all zeros
// (OTLP's "no ID").
func decodeID(dst []byte, s, what string) error {
	if err := decodeHexRight(dst, s, what); err != nil {
		return err
	}
	if !slices.ContainsFunc(dst, func(b byte) bool { return b != 0 }) {
		return fmt.Errorf("all zeros: not a valid %s ID", what)
	}
	return nil
}

func decodeHexRight(dst []byte, s, what string) error {
	if s == "" {
		return fmt.Errorf("empty: every span needs a %s ID of %d hex digits", what, 2*len(dst))
	}
	if len(s) > 2*len(dst) {
		return fmt.Errorf("%s has %d digits, a %s ID at most %d", quote(s), len(s), what, 2*len(dst))
	}
	even := s
	if len(s)%2 == 1 {
		even = "0" + s
	}
	b, err := hex.DecodeString(even)
	if err != nil {
		return fmt.Errorf("%s is not hex: a %s ID is %d hex digits", quote(s), what, 2*len(dst))
	}
	copy(dst[len(dst)-len(b):], b)
	return nil
}
