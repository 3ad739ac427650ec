package svgrender

import "io"

// Writer is the markup writer of every picture, for pictures drawn outside
// this package (internal/tracecompare): the drawer's own markup goes through
// Raw, Num and the element helpers, every string from data through Text,
// the one escaping path.
type Writer struct{ o *out }

// NewWriter buffers markup for w; call Flush at the end.
func NewWriter(w io.Writer) *Writer { return &Writer{o: newOut(w)} }

// Open writes the document start (white background, the pictures' style).
func (w *Writer) Open(width, height float64) { openSVG(w.o, width, height) }

// Raw writes markup the drawer spells itself, never data.
func (w *Writer) Raw(s string) { w.o.raw(s) }

// Num writes a coordinate (one decimal at most; NaN and infinities as 0).
func (w *Writer) Num(v float64) { w.o.f(v) }

// Text writes data as escaped character data, cut to max characters.
func (w *Writer) Text(s string, max int) { w.o.text(s, max) }

// TextAt opens a <text> of class cls at (x, y); write the content and "</text>".
func (w *Writer) TextAt(cls string, x, y float64) { textAt(w.o, cls, x, y) }

// Rect writes a <rect> of class cls.
func (w *Writer) Rect(cls string, x, y, width, height float64) { rectAt(w.o, cls, x, y, width, height) }

// RectAttrs ends a <rect tag the caller opened with its geometry.
func (w *Writer) RectAttrs(x, y, width, height float64) { rectAttrs(w.o, x, y, width, height) }

// Flush writes what is buffered and returns the first write error.
func (w *Writer) Flush() error { return w.o.flush() }

// MaxLabel is the characters of a data string kept in a label.
const MaxLabel = maxLabel

// Ticks returns the time axis marks of the pictures: 0, step, ... up to span.
func Ticks(span int64, want int) (step int64, at []int64) { return ticks(span, want) }

// TickLabel formats an axis mark, one unit per axis.
func TickLabel(v, step int64) string { return tickLabel(v, step) }

// FormatDuration formats ns with three significant digits (850ns, 1.05ms).
func FormatDuration(ns int64) string { return fmtDur(ns) }
