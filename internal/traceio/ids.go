package traceio

import (
	"encoding/hex"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// traceID parses a hex trace ID of up to 32 digits; shorter ones (64-bit
// IDs, or leading zeros dropped) are left-padded as Jaeger and Zipkin do.
func traceID(s string) (pcommon.TraceID, error) {
	var id pcommon.TraceID
	if err := decodeHexRight(id[:], s, "trace"); err != nil {
		return id, err
	}
	if id.IsEmpty() {
		return id, errors.New("all zeros: not a valid trace ID")
	}
	return id, nil
}

// spanID parses a hex span ID of up to 16 digits.
func spanID(s string) (pcommon.SpanID, error) {
	var id pcommon.SpanID
	if err := decodeHexRight(id[:], s, "span"); err != nil {
		return id, err
	}
	if id.IsEmpty() {
		return id, errors.New("all zeros: not a valid span ID")
	}
	return id, nil
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
