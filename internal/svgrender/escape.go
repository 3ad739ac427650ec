package svgrender

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// out writes markup. Markup that the renderer spells itself goes through raw
// and the number helpers; every string that comes from data goes through text,
// the one escaping path. Nothing from data is ever written into an attribute.
type out struct {
	w   *bufio.Writer
	num []byte // scratch for number formatting
}

func newOut(w io.Writer) *out {
	return &out{w: bufio.NewWriterSize(w, 64<<10), num: make([]byte, 0, 32)}
}

// flush returns the first write error, if any (bufio.Writer keeps it).
func (o *out) flush() error { return o.w.Flush() }

func (o *out) raw(s string) { o.w.WriteString(s) }

// f writes a coordinate with at most one decimal; NaN and infinities (a
// broken layout) become 0 so the document stays valid.
func (o *out) f(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	v = math.Round(v*10) / 10
	if v == 0 {
		v = 0 // no "-0"
	}
	o.num = strconv.AppendFloat(o.num[:0], v, 'f', -1, 64)
	o.w.Write(o.num)
}

func (o *out) i(v int64) {
	o.num = strconv.AppendInt(o.num[:0], v, 10)
	o.w.Write(o.num)
}

// text writes s as XML character data, cut to at most max characters
// (an ellipsis marks the cut). See appendText.
func (o *out) text(s string, max int) {
	o.num = appendText(o.num[:0], s, max)
	o.w.Write(o.num)
}

// Limits on the characters of data strings in the picture.
const (
	maxLabel   = 60  // a name in a label
	maxTooltip = 300 // a value in a tooltip
)

// appendText appends s escaped as XML character data (also safe inside a
// quoted attribute and in HTML):
//   - & < > " ' become entities;
//   - bytes that are not UTF-8 become U+FFFD;
//   - characters XML 1.0 forbids (C0 controls other than tab, newline and
//     carriage return; surrogates; U+FFFE, U+FFFF), C1 controls and the
//     bidirectional embedding/override/isolate controls are dropped, so a
//     name can neither break the document nor reorder the text around it;
//   - tab, newline and carriage return become a space (labels are one line);
//   - text with right-to-left characters is wrapped in FIRST STRONG ISOLATE
//     ... POP DIRECTIONAL ISOLATE, so it shows as written without flipping
//     the numbers and units next to it.
//
// Only the first max characters are kept; reading stops there, so a 100 KB
// name costs no more than a short one.
func appendText(dst []byte, s string, max int) []byte {
	start := len(dst)
	rtl := false
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if !keep(r) {
			continue
		}
		if n == max {
			dst = append(dst, "…"...)
			break
		}
		n++
		switch r {
		case '&':
			dst = append(dst, "&amp;"...)
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		case '"':
			dst = append(dst, "&quot;"...)
		case '\'':
			dst = append(dst, "&#39;"...)
		case '\t', '\n', '\r':
			dst = append(dst, ' ')
		default:
			if r < utf8.RuneSelf {
				dst = append(dst, byte(r))
				continue
			}
			rtl = rtl || isRTL(r)
			dst = utf8.AppendRune(dst, r) // invalid input was decoded as U+FFFD
		}
	}
	if rtl {
		const fsi, pdi = "\u2068", "\u2069" // 3 bytes each in UTF-8
		dst = append(dst, fsi...)
		copy(dst[start+len(fsi):], dst[start:len(dst)-len(fsi)])
		copy(dst[start:], fsi)
		dst = append(dst, pdi...)
	}
	return dst
}

// keep reports whether r may appear in the picture's text.
func keep(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return false
	case r == 0x061c, r == 0x200e, r == 0x200f, // bidi marks
		r >= 0x202a && r <= 0x202e, // embeddings and overrides
		r >= 0x2066 && r <= 0x2069: // isolates
		return false
	case r >= 0xd800 && r <= 0xdfff, r == 0xfffe, r == 0xffff, r > utf8.MaxRune:
		return false
	}
	return true
}

// isRTL reports characters of the right-to-left scripts (Hebrew, Arabic,
// Syriac, Thaana, N'Ko, ... and their presentation forms).
func isRTL(r rune) bool {
	return r >= 0x0590 && r <= 0x08ff ||
		r >= 0xfb1d && r <= 0xfdff ||
		r >= 0xfe70 && r <= 0xfefc ||
		r >= 0x10800 && r <= 0x10fff ||
		r >= 0x1e800 && r <= 0x1efff
}
