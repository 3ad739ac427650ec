package svgrender

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// elem is a parsed XML element, enough to assert on pictures.
type elem struct {
	name   string
	attr   map[string]string
	kids   []*elem
	text   string // for "#text" nodes: the character data
	parent *elem
}

// parse reads data back with encoding/xml in strict mode; a picture that
// does not parse fails the test.
func parse(t testing.TB, data []byte) *elem {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	root := &elem{name: "#document"}
	cur := root
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("picture is not well-formed XML: %v", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			e := &elem{name: tk.Name.Local, attr: map[string]string{}, parent: cur}
			for _, a := range tk.Attr {
				e.attr[a.Name.Local] = a.Value
			}
			cur.kids = append(cur.kids, e)
			cur = e
		case xml.EndElement:
			cur = cur.parent
		case xml.CharData:
			cur.kids = append(cur.kids, &elem{name: "#text", text: string(tk), parent: cur})
		case xml.Directive:
			t.Fatalf("unexpected directive <!%s>", tk)
		}
	}
	return root
}

// all returns the elements under e (depth first) that match.
func (e *elem) all(match func(*elem) bool) []*elem {
	var out []*elem
	var walk func(*elem)
	walk = func(x *elem) {
		for _, k := range x.kids {
			if match(k) {
				out = append(out, k)
			}
			walk(k)
		}
	}
	walk(e)
	return out
}

// fullText is the character data of e and everything inside it.
func (e *elem) fullText() string {
	var b strings.Builder
	b.WriteString(e.text)
	for _, k := range e.kids {
		if k.name != "title" {
			b.WriteString(k.fullText())
		}
	}
	return b.String()
}

// titleText is the text of a <title> element.
func (e *elem) titleText() string {
	var b strings.Builder
	for _, k := range e.kids {
		b.WriteString(k.text)
	}
	return b.String()
}

func (e *elem) title() (string, bool) {
	for x := e; x != nil; x = x.parent {
		for _, k := range x.kids {
			if k.name == "title" {
				return k.titleText(), true
			}
		}
	}
	return "", false
}

func named(name string) func(*elem) bool { return func(e *elem) bool { return e.name == name } }

func class(name, cls string) func(*elem) bool {
	return func(e *elem) bool {
		return e.name == name && (e.attr["class"] == cls || strings.HasPrefix(e.attr["class"], cls+" "))
	}
}

// texts are the full texts of the <text> elements under e.
func (e *elem) texts() []string {
	var out []string
	for _, x := range e.all(named("text")) {
		out = append(out, x.fullText())
	}
	return out
}
