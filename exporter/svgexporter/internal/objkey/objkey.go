// Package objkey turns an object key template and values taken from trace
// data into a bucket key that cannot leave the configured prefix.
//
// Every value that comes from data is reduced to the characters
// [A-Za-z0-9._-], never starts with a dot, is never empty and is at most
// MaxSegment bytes long (longer values are cut and end with a hash of the
// original, so distinct long names stay distinct). The finished key is
// checked once more as a whole.
package objkey

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"
)

// MaxSegment is the longest a sanitised value may be, in bytes.
const MaxSegment = 64

// maxKey is the longest key S3, GCS and Azure all accept.
const maxKey = 1024

// hashLen is how many hex digits of the SHA-256 end a truncated value.
const hashLen = 12

// Values are what a key is made from. Strings may hold anything.
type Values struct {
	TraceID   string // hex trace ID; sanitised like the others
	Service   string // root service
	Operation string // root span name
	Time      time.Time
}

// Fields are what a template sees: {{.TraceID}}, {{.Service}},
// {{.Operation}}, {{.Year}}, {{.Month}}, {{.Day}}, {{.Hour}}, {{.Minute}},
// {{.Second}} (UTC, zero-padded) and {{.Timestamp}} (20060102T150405Z).
type Fields struct {
	TraceID, Service, Operation            string
	Year, Month, Day, Hour, Minute, Second string
	Timestamp                              string
}

// Template is a parsed key template.
type Template struct {
	src string
	t   *template.Template
}

// Parse parses src and checks that it yields a valid key for sample values,
// so a template that can never work is reported at config time.
func Parse(src string) (*Template, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("empty key template")
	}
	t, err := template.New("key").Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, err
	}
	k := &Template{src: src, t: t}
	if _, err := k.Key(Values{TraceID: "0af7651916cd43dd8448eb211c80319c", Service: "svc", Operation: "op", Time: time.Unix(0, 0)}); err != nil {
		return nil, err
	}
	return k, nil
}

// String returns the template source.
func (k *Template) String() string { return k.src }

// Key renders the key for v. An error means the template itself produced
// an unsafe key (data alone cannot cause one).
func (k *Template) Key(v Values) (string, error) {
	ts := v.Time.UTC()
	f := Fields{
		TraceID:   Sanitize(v.TraceID),
		Service:   Sanitize(v.Service),
		Operation: Sanitize(v.Operation),
		Year:      fmt.Sprintf("%04d", ts.Year()),
		Month:     fmt.Sprintf("%02d", int(ts.Month())),
		Day:       fmt.Sprintf("%02d", ts.Day()),
		Hour:      fmt.Sprintf("%02d", ts.Hour()),
		Minute:    fmt.Sprintf("%02d", ts.Minute()),
		Second:    fmt.Sprintf("%02d", ts.Second()),
		Timestamp: ts.Format("20060102T150405Z"),
	}
	var b bytes.Buffer
	if err := k.t.Execute(&b, f); err != nil {
		return "", err
	}
	key := b.String()
	if err := Check(key); err != nil {
		return "", fmt.Errorf("key %q: %w", key, err)
	}
	return key, nil
}

// Sanitize reduces s to a safe single key segment (see the package doc).
// Every rune of s becomes at most one byte, so the result is never longer
// than s before the cut.
func Sanitize(s string) string {
	var b strings.Builder
	b.Grow(min(len(s), MaxSegment+1))
	for i, r := range s {
		if b.Len() > MaxSegment {
			break // cut below anyway; bounded work for 100 KB names
		}
		switch {
		case r == '.' && i == 0:
			b.WriteByte('_')
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := b.String()
	if out == "" {
		return "_"
	}
	if len(s) > MaxSegment {
		// The hash of the whole original keeps long names that share a
		// prefix apart.
		sum := sha256.Sum256([]byte(s))
		return out[:min(len(out), MaxSegment-hashLen-1)] + "-" + hex.EncodeToString(sum[:])[:hashLen]
	}
	return out
}

// Check reports whether key is a safe relative object key: valid UTF-8,
// no control characters or backslashes, not absolute, and no empty, "."
// or ".." segment.
func Check(key string) error {
	switch {
	case key == "":
		return errors.New("empty key")
	case len(key) > maxKey:
		return fmt.Errorf("longer than %d bytes", maxKey)
	case !utf8.ValidString(key):
		return errors.New("not valid UTF-8")
	case strings.HasPrefix(key, "/"):
		return errors.New("must not start with /")
	case strings.HasSuffix(key, "/"):
		return errors.New("must not end with /")
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("contains %q", r)
		}
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "":
			return errors.New("contains an empty segment (//)")
		case ".", "..":
			return fmt.Errorf("contains a %q segment", seg)
		}
	}
	return nil
}

// Dir is the prefix an object lives under ("" for the bucket root); the
// index for the object is written there.
func Dir(key string) string {
	d := path.Dir(key)
	if d == "." {
		return ""
	}
	return d
}
