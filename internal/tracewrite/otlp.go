package tracewrite

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// otlpJSON writes one TracesData document per line, as the collector's
// file exporter does.
type otlpJSON struct{ m ptrace.JSONMarshaler }

func (*otlpJSON) begin(*bufio.Writer) {}
func (*otlpJSON) end(*bufio.Writer)   {}

func (e *otlpJSON) batch(w *bufio.Writer, td ptrace.Traces) error {
	if err := checkIDs(td); err != nil {
		return err
	}
	b, err := e.m.MarshalTraces(td)
	if err != nil {
		return err
	}
	w.Write(b)
	return w.WriteByte('\n')
}

// otlpProto writes each batch as a TracesData message preceded by its length
// as a 4-byte big-endian unsigned integer: the file exporter's
// `format: proto` framing.
type otlpProto struct {
	m   ptrace.ProtoMarshaler
	buf []byte
}

func (*otlpProto) begin(*bufio.Writer) {}
func (*otlpProto) end(*bufio.Writer)   {}

func (e *otlpProto) batch(w *bufio.Writer, td ptrace.Traces) error {
	if err := checkIDs(td); err != nil {
		return err
	}
	size := e.m.TracesSize(td)
	if size > math.MaxUint32 {
		return fmt.Errorf("batch of %d bytes does not fit the 4-byte length prefix", size)
	}
	b, err := e.m.MarshalTraces(td)
	if err != nil {
		return err
	}
	e.buf = binary.BigEndian.AppendUint32(e.buf[:0], uint32(len(b)))
	w.Write(e.buf)
	_, err = w.Write(b)
	return err
}
