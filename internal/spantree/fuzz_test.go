package spantree

import (
	"encoding/binary"
	"math"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/tracetest"
)

// FuzzBuild builds trees from random span sets: each 7 bytes of input is
// one span (small ID space so that parents, duplicates and cycles are
// common; timestamps from tiny to beyond the int64 range).
func FuzzBuild(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 0, 10, 0, 2, 1, 1, 1, 0, 5, 0})
	f.Add([]byte{1, 2, 0, 0, 0, 10, 0, 2, 1, 1, 0, 0, 5, 0, 3, 3, 2, 9, 0, 1, 1})
	f.Add([]byte{1, 0, 0, 0, 0, 10, 0x80, 2, 1, 1, 0xff, 0xff, 5, 0x40})
	f.Fuzz(func(t *testing.T, data []byte) {
		td := ptrace.NewTraces()
		var res [4]ptrace.SpanSlice
		for s := range res {
			rs := td.ResourceSpans().AppendEmpty()
			if s > 0 {
				rs.Resource().Attributes().PutStr("service.name", string(rune('a'+s)))
			}
			res[s] = rs.ScopeSpans().AppendEmpty().Spans()
		}
		for ; len(data) >= 7; data = data[7:] {
			span := res[data[2]%4].AppendEmpty()
			span.SetTraceID(traceA)
			span.SetSpanID(tracetest.SpanID(uint64(data[0] % 16)))
			span.SetParentSpanID(tracetest.SpanID(uint64(data[1] % 16)))
			start := uint64(binary.BigEndian.Uint16(data[3:5])) * 7
			end := start + uint64(int8(data[5]))*3
			switch flags := data[6]; {
			case flags&0x80 != 0:
				start, end = math.MaxUint64-uint64(data[5]), math.MaxUint64
			case flags&0x40 != 0:
				end = uint64(MaxTime) + uint64(data[5])
			case flags&0x20 != 0:
				start, end = 0, 0
			}
			span.SetStartTimestamp(pcommon.Timestamp(start))
			span.SetEndTimestamp(pcommon.Timestamp(end))
			if data[6]&1 != 0 {
				span.Status().SetCode(ptrace.StatusCodeError)
			}
		}
		for _, tr := range FromTraces(td) {
			checkInvariants(t, tr)
		}
	})
}
