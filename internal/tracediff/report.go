package tracediff

import (
	"cmp"
	"fmt"
	"io"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Report is the outcome of a comparison. Counts are complete; the example
// lists hold at most Options.Limit entries each, sorted by trace and span.
type Report struct {
	Identical bool       `json:"identical"`
	Sides     [2]Summary `json:"sides"` // A, B

	TracesOnlyInA int        `json:"traces_only_in_a"`
	TracesOnlyInB int        `json:"traces_only_in_b"`
	OnlyInA       []TraceRef `json:"traces_only_in_a_examples"`
	OnlyInB       []TraceRef `json:"traces_only_in_b_examples"`

	// Spans missing on one side of a trace both sides have.
	SpansOnlyInA int       `json:"spans_only_in_a"`
	SpansOnlyInB int       `json:"spans_only_in_b"`
	MissingInB   []SpanRef `json:"spans_only_in_a_examples"`
	MissingInA   []SpanRef `json:"spans_only_in_b_examples"`

	SpansChanged int      `json:"spans_changed"`
	Changed      []Change `json:"spans_changed_examples"`

	// Spans present more than once on one side (same trace and span ID).
	Duplicates []SpanRef `json:"duplicate_examples"`
}

// Summary counts one input.
type Summary struct {
	Name       string `json:"name"`
	Traces     int    `json:"traces"`
	Spans      int    `json:"spans"`
	Duplicates int    `json:"duplicate_spans"`
}

// TraceRef is a trace present on one side only.
type TraceRef struct {
	TraceID string `json:"trace_id"`
	Spans   int    `json:"spans"`
	Root    string `json:"root,omitempty"` // "service: name" of its root span, if it has one
}

// SpanRef names a span.
type SpanRef struct {
	Side    string `json:"side,omitempty"` // of a duplicate
	TraceID string `json:"trace_id"`
	SpanID  string `json:"span_id"`
	Name    string `json:"name"`
	Service string `json:"service"`
}

// Change is a span present on both sides whose fields differ.
type Change struct {
	SpanRef
	Fields []Field `json:"fields"`
}

// Field is one difference: the field and its value on each side.
type Field struct {
	Name string `json:"field"`
	A    string `json:"a"`
	B    string `json:"b"`
}

func ref(r *record) SpanRef {
	return SpanRef{TraceID: r.key.trace().String(), SpanID: r.key.span().String(), Name: r.name, Service: r.service}
}

// addSpan lists the span of record raw, up to limit.
func (r *Report) addSpan(list *[]SpanRef, s Side, raw []byte, limit int) error {
	if len(*list) >= limit {
		return nil
	}
	rec, err := decode(raw)
	if err != nil {
		return err
	}
	sr := ref(rec)
	if list == &r.Duplicates {
		sr.Side = s.String()
	}
	*list = append(*list, sr)
	return nil
}

// addTrace lists trace t of m, naming its root span, up to limit.
func (r *Report) addTrace(list *[]TraceRef, t pcommon.TraceID, spans int, m map[key][]byte, limit int) error {
	if len(*list) >= limit {
		return nil
	}
	tr := TraceRef{TraceID: t.String(), Spans: spans}
	var root []byte // the root with the lowest span ID, so the choice is stable
	for k, raw := range m {
		if k.trace() == t && pcommon.SpanID(raw[24:32]).IsEmpty() && (root == nil || string(raw[16:24]) < string(root[16:24])) {
			root = raw
		}
	}
	if root != nil {
		rec, err := decode(root)
		if err != nil {
			return err
		}
		tr.Root = rec.service + ": " + rec.name
	}
	*list = append(*list, tr)
	return nil
}

// merge adds the counts and examples of a partition.
func (r *Report) merge(p *Report, limit int) {
	for s := range r.Sides {
		r.Sides[s].Traces += p.Sides[s].Traces
		r.Sides[s].Spans += p.Sides[s].Spans
		r.Sides[s].Duplicates += p.Sides[s].Duplicates
	}
	r.TracesOnlyInA += p.TracesOnlyInA
	r.TracesOnlyInB += p.TracesOnlyInB
	r.SpansOnlyInA += p.SpansOnlyInA
	r.SpansOnlyInB += p.SpansOnlyInB
	r.SpansChanged += p.SpansChanged
	r.OnlyInA = appendUpTo(r.OnlyInA, p.OnlyInA, limit)
	r.OnlyInB = appendUpTo(r.OnlyInB, p.OnlyInB, limit)
	r.MissingInB = appendUpTo(r.MissingInB, p.MissingInB, limit)
	r.MissingInA = appendUpTo(r.MissingInA, p.MissingInA, limit)
	r.Changed = appendUpTo(r.Changed, p.Changed, limit)
	r.Duplicates = appendUpTo(r.Duplicates, p.Duplicates, limit)
}

func appendUpTo[T any](dst, src []T, limit int) []T {
	return append(dst, src[:min(len(src), max(0, limit-len(dst)))]...)
}

func (r *Report) sortExamples() {
	byTrace := func(a, b TraceRef) int { return cmp.Compare(a.TraceID, b.TraceID) }
	bySpan := func(a, b SpanRef) int {
		return cmp.Or(cmp.Compare(a.TraceID, b.TraceID), cmp.Compare(a.SpanID, b.SpanID), cmp.Compare(a.Side, b.Side))
	}
	slices.SortFunc(r.OnlyInA, byTrace)
	slices.SortFunc(r.OnlyInB, byTrace)
	slices.SortFunc(r.MissingInA, bySpan)
	slices.SortFunc(r.MissingInB, bySpan)
	slices.SortFunc(r.Duplicates, bySpan)
	slices.SortFunc(r.Changed, func(a, b Change) int { return bySpan(a.SpanRef, b.SpanRef) })
}

func (r *Report) isIdentical() bool {
	return r.TracesOnlyInA == 0 && r.TracesOnlyInB == 0 && r.SpansOnlyInA == 0 && r.SpansOnlyInB == 0 &&
		r.SpansChanged == 0 && r.Sides[A].Duplicates == 0 && r.Sides[B].Duplicates == 0
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	for s, sum := range r.Sides {
		ew.printf("%s  %s: %d spans in %d traces", Side(s), sum.Name, sum.Spans, sum.Traces)
		if sum.Duplicates > 0 {
			ew.printf(" (%d duplicate spans)", sum.Duplicates)
		}
		ew.printf("\n")
	}
	if r.Identical {
		ew.printf("identical: every span is on both sides with the same fields\n")
		return ew.err
	}
	traces := func(title string, n int, list []TraceRef) {
		ew.printf("%s: %d\n", title, n)
		for _, t := range list {
			ew.printf("  trace %s (%d spans", t.TraceID, t.Spans)
			if t.Root != "" {
				ew.printf(", root %q", t.Root)
			}
			ew.printf(")\n")
		}
		more(ew, n, len(list))
	}
	spans := func(title string, n int, list []SpanRef) {
		ew.printf("%s: %d\n", title, n)
		for _, s := range list {
			ew.printf("  %strace %s span %s %q (%s)\n", sidePrefix(s.Side), s.TraceID, s.SpanID, s.Name, s.Service)
		}
		more(ew, n, len(list))
	}
	traces("traces only in A", r.TracesOnlyInA, r.OnlyInA)
	traces("traces only in B", r.TracesOnlyInB, r.OnlyInB)
	spans("spans only in A (missing in B)", r.SpansOnlyInA, r.MissingInB)
	spans("spans only in B (missing in A)", r.SpansOnlyInB, r.MissingInA)
	ew.printf("spans that differ: %d\n", r.SpansChanged)
	for _, c := range r.Changed {
		ew.printf("  trace %s span %s %q (%s)\n", c.TraceID, c.SpanID, c.Name, c.Service)
		for _, f := range c.Fields {
			ew.printf("    %s: A %s, B %s\n", f.Name, f.A, f.B)
		}
	}
	more(ew, r.SpansChanged, len(r.Changed))
	if d := r.Sides[A].Duplicates + r.Sides[B].Duplicates; d > 0 {
		spans("duplicate spans", d, r.Duplicates)
	}
	return ew.err
}

func sidePrefix(s string) string {
	if s == "" {
		return ""
	}
	return s + ": "
}

func more(ew *errWriter, n, shown int) {
	if n > shown {
		ew.printf("  ... and %d more (raise -max)\n", n-shown)
	}
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
