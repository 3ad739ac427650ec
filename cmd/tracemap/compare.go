package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/spantree"
	"github.com/tracemap/tracemap/internal/tracecompare"
)

const compareUsage = `usage: tracemap compare [flags] A B
       tracemap compare -trace ID1 -trace ID2 FILE [FILE2]

Compares two requests (a fast and a slow call of one endpoint, say): spans
are matched by their service-and-operation path, not their IDs, and one SVG
shows the merged structure: what only A has, what only B has, and how much
slower or faster B is where both have a span. Each file holds one trace, or
-trace picks it (the first -trace from the first file, the second from the
second file, or from the only one).

Exit codes: 0 written, 1 the picture could not be written, 2 bad usage,
3 bad input.

flags:
`

// traceIDs is the repeatable -trace flag, normalised to 32 lower-case
// hex digits (64-bit IDs left-padded, as Jaeger and Zipkin do).
type traceIDs []string

func (t *traceIDs) String() string { return strings.Join(*t, ",") }
func (t *traceIDs) Set(v string) error {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" || len(v) > 32 || strings.Trim(v, "0123456789abcdef") != "" {
		return fmt.Errorf("%q is not a trace ID (1 to 32 hex digits)", v)
	}
	*t = append(*t, strings.Repeat("0", 32-len(v))+v)
	return nil
}

func runCompare(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := newCommand("compare", compareUsage, stderr)
	var in inputFlags
	in.register(flags.FlagSet)
	var ids traceIDs
	flags.Var(&ids, "trace", "trace ID of A, then of B (repeat)")
	out := flags.String("o", "compare.svg", "output SVG")
	if code, ok := flags.parse(args); !ok {
		return code
	}
	fail := flags.fail
	files := flags.Args()
	switch {
	case len(ids) != 0 && len(ids) != 2:
		return fail(exitUsage, fmt.Errorf("-trace: give two trace IDs (A, then B), got %d", len(ids)))
	case len(files) == 1 && len(ids) == 0:
		return fail(exitUsage, errors.New("one file: pick its two traces with -trace ID1 -trace ID2"))
	case len(files) < 1 || len(files) > 2:
		return fail(exitUsage, fmt.Errorf("want one or two input files, got %d", len(files)))
	}
	if len(files) == 1 {
		files = []string{files[0], files[0]}
	}
	var trees [2]*spantree.Tree
	read := map[string][]*spantree.Tree{} // a file named twice is read once
	for s := range trees {
		if read[files[s]] == nil {
			all, err := readTrees(files[s], in, stdin)
			if err != nil {
				return fail(exitInput, err)
			}
			read[files[s]] = all
		}
		want := ""
		if len(ids) == 2 {
			want = ids[s]
		}
		t, err := pickTree(files[s], read[files[s]], want)
		if err != nil {
			return fail(exitInput, err)
		}
		trees[s] = t
	}
	c := tracecompare.Match(trees[0], trees[1])
	f, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".*")
	if err != nil {
		return fail(exitRender, err)
	}
	defer os.Remove(f.Name())
	err = tracecompare.Draw(f, c, tracecompare.Labels{A: filepath.Base(files[0]), B: filepath.Base(files[1])})
	err = errors.Join(err, f.Close())
	if err == nil {
		err = os.Rename(f.Name(), *out)
	}
	if err != nil {
		return fail(exitRender, err)
	}
	fmt.Fprintf(stdout, "wrote %s: %d spans in both, %d only in A, %d only in B\n", *out, c.Matched, c.OnlyA, c.OnlyB)
	return exitOK
}

// readTrees reads every trace of a file.
func readTrees(file string, in inputFlags, stdin io.Reader) ([]*spantree.Tree, error) {
	td := ptrace.NewTraces()
	err := eachBatch([]string{file}, in.options(), stdin, func(b ptrace.Traces) error {
		b.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
		return nil
	})
	if err != nil {
		return nil, err
	}
	return spantree.FromTraces(td), nil
}

// pickTree is the trace want (32 hex digits) of a file, or its only trace
// when want is empty.
func pickTree(file string, trees []*spantree.Tree, want string) (*spantree.Tree, error) {
	if want == "" {
		if len(trees) != 1 {
			return nil, fmt.Errorf("%s holds %d traces; pick one with -trace", file, len(trees))
		}
		return trees[0], nil
	}
	for _, t := range trees {
		if t.TraceID.String() == want {
			return t, nil
		}
	}
	return nil, fmt.Errorf("%s: no trace %s (it holds %d traces)", file, want, len(trees))
}
