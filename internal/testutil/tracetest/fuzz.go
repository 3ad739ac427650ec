package tracetest

import (
	"encoding/binary"
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// FromFuzz turns fuzzer input into one trace: each 7 bytes is a span with
// IDs from a space of 16 (so parents, duplicates and cycles are common),
// one of 4 resources (one without service.name), timestamps from tiny to
// beyond the int64 range, inverted and zero, and error, client-kind and
// peer.service flags.
func FromFuzz(data []byte) ptrace.Traces {
	td := ptrace.NewTraces()
	var res [4]ptrace.SpanSlice
	for s := range res {
		rs := td.ResourceSpans().AppendEmpty()
		if s > 0 {
			rs.Resource().Attributes().PutStr("service.name", string(rune('a'+s)))
		}
		res[s] = rs.ScopeSpans().AppendEmpty().Spans()
	}
	tid := TraceID(0xf)
	for ; len(data) >= 7; data = data[7:] {
		span := res[data[2]%4].AppendEmpty()
		span.SetTraceID(tid)
		span.SetSpanID(SpanID(uint64(data[0] % 16)))
		span.SetParentSpanID(SpanID(uint64(data[1] % 16)))
		start := uint64(binary.BigEndian.Uint16(data[3:5])) * 7
		end := start + uint64(int8(data[5]))*3
		flags := data[6]
		switch {
		case flags&0x80 != 0:
			start, end = math.MaxUint64-uint64(data[5]), math.MaxUint64
		case flags&0x40 != 0:
			end = uint64(1<<62) + uint64(data[5])
		case flags&0x20 != 0:
			start, end = 0, 0
		}
		span.SetStartTimestamp(pcommon.Timestamp(start))
		span.SetEndTimestamp(pcommon.Timestamp(end))
		if flags&1 != 0 {
			span.Status().SetCode(ptrace.StatusCodeError)
		}
		if flags&2 != 0 {
			span.SetKind(ptrace.SpanKindClient)
			span.Attributes().PutStr("peer.service", string(rune('a'+data[2]>>4%6)))
		}
	}
	return td
}
