package traceio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// errDone ends a container being read element by element.
var errDone = errors.New("done")

// jsonStream reads a sequence of JSON values (one document, one per line or
// several pretty-printed ones) unit by unit.
type jsonStream struct {
	r       *Reader
	lt      *lineTracker
	dec     *json.Decoder
	inner   func() (ptrace.Traces, error) // the container being read, nil at the top
	pending []ptrace.Traces
}

func newJSONStream(r *Reader, br *bufio.Reader) *jsonStream {
	lt := &lineTracker{r: br}
	dec := json.NewDecoder(lt)
	return &jsonStream{r: r, lt: lt, dec: dec}
}

func (s *jsonStream) next() (ptrace.Traces, error) {
	for {
		if len(s.pending) > 0 {
			td := s.pending[0]
			s.pending[0] = ptrace.Traces{}
			s.pending = s.pending[1:]
			return td, nil
		}
		if s.inner != nil {
			td, err := s.inner()
			if err == errDone {
				s.inner = nil
				continue
			}
			return td, err
		}
		s.lt.forget(s.dec.InputOffset())
		tok, err := s.dec.Token()
		if err == io.EOF {
			return ptrace.Traces{}, io.EOF
		}
		if err != nil {
			return ptrace.Traces{}, s.tokenErr(err)
		}
		switch tok {
		case json.Delim('{'):
			s.inner = s.object()
		case json.Delim('['):
			s.inner = s.array()
		default:
			return ptrace.Traces{}, s.here(fmt.Errorf("found %s at the top: %s", tokenWords(tok), expected))
		}
	}
}

// setFormat records the format of what is being read; a forced format that
// does not fit is refused.
func (s *jsonStream) setFormat(f Format, what string) error {
	if forced := s.r.opt.Format; forced != "" && forced != f {
		return s.here(fmt.Errorf("this is %s, not %s (-format %s)", what, describe(forced), forced))
	}
	if s.r.format == "" {
		s.r.format = f
	}
	return nil
}

// here is an error at the decoder's position.
func (s *jsonStream) here(err error) error {
	line, col := s.lt.pos(s.dec.InputOffset())
	return &Error{File: s.r.name, Line: line, Column: col, Err: err}
}

// tokenErr is a syntax error met between units, or the input's end inside
// a container.
func (s *jsonStream) tokenErr(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		// Token's offsets are stale: the decoder stands before the bad
		// byte, or before white space ahead of it.
		off := s.dec.InputOffset()
		rest, _ := io.ReadAll(io.LimitReader(s.dec.Buffered(), 4096))
		off += int64(len(rest) - len(bytes.TrimLeft(rest, " \t\r\n")))
		line, col := s.lt.pos(off)
		return &Error{File: s.r.name, Line: line, Column: col, Err: fmt.Errorf("not valid JSON: %s", syn)}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := s.lt.pos(s.lt.read)
		return &Error{File: s.r.name, Line: line, Column: col, Err: errors.New("the input ends in the middle of a JSON value (cut off?)")}
	}
	return &Error{File: s.r.name, Err: err}
}

// value reads the next value whole, with its place.
func (s *jsonStream) value(prefix string) (unit, error) {
	before := s.dec.InputOffset()
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			// Offsets of a value's syntax errors count from where it
			// starts, up to and with the bad byte.
			syn.Offset += before - 1
			line, col := s.lt.pos(syn.Offset)
			return unit{}, &Error{File: s.r.name, Line: line, Column: col, Field: prefix, Err: fmt.Errorf("not valid JSON: %s", syn)}
		}
		return unit{}, s.tokenErr(err)
	}
	return unit{raw: raw, start: s.dec.InputOffset() - int64(len(raw)), prefix: prefix}, nil
}

// key reads an object key, or reports the end of the object.
func (s *jsonStream) key() (string, bool, error) {
	if !s.dec.More() {
		if _, err := s.dec.Token(); err != nil {
			return "", false, s.tokenErr(err)
		}
		return "", false, nil
	}
	tok, err := s.dec.Token()
	if err != nil {
		return "", false, s.tokenErr(err)
	}
	k, _ := tok.(string)
	return k, true, nil
}

