package traceio

import (
	"bytes"
	"errors"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// otlp reads one OTLP/JSON TracesData document per line.
func (s *source) otlp() (ptrace.Traces, error) {
	all := ptrace.NewTraces()
	var u ptrace.JSONUnmarshaler
	for i, start := range s.lines {
		end := len(s.data)
		if i+1 < len(s.lines) {
			end = s.lines[i+1]
		}
		line := bytes.TrimSpace(s.data[start:end])
		if len(line) == 0 {
			continue
		}
		td, err := u.UnmarshalTraces(line)
		if err != nil {
			return ptrace.Traces{}, &Error{File: s.name, Line: i + 1, Err: err}
		}
		td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
	if all.ResourceSpans().Len() == 0 {
		return ptrace.Traces{}, &Error{File: s.name, Err: errors.New("no spans")}
	}
	return all, nil
}
