package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/tracediff"
)

const diffUsage = `usage: tracemap diff [flags] A B

Compares two sources of the same traces (for example the collector's file
output and what a backend returns), joined by trace ID: traces only in A or
only in B, spans missing on either side, and spans whose name, service,
parent, kind, start or end (beyond -tolerance), status or attributes differ.
Each input may be in any format tracemap reads, and "-" reads standard input.

Exit codes: 0 identical, 1 different, 2 bad usage, 3 bad input.

flags:
`

// exitDifferent is diff's answer when the inputs differ.
const exitDifferent = 1

// globList is a repeatable flag of comma-separated patterns.
type globList []string

func (g *globList) String() string { return strings.Join(*g, ",") }
func (g *globList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*g = append(*g, p)
		}
	}
	return nil
}

func runDiff(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := newCommand("diff", diffUsage, stderr)
	var in inputFlags
	in.register(flags.FlagSet)
	var opt tracediff.Options
	var ignore globList
	flags.DurationVar(&opt.Tolerance, "tolerance", 1000, "how far start and end times may be apart and still be equal (Jaeger and Zipkin keep microseconds)")
	flags.Var(&ignore, "ignore", "attribute keys to leave out, as globs (repeat or separate by commas), e.g. 'tracemap.*'")
	flags.IntVar(&opt.Limit, "max", 20, "examples listed per kind of difference (counts are always complete)")
	asJSON := flags.Bool("json", false, "write the report as JSON")
	if code, ok := flags.parse(args); !ok {
		return code
	}
	fail := flags.fail
	if flags.NArg() != 2 {
		return fail(exitUsage, fmt.Errorf("want two inputs, A and B; got %d", flags.NArg()))
	}
	if opt.Tolerance < 0 {
		return fail(exitUsage, fmt.Errorf("-tolerance must not be negative, got %s", opt.Tolerance))
	}
	if opt.Limit <= 0 {
		return fail(exitUsage, fmt.Errorf("-max must be positive, got %d", opt.Limit))
	}
	names := [2]string{flags.Arg(0), flags.Arg(1)}
	if names[0] == "-" && names[1] == "-" {
		return fail(exitUsage, errors.New("only one input can be standard input"))
	}
	opt.Ignore = ignore
	for _, n := range names {
		if fi, err := os.Stat(n); err == nil {
			opt.InputBytes = max(opt.InputBytes, fi.Size())
		}
	}
	d, err := tracediff.New(opt)
	if err != nil {
		return fail(exitUsage, err)
	}
	defer d.Close()
	var errs [2]error
	var wg sync.WaitGroup
	for s := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[s] = eachBatch(names[s:s+1], in.options(), stdin, func(td ptrace.Traces) error {
				return d.Add(tracediff.Side(s), td)
			})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs[0], errs[1]); err != nil {
		return fail(exitInput, err)
	}
	rep, err := d.Diff()
	if err != nil {
		return fail(exitRender, err)
	}
	for s, n := range names {
		rep.Sides[s].Name = n
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return fail(exitRender, err)
	}
	if !rep.Identical {
		return exitDifferent
	}
	return exitOK
}
