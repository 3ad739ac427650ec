// Package tracediff compares two sources of the same traces (the
// collector's file output and what a backend returns, say), joined by trace
// ID: traces only on one side, spans missing on either side, and the fields
// of spans present on both.
//
// Inputs of any size are compared in memory bounded by a partition, not the
// files: every span is written as a compact record into one of P temporary
// files chosen by a hash of its trace ID (so every span of a trace, wherever
// it sits in its input, lands in the same partition), and the partitions
// are then compared one by one, two at a time. P follows the expected input
// size (Options.InputBytes), so a partition holds the records of about 16 MB
// of input, up to 256 partitions; a trace is never split, so memory is one
// partition per worker plus the largest trace.
package tracediff

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Side names one of the two inputs.
type Side int

const (
	A Side = iota
	B
)

func (s Side) String() string { return [...]string{"A", "B"}[s] }

// Options tune a comparison.
type Options struct {
	// Tolerance is how far start and end times may be apart and still be
	// equal (clocks rounded to microseconds by Jaeger and Zipkin, say).
	Tolerance time.Duration
	// Ignore lists glob patterns (path.Match) of attribute keys left out
	// of the comparison, e.g. "tracemap.*".
	Ignore []string
	// Limit bounds the examples kept per kind of difference (0: 100); the
	// counts are always complete.
	Limit int
	// InputBytes is the expected size of the larger input; it sets the
	// number of partitions (0: 16).
	InputBytes int64
	// TempDir holds the partition files (default os.TempDir()).
	TempDir string
}

// partitionBytes is the input size one partition is sized for.
const partitionBytes = 16 << 20

// Differ collects both sides into partition files.
type Differ struct {
	opt   Options
	dir   string
	parts [2][]*part
	enc   [2]*encoder
}

type part struct {
	f *os.File
	w *bufio.Writer
}

// New prepares a comparison; call Close to remove its temporary files.
func New(opt Options) (*Differ, error) {
	if opt.Limit <= 0 {
		opt.Limit = 100
	}
	for _, g := range opt.Ignore {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("ignore pattern %q: %w", g, err)
		}
	}
	n := int(opt.InputBytes/partitionBytes) + 1
	if opt.InputBytes == 0 {
		n = 16
	}
	n = min(n, 256)
	dir, err := os.MkdirTemp(opt.TempDir, "tracemap-diff-*")
	if err != nil {
		return nil, err
	}
	d := &Differ{opt: opt, dir: dir}
	for s := range d.parts {
		d.parts[s] = make([]*part, n)
		d.enc[s] = newEncoder(opt.Ignore)
	}
	return d, nil
}

// Close removes the temporary files.
func (d *Differ) Close() error {
	for _, ps := range d.parts {
		for _, p := range ps {
			if p != nil {
				p.f.Close()
			}
		}
	}
	return os.RemoveAll(d.dir)
}

// partition of a trace ID: a mix of both halves, so crafted IDs that differ
// only in a few digits spread too.
func (d *Differ) partition(t pcommon.TraceID) int {
	h := (binary.LittleEndian.Uint64(t[:8]) ^ binary.BigEndian.Uint64(t[8:])) * 0x9e3779b97f4a7c15
	return int((h >> 32) % uint64(len(d.parts[0])))
}