// object reads a top-level object member by member: an OTLP document, a
// Jaeger v3 answer, a Jaeger v1 answer (streamed trace by trace) or a bare
// Jaeger trace.
func (s *jsonStream) object() func() (ptrace.Traces, error) {
	var (
		keys      []string
		units     int
		apiErrors []string
		bare      *bareJaeger
		data      func() (ptrace.Traces, error)
	)
	return func() (ptrace.Traces, error) {
		for {
			if data != nil {
				td, err := data()
				if err != errDone {
					units++
					return td, err
				}
				data = nil
			}
			k, ok, err := s.key()
			if err != nil {
				return ptrace.Traces{}, err
			}
			if !ok {
				break
			}
			keys = append(keys, k)
			switch k {
			case "resourceSpans", "resource_spans":
				if err := s.setFormat(OTLP, "OTLP/JSON"); err != nil {
					return ptrace.Traces{}, err
				}
				u, err := s.value("")
				if err != nil {
					return ptrace.Traces{}, err
				}
				wrap := `{"resourceSpans":`
				u.raw = append(append([]byte(wrap), u.raw...), '}')
				u.shift = len(wrap)
				units++
				return s.otlpDoc(u)
			case "result":
				// OTLP/JSON in Jaeger's wrapper: either format name fits.
				f := Jaeger
				if s.r.opt.Format == OTLP {
					f = OTLP
				}
				if err := s.setFormat(f, "a Jaeger /api/v3 answer"); err != nil {
					return ptrace.Traces{}, err
				}
				u, err := s.value("result")
				if err != nil {
					return ptrace.Traces{}, err
				}
				units++
				return s.otlpDoc(u)
			case "error":
				u, err := s.value("error")
				if err != nil {
					return ptrace.Traces{}, err
				}
				apiErrors = append(apiErrors, jaegerAPIError(u.raw))
			case "errors":
				u, err := s.value("errors")
				if err != nil {
					return ptrace.Traces{}, err
				}
				var list []json.RawMessage
				if json.Unmarshal(u.raw, &list) == nil {
					for _, e := range list {
						apiErrors = append(apiErrors, jaegerAPIError(e))
					}
				}
			case "data":
				if err := s.setFormat(Jaeger, "a Jaeger query answer"); err != nil {
					return ptrace.Traces{}, err
				}
				tok, err := s.dec.Token()
				if err != nil {
					return ptrace.Traces{}, s.tokenErr(err)
				}
				if tok == nil { // "data": null, the answer of a failed query
					continue
				}
				if tok != json.Delim('[') {
					return ptrace.Traces{}, s.here(fmt.Errorf("field data: expected an array of traces, found %s", tokenWords(tok)))
				}
				data = s.elements("data", 0, func(u unit) (ptrace.Traces, error) {
					return s.jaegerTrace(u)
				})
			case "traceID", "spans", "processes", "warnings":
				if err := s.setFormat(Jaeger, "a Jaeger trace"); err != nil {
					return ptrace.Traces{}, err
				}
				if bare == nil {
					bare = &bareJaeger{}
				}
				u, err := s.value(pathKey(k))
				if err != nil {
					return ptrace.Traces{}, err
				}
				bare.set(k, u)
			case "resourceMetrics", "resource_metrics", "resourceLogs", "resource_logs", "resourceProfiles", "resource_profiles":
				signal := strings.TrimPrefix(strings.ToLower(strings.ReplaceAll(k, "_", "")), "resource")
				return ptrace.Traces{}, s.here(fmt.Errorf("this is OTLP %s, not traces", signal))
			default:
				if _, err := s.value(pathKey(k)); err != nil { // skipped
					return ptrace.Traces{}, err
				}
			}
		}
		// The object ended.
		switch {
		case bare != nil:
			td, err := s.bareJaegerTrace(bare)
			if err != nil {
				return td, err
			}
			bare = nil
			s.pending = append(s.pending, td)
			return ptrace.Traces{}, errDone
		case units > 0:
			return ptrace.Traces{}, errDone
		case len(apiErrors) > 0:
			return ptrace.Traces{}, s.here(fmt.Errorf("the input is an error answer, not traces: %s", strings.Join(apiErrors, "; ")))
		case contains(keys, "data"):
			return ptrace.Traces{}, errDone // "data": null or []
		}
		return ptrace.Traces{}, s.here(fmt.Errorf("%s; found an object with %s", objectExpected, keyWords(keys)))
	}
}

