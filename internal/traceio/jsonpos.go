package traceio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// lineTracker counts lines of what a json.Decoder reads, remembering only
// the newlines after the oldest place an error may still be reported at.
type lineTracker struct {
	r        io.Reader
	read     int64   // bytes passed through
	nl       []int64 // offsets of newlines at or after `from`
	from     int64   // offsets before this are forgotten
	fromLine int     // 0-based line of `from`
	fromCol  int64   // offset where the line holding `from` starts
}

func (t *lineTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			break
		}
		t.nl = append(t.nl, t.read+int64(i+j))
		i += j + 1
	}
	t.read += int64(n)
	return n, err
}

// forget drops what is known about lines before off.
func (t *lineTracker) forget(off int64) {
	if off <= t.from {
		return
	}
	i := sort.Search(len(t.nl), func(i int) bool { return t.nl[i] >= off })
	if i > 0 {
		t.fromLine += i
		t.fromCol = t.nl[i-1] + 1
		t.nl = append(t.nl[:0], t.nl[i:]...)
	}
	t.from = off
}

// pos is the 1-based line and byte column of offset off.
func (t *lineTracker) pos(off int64) (line, col int) {
	if off < t.from {
		off = t.from
	}
	i := sort.Search(len(t.nl), func(i int) bool { return t.nl[i] >= off })
	start := t.fromCol
	if i > 0 {
		start = t.nl[i-1] + 1
	}
	return t.fromLine + i + 1, int(off-start) + 1
}

// unit is one JSON value read whole, with where it sits in the input, so a
// problem inside it can be reported at its line and JSON path.
type unit struct {
	raw    []byte
	start  int64  // input offset of raw[shift]
	shift  int    // bytes of raw that are not in the input (a wrapper)
	prefix string // JSON path of raw in the input
}

// at reports err at relative offset rel of the unit, at path (relative to
// the unit) or, when path is empty, at the path holding rel.
func (s *jsonStream) at(u unit, rel int64, path string, err error) error {
	if path == "" {
		path = pathAt(u.raw, rel)
	}
	off := u.start + rel - int64(u.shift)
	if off < u.start {
		off = u.start
	}
	line, col := s.lt.pos(off)
	return &Error{File: s.r.name, Line: line, Column: col, Field: joinPath(u.prefix, path), Err: err}
}

// atPath reports err at the field path (relative to the unit).
func (s *jsonStream) atPath(u unit, path string, err error) error {
	return s.at(u, offsetOf(u.raw, path), path, err)
}

// decodeRaw decodes a value the stream decoder has already checked, without
// json.Unmarshal's second pass over it.
func decodeRaw(raw []byte, v any) error {
	return json.NewDecoder(bytes.NewReader(raw)).Decode(v)
}

// decodeErr reports an error of decodeRaw(u.raw, ...) in the user's words.
func (s *jsonStream) decodeErr(u unit, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ):
		return s.at(u, typ.Offset-1, "", fmt.Errorf("expected %s, found %s", kindWords(typ.Type), valueWords(typ.Value)))
	case errors.As(err, &syn):
		return s.at(u, syn.Offset-1, "", fmt.Errorf("not valid JSON: %s", syn))
	}
	return s.at(u, 0, "", err)
}

// kindWords says what a Go type holds, as JSON.
func kindWords(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return kindWords(t.Elem())
	}
	return "another kind of value"
}

// valueWords turns encoding/json's description of a value ("string",
// "number -5", "object") into words.
func valueWords(v string) string {
	kind, rest, _ := strings.Cut(v, " ")
	switch kind {
	case "string":
		return "a string"
	case "number":
		if rest != "" {
			return "the number " + quoteNumber(rest)
		}
		return "a number"
	case "object":
		return "an object"
	case "array":
		return "an array"
	case "bool":
		return "true or false"
	}
	return quote(v)
}

func quoteNumber(s string) string {
	if _, err := strconv.ParseFloat(s, 64); err == nil && len(s) < 40 {
		return s
	}
	return quote(s)
}

// joinPath appends a relative JSON path to a prefix.
func joinPath(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case path == "":
		return prefix
	case path[0] == '[':
		return prefix + path
	}
	return prefix + "." + path
}

// pathKey writes an object key into a path, quoted when it is not a plain
// name.
func pathKey(k string) string {
	for _, c := range k {
		if !(c == '_' || c == '@' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return quote(k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}

type pathFrame struct {
	array   bool
	index   int
	key     string
	wantKey bool
}

// walk visits the tokens of raw in order with the JSON path of each and the
// offset just after it, until visit returns true; on a syntax error it
// stops there.
func walk(raw []byte, visit func(path string, end int64) bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var stack []pathFrame
	path := func() string {
		var b strings.Builder
		for i, f := range stack {
			switch {
			case f.array:
				fmt.Fprintf(&b, "[%d]", f.index)
			case !f.wantKey:
				if i > 0 {
					b.WriteByte('.')
				}
				b.WriteString(pathKey(f.key))
			}
		}
		return strings.TrimPrefix(b.String(), ".")
	}
	done := func() { // a value ended: the parent moves on
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].wantKey = true
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return
		}
		end := dec.InputOffset()
		if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].wantKey {
			if k, ok := tok.(string); ok {
				stack[n-1].key, stack[n-1].wantKey = k, false
				if visit(path(), end) {
					return
				}
				continue
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if visit(path(), end) {
				return
			}
			stack = append(stack, pathFrame{array: tok == json.Delim('['), wantKey: true})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			done()
		default:
			if visit(path(), end) {
				return
			}
			done()
		}
	}
}

// pathAt is the path of the value that holds offset rel of raw.
func pathAt(raw []byte, rel int64) string {
	found := ""
	walk(raw, func(path string, end int64) bool {
		found = path
		return end > rel
	})
	return found
}

// offsetOf is where path (or the nearest existing parent of it) ends in
// raw; key names match whatever their case and underscores (OTLP/JSON
// takes both traceId and trace_id).
func offsetOf(raw []byte, path string) int64 {
	want := normPath(path)
	var best int64
	walk(raw, func(p string, end int64) bool {
		np := normPath(p)
		if np == want {
			best = end
			return true
		}
		if strings.HasPrefix(want, np) {
			best = end
		}
		return false
	})
	return best
}

func normPath(p string) string {
	return strings.ToLower(strings.ReplaceAll(p, "_", ""))
}
