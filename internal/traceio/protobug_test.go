package traceio

import (
	"bytes"
	"encoding/binary"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/testutil/tracetest"
)

// TestFramedProtobufThatLooksLikeJSON: a TracesData whose first
// ResourceSpans is 123 bytes long starts with "\n{", which is also how a
// JSON document may start; it is still read as protobuf.
func TestFramedProtobufThatLooksLikeJSON(t *testing.T) {
	for pad := 0; pad < 200; pad++ {
		td := tracetest.Traces(tracetest.TraceID(7), tracetest.S(1, 0, "svc", string(bytes.Repeat([]byte("x"), pad)), 0, 10))
		msg, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
		if err != nil {
			t.Fatal(err)
		}
		if len(msg) < 2 || msg[0] != '\n' || msg[1] != '{' {
			continue
		}
		var framed bytes.Buffer
		_ = binary.Write(&framed, binary.BigEndian, uint32(len(msg)))
		framed.Write(msg)
		got, _, err := Read("framed.pb", framed.Bytes(), OTLPProto)
		if err != nil {
			t.Fatalf("a protobuf message starting with \\n{ is refused: %v", err)
		}
		if got.SpanCount() != 1 {
			t.Fatalf("%d spans, want 1", got.SpanCount())
		}
		return
	}
	t.Fatal("no span name length made the message start with \\n{")
}