const objectExpected = "expected an OTLP/JSON document (resourceSpans), a Jaeger answer (data or result), a Jaeger trace (spans) or a Zipkin span array"

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func keyWords(keys []string) string {
	if len(keys) == 0 {
		return "no fields"
	}
	shown := make([]string, 0, 6)
	for i, k := range keys {
		if i == 6 {
			shown = append(shown, "...")
			break
		}
		shown = append(shown, quote(k))
	}
	return "the fields " + strings.Join(shown, ", ")
}

// jaegerAPIError is the message of an error object of Jaeger's APIs
// ({"code":404,"msg":"trace not found"} in v1, {"httpCode":404,"message":...}
// in v3).
func jaegerAPIError(raw []byte) string {
	var e struct {
		Code     int    `json:"code"`
		Msg      string `json:"msg"`
		HTTPCode int    `json:"httpCode"`
		Message  string `json:"message"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return quote(string(raw))
	}
	msg, code := e.Msg+e.Message, e.Code+e.HTTPCode
	if code != 0 {
		return fmt.Sprintf("%s (code %d)", quote(msg), code)
	}
	return quote(msg)
}

// elements reads the rest of an array whose '[' and first `from` elements
// were read, one element at a time, converting each with conv; prefix names
// the array in paths.
func (s *jsonStream) elements(prefix string, from int, conv func(unit) (ptrace.Traces, error)) func() (ptrace.Traces, error) {
	i := from
	return func() (ptrace.Traces, error) {
		if !s.dec.More() {
			if _, err := s.dec.Token(); err != nil {
				return ptrace.Traces{}, s.tokenErr(err)
			}
			return ptrace.Traces{}, errDone
		}
		s.lt.forget(s.dec.InputOffset())
		u, err := s.value(fmt.Sprintf("%s[%d]", prefix, i))
		if err != nil {
			return ptrace.Traces{}, err
		}
		i++
		return conv(u)
	}
}

// array reads a top-level array, telling what it holds by its first
// element: Zipkin spans, Jaeger spans, Jaeger traces, OTLP documents, or
// arrays of Zipkin spans (Zipkin's /api/v2/traces answer).
func (s *jsonStream) array() func() (ptrace.Traces, error) {
	var rest func() (ptrace.Traces, error)
	return func() (ptrace.Traces, error) {
		if rest != nil {
			return rest()
		}
		if !s.dec.More() {
			if _, err := s.dec.Token(); err != nil {
				return ptrace.Traces{}, s.tokenErr(err)
			}
			return ptrace.Traces{}, errDone
		}
		first, err := s.value("[0]")
		if err != nil {
			return ptrace.Traces{}, err
		}
		kind, err := s.arrayKind(first)
		if err != nil {
			return ptrace.Traces{}, err
		}
		var conv func(unit) (ptrace.Traces, error)
		switch kind {
		case zipkinSpans, jaegerSpans:
			// Spans of a trace may be anywhere in the array: read it whole.
			all := []unit{first}
			for i := 1; s.dec.More(); i++ {
				u, err := s.value(fmt.Sprintf("[%d]", i))
				if err != nil {
					return ptrace.Traces{}, err
				}
				all = append(all, u)
			}
			if _, err := s.dec.Token(); err != nil {
				return ptrace.Traces{}, s.tokenErr(err)
			}
			var traces []ptrace.Traces
			if kind == zipkinSpans {
				traces, err = s.zipkinSpans(all)
			} else {
				traces, err = s.jaegerSpans(all)
			}
			if err != nil {
				return ptrace.Traces{}, err
			}
			s.pending = append(s.pending, traces...)
			return ptrace.Traces{}, errDone
		case zipkinTraces:
			conv = s.zipkinList
		case jaegerTraces:
			conv = s.jaegerTrace
		case otlpDocs:
			conv = s.otlpDoc
		}
		rest = s.elements("", 1, conv)
		return conv(first)
	}
}

type arrayKind int

const (
	zipkinSpans arrayKind = iota
	zipkinTraces
	jaegerSpans
	jaegerTraces
	otlpDocs
)

// arrayKind decides what an array holds from its first element's fields.
func (s *jsonStream) arrayKind(first unit) (arrayKind, error) {
	forced := s.r.opt.Format
	switch first.raw[0] {
	case '[':
		if err := s.setFormat(Zipkin, "a list of Zipkin traces"); err != nil {
			return 0, err
		}
		return zipkinTraces, nil
	case '{':
	default:
		return 0, s.at(first, 0, "", fmt.Errorf("expected an array of spans or traces, found an array of %s", rawWords(first.raw)))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(first.raw, &fields); err != nil {
		return 0, s.decodeErr(first, err)
	}
	has := func(keys ...string) []string {
		var found []string
		for _, k := range keys {
			if _, ok := fields[k]; ok {
				found = append(found, k)
			}
		}
		return found
	}
	zipkin := has("traceId", "id", "parentId", "localEndpoint", "remoteEndpoint", "annotations", "shared", "timestamp")
	jaegerSpan := has("traceID", "spanID", "operationName", "references", "processID", "startTime", "logs")
	jaegerTrace := has("spans", "processes")
	otlp := has("resourceSpans", "resource_spans")
	if len(otlp) > 0 {
		if err := s.setFormat(OTLP, "an array of OTLP/JSON documents"); err != nil {
			return 0, err
		}
		return otlpDocs, nil
	}
	if len(jaegerTrace) > 0 && forced != Zipkin {
		if err := s.setFormat(Jaeger, "an array of Jaeger traces"); err != nil {
			return 0, err
		}
		return jaegerTraces, nil
	}
	isZipkin, isJaeger := len(zipkin) > 0, len(jaegerSpan) > 0
	if forced == Zipkin || forced == Jaeger {
		isZipkin, isJaeger = forced == Zipkin, forced == Jaeger
	} else if isZipkin && isJaeger {
		// "id" and "timestamp" alone are weak: let the strong fields decide.
		strong := has("traceId", "parentId", "localEndpoint", "remoteEndpoint", "annotations", "shared")
		if len(strong) == 0 {
			isZipkin = false
		} else {
			return 0, s.at(first, 0, "", fmt.Errorf("ambiguous: the first element has fields of Zipkin v2 spans (%s) and of Jaeger spans (%s); say which with -format zipkin or -format jaeger",
				strings.Join(zipkin, ", "), strings.Join(jaegerSpan, ", ")))
		}
	}
	switch {
	case isZipkin:
		if err := s.setFormat(Zipkin, "an array of Zipkin spans"); err != nil {
			return 0, err
		}
		return zipkinSpans, nil
	case isJaeger:
		if err := s.setFormat(Jaeger, "an array of Jaeger spans"); err != nil {
			return 0, err
		}
		return jaegerSpans, nil
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return 0, s.at(first, 0, "", fmt.Errorf("not a trace file: expected an array of Zipkin v2 spans (traceId, id, ...), Jaeger spans (traceID, spanID, ...) or Jaeger traces (spans, processes); the first element has %s", keyWords(keys)))
}

// rawWords names the kind of a JSON value.
func rawWords(raw []byte) string {
	switch raw[0] {
	case '{':
		return "objects"
	case '[':
		return "arrays"
	case '"':
		return "strings"
	case 't', 'f':
		return "true or false"
	case 'n':
		return "null"
	}
	return "numbers"
}

func tokenWords(tok json.Token) string {
	switch v := tok.(type) {
	case string:
		return "the string " + quote(v)
	case float64, json.Number:
		return "a number"
	case bool:
		return "true or false"
	case nil:
		return "null"
	case json.Delim:
		return quote(v.String())
	}
	return "a value"
}
