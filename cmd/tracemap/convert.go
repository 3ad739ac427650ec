package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/tracemap/tracemap/internal/traceio"
	"github.com/tracemap/tracemap/internal/tracewrite"
)

const convertUsage = `usage: tracemap convert -to otlp|otlp-proto|jaeger|zipkin [-o FILE] [flags] FILE...

Converts trace files (OTLP/JSON or protobuf, Jaeger JSON, Zipkin v2 JSON or
a Go pprof profile; formats may differ between files; "-" reads standard
input) into one file of the -to format, batch by batch. What a format cannot
carry is listed in the README ("What each format keeps").

Exit codes: 0 written, 1 the output could not be written, 2 bad usage,
3 bad input.

flags:
`

// inputFlags are the reading flags every command shares.
type inputFlags struct {
	format, sample string
}

func (f *inputFlags) register(flags *flag.FlagSet) {
	flags.StringVar(&f.format, "format", "", "input format: otlp, otlp-proto, jaeger, zipkin or pprof (default: detected per file)")
	flags.StringVar(&f.sample, "sample", "", "pprof sample type that sizes the spans (cpu, alloc_space, ...; default: the profile's)")
}

func (f *inputFlags) options() traceio.Options {
	return traceio.Options{Format: traceio.Format(f.format), Sample: f.sample}
}

// command is one of convert, diff and compare: its flags, printing usage
// to stderr, and its messages.
type command struct {
	*flag.FlagSet
	name   string
	stderr io.Writer
}

func newCommand(name, usage string, stderr io.Writer) *command {
	flags := flag.NewFlagSet("tracemap "+name, flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprint(stderr, usage)
		flags.PrintDefaults()
	}
	return &command{FlagSet: flags, name: name, stderr: stderr}
}

// parse reads the flags; when it returns false the command ends with code
// (0 after -h, 2 for a bad flag, which the flag package has reported).
func (c *command) parse(args []string) (code int, ok bool) {
	if err := c.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return 0, true
}

// fail reports err and returns code.
func (c *command) fail(code int, err error) int {
	fmt.Fprintf(c.stderr, "tracemap %s: %v\n", c.name, err)
	return code
}

func runConvert(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := newCommand("convert", convertUsage, stderr)
	var in inputFlags
	in.register(flags.FlagSet)
	to := flags.String("to", "", "output format: otlp, otlp-proto, jaeger or zipkin")
	outPath := flags.String("o", "", "output file (default: standard output)")
	if code, ok := flags.parse(args); !ok {
		return code
	}
	fail := flags.fail
	if flags.NArg() == 0 {
		return fail(exitUsage, errors.New("no input files (use - for standard input)"))
	}
	if *to == "" {
		return fail(exitUsage, errors.New("-to is required: otlp, otlp-proto, jaeger or zipkin"))
	}
	out := stdout
	var file *os.File
	if *outPath != "" {
		var err error
		// Written beside the target and renamed at the end, so a failed
		// conversion never leaves half a file under the name asked for.
		if file, err = os.CreateTemp(filepath.Dir(*outPath), "."+filepath.Base(*outPath)+".*"); err != nil {
			return fail(exitRender, err)
		}
		defer os.Remove(file.Name())
		defer file.Close()
		out = file
	}
	w, err := tracewrite.New(out, traceio.Format(*to))
	if err != nil {
		return fail(exitUsage, fmt.Errorf("-to: %w", err))
	}
	var spans int
	var writeErr error
	err = eachBatch(flags.Args(), in.options(), stdin, func(td ptrace.Traces) error {
		spans += td.SpanCount()
		if writeErr = w.Write(td); writeErr != nil {
			return writeErr
		}
		return nil
	})
	switch {
	case writeErr != nil:
		return fail(exitRender, writeErr)
	case err != nil:
		return fail(exitInput, err)
	}
	if err := w.Close(); err != nil {
		return fail(exitRender, err)
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return fail(exitRender, err)
		}
		if err := os.Rename(file.Name(), *outPath); err != nil {
			return fail(exitRender, err)
		}
		fmt.Fprintf(stderr, "converted %d spans into %s (%s)\n", spans, *outPath, *to)
	}
	return exitOK
}

// eachBatch streams every batch of every input to fn. An input that holds
// no span is an error, so an empty or truncated export is never taken for
// "nothing happened".
func eachBatch(files []string, opt traceio.Options, stdin io.Reader, fn func(ptrace.Traces) error) error {
	for _, name := range files {
		var r io.Reader = stdin
		label := "<stdin>"
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			r, label = f, name
		}
		rd := traceio.NewReader(label, r, opt)
		spans := 0
		for {
			td, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			spans += td.SpanCount()
			if err := fn(td); err != nil {
				return err
			}
		}
		if spans == 0 {
			return fmt.Errorf("%s: no spans in the input (an empty file or export?)", label)
		}
	}
	return nil
}
