package traceio

import (
	"encoding/hex"
	"fmt"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// traceID parses a 16 or 32 digit hex trace ID; 64-bit IDs are left-padded
// as Jaeger and Zipkin do.
func traceID(s string) (pcommon.TraceID, error) {
	var id pcommon.TraceID
	if len(s) == 0 || len(s) > 32 {
		return id, fmt.Errorf("trace ID %q: want 1 to 32 hex digits", clip(s))
	}
	if err := decodeHexRight(id[:], s); err != nil {
		return id, fmt.Errorf("trace ID %q: %w", clip(s), err)
	}
	if id.IsEmpty() {
		return id, fmt.Errorf("trace ID is all zeros")
	}
	return id, nil
}

// spanID parses a hex span ID of up to 16 digits.
func spanID(s string) (pcommon.SpanID, error) {
	var id pcommon.SpanID
	if len(s) == 0 || len(s) > 16 {
		return id, fmt.Errorf("span ID %q: want 1 to 16 hex digits", clip(s))
	}
	if err := decodeHexRight(id[:], s); err != nil {
		return id, fmt.Errorf("span ID %q: %w", clip(s), err)
	}
	return id, nil
}

func decodeHexRight(dst []byte, s string) error {
	if len(s)%2 == 1 {
		s = "0" + s
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("not hex")
	}
	copy(dst[len(dst)-len(b):], b)
	return nil
}

// clip keeps error messages short when the input is not.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
