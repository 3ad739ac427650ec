package traceio

import (
	"fmt"
	"testing"
)

func TestExplore(t *testing.T) {
	for _, in := range []string{
		"", "   \n ", "hello", `{"foo": 1, "bar": [1]}`, `[`, `[1,2]`, "\x00\x00\x00\x05abc",
		`{"resourceSpans": [ {"scopeSpans": [ {"spans": [ {"traceId": 12 } ] } ] } `,
		"{\n  \"resourceSpans\": [\n    {\"scopeSpans\": [{\"spans\": [{\"traceId\": \"zz\", \"spanId\": \"0102030405060708\"}]}]}\n  ]\n}\n",
		"{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [\n{\"traceId\": \"0102030405060708090a0b0c0d0e0f10\", \"spanId\": \"0102030405060708\"},\n{\"traceId\": \"\", \"spanId\": \"0102030405060708\"}]}]}]}",
		"{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"traceId\": \"0102030405060708090a0b0c0d0e0f10\", \"spanId\": \"0102\"}]}]}]}",
		"{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"traceId\": \"0102030405060708090a0b0c0d0e0f10\", \"spanId\": \"0102030405060708\", \"kind\": \"WEIRD\"}]}]}]}",
		"{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"traceId\": \"0102030405060708090a0b0c0d0e0f10\", \"spanId\": \"0102030405060708\", \"startTimeUnixNano\": \"abc\"}]}]}]}",
		`{"resourceMetrics": []}`,
		`{"data": [{"spans": [{"traceID": "zz", "spanID": "1"}]}]}`,
		"{\"data\": [{\"traceID\": \"1\", \"spans\": [\n  {\"traceID\": \"1\", \"spanID\": \"2\", \"startTime\": 1, \"processID\": \"p1\"},\n  {\"traceID\": \"1\", \"spanID\": \"3\", \"startTime\": 1,\n   \"duration\": \"long\", \"processID\": \"p1\"}\n], \"processes\": {\"p1\": {\"serviceName\": \"s\"}}}]}",
		`{"data": [{"spans": [{"traceID": "1", "spanID": "1", "startTime": 5, "processID": "nope"}]}]}`,
		`{"data": [{"spans": [{"traceID": "", "spanID": "1", "startTime": 5}]}]}`,
		`[{"traceID": "1", "spanID": "0", "startTime": 5, "tags": {"a": "b"}}]`,
		`[{"traceId": "1", "id": "2", "duration": -5}]`,
		`[{"traceId": "1", "id": "2", "tags": {"n": 5}}]`,
		"[{\"traceId\": \"1\", \"id\": \"2\"},\n {\"traceId\": \"1\", \"id\": \"3\", \"parentId\": \"2\"}]",
		"[\n {\"traceId\": \"a3ce929d0e0e4736\", \"id\": \"00f067aa0ba902b7\", \"timestamp\": 1},\n {\"traceId\": \"a3ce929d0e0e4736\",\n  \"id\": \"not-hex!\", \"timestamp\": 1}\n]",
		`[{"foo": 1}]`,
		`{"error": {"httpCode": 404, "message": "trace not found"}}`,
		`{"data": null, "total": 0, "errors": [{"code": 404, "msg": "trace not found"}]}`,
		`{"data": []}`,
		"{\"resourceSpans\": []}\n{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"traceId\": \"0102030405060708090a0b0c0d0e0f10\", \"spanId\": \"0102030405060708\"}]}]}]}\ngarbage\x00",
		"[{\"traceId\": \"1\", \"id\": \"2\", \"timestamp\": 1, \"name\": \"\x00\xff\"}] \x01",
		`"just a string"`,
	} {
		_, f, err := Read("in.json", []byte(in), "")
		fmt.Printf("%q\n   -> [%s] %v\n", in[:min(len(in), 60)], f, err)
	}
}
