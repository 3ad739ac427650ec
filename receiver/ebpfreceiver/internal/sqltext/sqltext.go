// Package sqltext reduces SQL statements to what a span may carry: the
// statement with its literals replaced by "?" (so no value a user typed
// reaches the trace), and the operation it performs.
package sqltext

import (
	"strings"
	"unicode"
)

// Sanitize replaces string literals ('...', with ” inside) and numeric
// literals by "?" and collapses runs of white space. Quoted identifiers
// ("name", `name`) stay. A statement cut off inside a literal ends in "?".
func Sanitize(q string) string {
	var b strings.Builder
	b.Grow(len(q))
	space := false
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'':
			i++
			for i < len(q) {
				if q[i] == '\'' {
					if i+1 < len(q) && q[i+1] == '\'' {
						i += 2
						continue
					}
					i++
					break
				}
				i++
			}
			b.WriteByte('?')
		case c == '"' || c == '`':
			j := strings.IndexByte(q[i+1:], c)
			if j < 0 {
				j = len(q) - i - 1
			} else {
				j++
			}
			b.WriteString(q[i : i+j+1])
			i += j + 1
		case isDigit(c) && (i == 0 || !isWord(q[i-1])):
			for i < len(q) && (isWord(q[i]) || q[i] == '.') {
				i++
			}
			b.WriteByte('?')
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			i++
			continue
		default:
			b.WriteByte(c)
			i++
		}
		space = false
	}
	return strings.TrimRight(b.String(), " ")
}

// Operation is the statement's first keyword in upper case (SELECT,
// INSERT, ...), or "" when it does not start with a word.
func Operation(q string) string {
	q = strings.TrimLeft(q, " \t\r\n(")
	end := strings.IndexFunc(q, func(r rune) bool { return !unicode.IsLetter(r) })
	if end < 0 {
		end = len(q)
	}
	return strings.ToUpper(q[:end])
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWord(c byte) bool {
	return c == '_' || c == '$' || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z')
}
