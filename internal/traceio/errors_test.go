package traceio

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// Every message names the file, the line and column or the message, and
// the field, in words: no Go type, no raw byte.
func TestMessages(t *testing.T) {
	const otlpSpan = `{"traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "0102030405060708"`
	for _, c := range []struct {
		in   string
		opt  Options
		want string
	}{
		{"", Options{}, "in.json: empty input: " + expected},
		{"  \n ", Options{}, "in.json: empty input (only white space): " + expected},
		{"hello", Options{}, `in.json: not a trace file: ` + expected + `; it starts with "hello"`},
		{`"a string"`, Options{}, `in.json: not a trace file: ` + expected + `; it starts with "\"a string\""`},
		{`{"foo": 1, "bar": [1]}`, Options{}, `in.json:1:23: ` + objectExpected + `; found an object with the fields "foo", "bar"`},
		{`{"resourceMetrics": []}`, Options{}, "in.json:1:19: this is OTLP metrics, not traces"},
		{"[", Options{}, "in.json:1:2: the input ends in the middle of a JSON value (cut off?)"},
		{"[1, 2]", Options{}, "in.json:1:2: field [0]: expected an array of spans or traces, found an array of numbers"},
		{`[{"foo": 1}]`, Options{}, `in.json:1:2: field [0]: not a trace file: expected an array of Zipkin v2 spans (traceId, id, ...), Jaeger spans (traceID, spanID, ...) or Jaeger traces (spans, processes); the first element has the fields "foo"`},
		{`[{"traceId": "1", "id": "2", "traceID": "1", "spanID": "2", "parentId": "1"}]`, Options{},
			"in.json:1:2: field [0]: ambiguous: the first element has fields of Zipkin v2 spans (traceId, id, parentId) and of Jaeger spans (traceID, spanID); say which with -format zipkin or -format jaeger"},
		{"\x00\x00\x00\x05abc", Options{}, "in.json: message 1 at byte 0: cut off: the length prefix says 5 bytes, the input ends after 3"},
		// OTLP/JSON: pdata's own reader, its failures placed and worded.
		{"{\n  \"resourceSpans\": [\n    {\"scopeSpans\": [{\"spans\": [{\"traceId\": \"zz\", \"spanId\": \"0102030405060708\"}]}]}\n  ]\n}\n", Options{},
			"in.json:3:47: field resourceSpans[0].scopeSpans[0].spans[0].traceId: wrong length: a trace ID is 32 hex digits, a span ID 16"},
		{"{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [\n" + otlpSpan + "},\n{\"traceId\": \"\", \"spanId\": \"0102030405060708\"}]}]}]}", Options{},
			"in.json:3:11: field resourceSpans[0].scopeSpans[0].spans[1].traceId: empty or all zeros: every span needs a trace ID of 32 hex digits"},
		{`{"resource_spans": [{"scope_spans": [{"spans": [{"trace_id": "0102030405060708090a0b0c0d0e0f10"}]}]}]}`, Options{},
			"in.json:1:50: field resourceSpans[0].scopeSpans[0].spans[0].spanId: empty or all zeros: every span needs a span ID of 16 hex digits"},
		{`{"resourceSpans": [{"scopeSpans": [{"spans": [` + otlpSpan + `, "kind": "WEIRD"}]}]}]}`, Options{},
			"in.json:1:139: field resourceSpans[0].scopeSpans[0].spans[0].kind: unknown value: kinds and status codes are numbers or names such as SPAN_KIND_SERVER"},
		{`{"resourceSpans": [{"scopeSpans": [{"spans": [` + otlpSpan + `, "startTimeUnixNano": "abc"}]}]}]}`, Options{},
			"in.json:1:150: field resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected an integer (a number or a string of digits)"},
		{"{\"resourceSpans\": []}\n{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [" + otlpSpan + "}]}]}]}\ngarbage", Options{},
			"in.json:3:1: not valid JSON: invalid character 'g' looking for beginning of value"},
		// Jaeger.
		{`{"data": [{"spans": [{"traceID": "zz", "spanID": "1"}]}]}`, Options{}, `in.json:1:32: field data[0].spans[0].traceID: "zz" is not hex: a trace ID is 32 hex digits`},
		{"{\"data\": [{\"traceID\": \"1\", \"spans\": [\n  {\"traceID\": \"1\", \"spanID\": \"2\", \"startTime\": 1, \"processID\": \"p1\"},\n  {\"traceID\": \"1\", \"spanID\": \"3\", \"startTime\": 1,\n   \"duration\": \"long\", \"processID\": \"p1\"}\n], \"processes\": {\"p1\": {\"serviceName\": \"s\"}}}]}", Options{},
			"in.json:4:21: field data[0].spans[1].duration: expected an integer, found a string"},
		{`{"data": [{"spans": [{"traceID": "1", "spanID": "1", "startTime": 5, "processID": "nope"}]}]}`, Options{}, `in.json:1:81: field data[0].spans[0].processID: "nope" is not in the trace's processes`},
		{`{"data": [{"spans": [{"traceID": "", "spanID": "1", "startTime": 5}]}]}`, Options{}, "in.json:1:32: field data[0].spans[0].traceID: empty: every span needs a trace ID of 32 hex digits"},
		{`{"data": [{"spans": [{"traceID": "1", "spanID": "0000", "startTime": 5}]}]}`, Options{}, "in.json:1:47: field data[0].spans[0].spanID: all zeros: not a valid span ID"},
		{`{"traceID": "1", "spans": [{"traceID": "1", "spanID": "1", "startTime": 5, "references": [{"refType": "PARENT", "spanID": "2"}]}]}`, Options{},
			`in.json:1:101: field spans[0].references[0].refType: "PARENT": want CHILD_OF or FOLLOWS_FROM`},
		{`[{"traceID": "1", "spanID": "1", "startTime": 5, "tags": {"a": "b"}}]`, Options{}, "in.json:1:58: field [0].tags: expected an array, found an object"},
		{`[{"traceID": "1", "spanID": "1", "startTime": 5, "processID": "p1"}]`, Options{},
			`in.json:1:61: field [0].processID: "p1", but there are no processes to find it in: spans outside a trace object need their process embedded`},
		{`{"result": {"resourceSpans": [{"scopeSpans": [{"spans": [` + otlpSpan + `}]}]}]}}`, Options{Format: Zipkin}, "in.json:1:10: this is a Jaeger /api/v3 answer, not Zipkin v2 JSON (-format zipkin)"},
		{`{"error": {"httpCode": 404, "message": "trace not found"}}`, Options{}, `in.json:1:59: the input is an error answer, not traces: "trace not found" (code 404)`},
		{`{"data": null, "errors": [{"code": 404, "msg": "trace not found"}]}`, Options{}, `in.json:1:68: the input is an error answer, not traces: "trace not found" (code 404)`},
		{`{"data": []}`, Options{}, "in.json: no spans: the input holds Jaeger JSON but no span in it"},
		// Zipkin.
		{`[{"traceId": "1", "id": "2", "duration": -5}]`, Options{}, "in.json:1:40: field [0].duration: -5: negative"},
		{`[{"traceId": "1", "id": "2", "tags": {"n": 5}}]`, Options{}, "in.json:1:44: field [0].tags.n: expected a string, found a number"},
		{"[\n {\"traceId\": \"a3ce929d0e0e4736\", \"id\": \"00f067aa0ba902b7\", \"timestamp\": 1},\n {\"traceId\": \"a3ce929d0e0e4736\",\n  \"id\": \"not-hex!\", \"timestamp\": 1}\n]", Options{},
			`in.json:4:7: field [1].id: "not-hex!" is not hex: a span ID is 16 hex digits`},
		{`[{"traceId": "", "id": "2"}]`, Options{}, "in.json:1:12: field [0].traceId: empty: every span needs a trace ID of 32 hex digits"},
		{`[{"traceId": "1", "id": "2"}, {"traceId": "1", "id": "3", "parentId": "2"}]`, Options{},
			"in.json: trace 00000000000000000000000000000001: no span has a timestamp (nor annotations): the trace cannot be placed in time"},
		{`[{"traceId": "1", "id": "2", "timestamp": 1, "name": "` + "\x00\xff" + `"}]`, Options{}, `in.json:1:55: field [0]: not valid JSON: invalid character '\x00' in string literal`},
		{`[[{"traceId": "1", "id": "2", "timestamp": 1}], [{"traceId": "1", "id": "x"}]]`, Options{}, `in.json:1:71: field [1][0].id: "x" is not hex: a span ID is 16 hex digits`},
		// -format that does not fit.
		{`{"resourceSpans": []}`, Options{Format: Zipkin}, "in.json:1:17: this is OTLP/JSON, not Zipkin v2 JSON (-format zipkin)"},
		{`[[{"traceId": "1"}]]`, Options{Format: Jaeger}, "in.json:1:20: this is a list of Zipkin traces, not Jaeger JSON (-format jaeger)"},
		{`[{"traceId": "1"}]`, Options{Format: OTLPProto}, `in.json: not an OTLP protobuf TracesData message: "unexpected EOF"`},
		{`[{"traceId": "1"}]`, Options{Format: Pprof}, `in.json: not a pprof profile: "parsing profile: unrecognized profile format"`},
	} {
		_, _, err := readAll(NewReader("in.json", strings.NewReader(c.in), c.opt))
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.in, err, c.want)
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Errorf("%q: not an *Error: %T", c.in, err)
		}
		checkWords(t, err)
	}
}

// checkWords fails on a message that shows a Go type or a raw byte.
func checkWords(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if !utf8.ValidString(msg) {
		t.Errorf("invalid UTF-8 in %q", msg)
	}
	for _, r := range msg {
		if r < ' ' || r == 0x7f || r == utf8.RuneError {
			t.Errorf("raw byte %U in %q", r, msg)
		}
	}
	for _, goWord := range []string{"traceio.", "json.", "[]string", "map[", "int64", "uint", "float64", "struct", "interface", "*"} {
		if strings.Contains(msg, goWord) {
			t.Errorf("Go word %q in %q", goWord, msg)
		}
	}
}