// Add records a batch of side s. Add is safe to call for A and B from two
// goroutines at once, never for one side from two.
func (d *Differ) Add(s Side, td ptrace.Traces) error {
	enc := d.enc[s]
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				i := d.partition(sp.TraceID())
				p := d.parts[s][i]
				if p == nil {
					f, err := os.Create(fmt.Sprintf("%s/%s%03d", d.dir, s, i))
					if err != nil {
						return err
					}
					p = &part{f: f, w: bufio.NewWriterSize(f, 16<<10)}
					d.parts[s][i] = p
				}
				rec := enc.span(sp, rs.Resource(), ss.Scope())
				var n [binary.MaxVarintLen64]byte
				p.w.Write(n[:binary.PutUvarint(n[:], uint64(len(rec)))])
				if _, err := p.w.Write(rec); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Diff compares the partitions, two at a time.
func (d *Differ) Diff() (*Report, error) {
	for _, ps := range d.parts {
		for _, p := range ps {
			if p != nil {
				if err := p.w.Flush(); err != nil {
					return nil, err
				}
			}
		}
	}
	n := len(d.parts[0])
	results := make([]*Report, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i], errs[i] = d.diffPartition(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	total := &Report{ // empty lists, not null, in JSON
		OnlyInA: []TraceRef{}, OnlyInB: []TraceRef{}, MissingInA: []SpanRef{}, MissingInB: []SpanRef{},
		Changed: []Change{}, Duplicates: []SpanRef{},
	}
	for _, r := range results {
		total.merge(r, d.opt.Limit)
	}
	total.sortExamples()
	total.Identical = total.isIdentical()
	return total, nil
}

// load reads one side of a partition: every record, by key, as the bytes
// span encoded (records are compared undecoded first), counting duplicates.
func (d *Differ) load(s Side, i int, r *Report) (map[key][]byte, error) {
	m := map[key][]byte{}
	p := d.parts[s][i]
	if p == nil {
		return m, nil
	}
	data, err := os.ReadFile(p.f.Name())
	if err != nil {
		return nil, err
	}
	for len(data) > 0 {
		n, k := binary.Uvarint(data)
		if k <= 0 || n < 24 || n > uint64(len(data)-k) {
			return nil, errCorrupt
		}
		raw := data[k : k+int(n) : k+int(n)]
		data = data[k+int(n):]
		id := key(raw[:24])
		if _, dup := m[id]; dup {
			r.Sides[s].Duplicates++
			if err := r.addSpan(&r.Duplicates, s, raw, d.opt.Limit); err != nil {
				return nil, err
			}
			continue
		}
		m[id] = raw
	}
	return m, nil
}

func (d *Differ) diffPartition(i int) (*Report, error) {
	r := &Report{}
	a, err := d.load(A, i, r)
	if err != nil {
		return nil, err
	}
	b, err := d.load(B, i, r)
	if err != nil {
		return nil, err
	}
	// Spans per trace on each side.
	traces := map[pcommon.TraceID]*[2]int{}
	for s, m := range [2]map[key][]byte{a, b} {
		for k := range m {
			c := traces[k.trace()]
			if c == nil {
				c = &[2]int{}
				traces[k.trace()] = c
			}
			c[s]++
		}
		r.Sides[s].Spans = len(m) + r.Sides[s].Duplicates
	}
	for t, c := range traces {
		for s := range c {
			if c[s] > 0 {
				r.Sides[s].Traces++
			}
		}
		var err error
		switch {
		case c[B] == 0:
			r.TracesOnlyInA++
			err = r.addTrace(&r.OnlyInA, t, c[A], a, d.opt.Limit)
		case c[A] == 0:
			r.TracesOnlyInB++
			err = r.addTrace(&r.OnlyInB, t, c[B], b, d.opt.Limit)
		}
		if err != nil {
			return nil, err
		}
	}
	keys := make([]key, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sortKeys(keys)
	for _, k := range keys {
		ra := a[k]
		rb, ok := b[k]
		switch {
		case !ok && traces[k.trace()][B] > 0:
			r.SpansOnlyInA++
			if err := r.addSpan(&r.MissingInB, A, ra, d.opt.Limit); err != nil {
				return nil, err
			}
		case ok && !bytes.Equal(ra[24:], rb[24:]):
			ca, err := decode(ra)
			if err != nil {
				return nil, err
			}
			cb, err := decode(rb)
			if err != nil {
				return nil, err
			}
			if fields := d.compare(ca, cb); len(fields) > 0 {
				r.SpansChanged++
				if len(r.Changed) < d.opt.Limit {
					r.Changed = append(r.Changed, Change{SpanRef: ref(ca), Fields: fields})
				}
			}
		}
	}
	keys = keys[:0]
	for k := range b {
		if _, ok := a[k]; !ok && traces[k.trace()][A] > 0 {
			keys = append(keys, k)
		}
	}
	sortKeys(keys)
	for _, k := range keys {
		r.SpansOnlyInB++
		if err := r.addSpan(&r.MissingInA, B, b[k], d.opt.Limit); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func sortKeys(keys []key) {
	sort.Slice(keys, func(i, j int) bool { return string(keys[i][:]) < string(keys[j][:]) })
}

// compare lists the fields in which two records of one span differ.
func (d *Differ) compare(a, b *record) []Field {
	var out []Field
	add := func(name, va, vb string) { out = append(out, Field{Name: name, A: va, B: vb}) }
	if a.name != b.name {
		add("name", a.name, b.name)
	}
	if a.service != b.service {
		add("service", a.service, b.service)
	}
	if a.parent != b.parent {
		add("parent", a.parent.String(), b.parent.String())
	}
	if a.kind != b.kind {
		add("kind", a.kind.String(), b.kind.String())
	}
	tol := uint64(d.opt.Tolerance)
	far := func(x, y uint64) bool { return max(x, y)-min(x, y) > tol }
	if far(a.start, b.start) {
		add("start", timeText(a.start), timeText(b.start))
	}
	if far(a.end, b.end) {
		add("end", timeText(a.end), timeText(b.end))
	}
	if a.code != b.code || a.message != b.message {
		add("status", statusText(a), statusText(b))
	}
	i, j := 0, 0
	for i < len(a.attrs) || j < len(b.attrs) {
		switch {
		case j == len(b.attrs) || i < len(a.attrs) && a.attrs[i].k < b.attrs[j].k:
			add("attribute "+a.attrs[i].k, quote(a.attrs[i].v), "(absent)")
			i++
		case i == len(a.attrs) || b.attrs[j].k < a.attrs[i].k:
			add("attribute "+b.attrs[j].k, "(absent)", quote(b.attrs[j].v))
			j++
		default:
			if a.attrs[i].v != b.attrs[j].v {
				add("attribute "+a.attrs[i].k, quote(a.attrs[i].v), quote(b.attrs[j].v))
			}
			i++
			j++
		}
	}
	return out
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// timeText is a timestamp in RFC 3339 with nanoseconds, in UTC.
func timeText(ns uint64) string {
	return time.Unix(0, int64(ns)).UTC().Format("2006-01-02T15:04:05.000000000Z")
}

func statusText(r *record) string {
	if r.message == "" {
		return r.code.String()
	}
	return fmt.Sprintf("%s %q", r.code, r.message)
}
