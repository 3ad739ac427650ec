// Command tracemap renders trace files to SVG without a collector, for CI
// jobs and for looking at a trace someone sent you.
//
//	tracemap render [flags] FILE...
//	tracemap convert -to otlp|otlp-proto|jaeger|zipkin [-o FILE] FILE...
//	tracemap diff [-tolerance D] [-ignore GLOB] [-json] A B
//	tracemap compare [-trace ID -trace ID] [-o FILE] A [B]
//
// It reads what internal/traceio reads (OTLP/JSON and protobuf as the file
// exporter writes them, every Jaeger JSON shape, Zipkin v2 JSON, pprof
// profiles; the format told by the content, -format to force it), and draws
// every trace through the svg exporter itself, so a picture drawn here is
// byte for byte the one the collector draws from the same data.
//
// Exit codes: 0 all pictures written; 1 some picture could not be drawn or
// written; 2 bad usage or flags; 3 an input file could not be read or parsed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/ptrace"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tracemap/tracemap/exporter/svgexporter"
	"github.com/tracemap/tracemap/internal/traceio"
)

const (
	exitOK      = 0
	exitRender  = 1
	exitUsage   = 2
	exitInput   = 3
	usageHeader = `usage: tracemap render [flags] FILE...
       tracemap convert -to FORMAT [-o FILE] FILE...    (tracemap convert -h)
       tracemap diff [flags] A B                         (tracemap diff -h)
       tracemap compare [flags] A [B]                    (tracemap compare -h)

Renders every trace in the files (OTLP/JSON or protobuf, Jaeger JSON, Zipkin
v2 JSON or a pprof profile, compressed or not; "-" reads standard input) to
one SVG per trace plus index.html and index.json in the output directory.

Exit codes: 0 written, 1 a picture failed, 2 bad usage, 3 bad input.

flags:
`
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "convert":
			return runConvert(args[1:], stdin, stdout, stderr)
		case "diff":
			return runDiff(args[1:], stdin, stdout, stderr)
		case "compare":
			return runCompare(args[1:], stdin, stdout, stderr)
		}
	}
	if len(args) == 0 || args[0] != "render" {
		fmt.Fprint(stderr, usageHeader)
		return exitUsage
	}
	opts, files, err := parseFlags(args[1:], stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintln(stderr, "tracemap render:", err)
		return exitUsage
	}
	td := ptrace.NewTraces()
	for _, f := range files {
		if err := readInput(f, opts.read, stdin, td); err != nil {
			fmt.Fprintln(stderr, "tracemap render:", err)
			return exitInput
		}
	}
	n, err := render(td, opts, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "tracemap render:", err)
		return exitRender
	}
	fmt.Fprintf(stdout, "rendered %d traces (%d spans) into %s; open %s\n",
		n, td.SpanCount(), opts.out, filepath.Join(opts.out, "index.html"))
	return exitOK
}

type options struct {
	out  string
	read traceio.Options
	cfg  *svgexporter.Config
}

func parseFlags(args []string, stderr io.Writer) (options, []string, error) {
	flags := flag.NewFlagSet("tracemap render", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprint(stderr, usageHeader)
		flags.PrintDefaults()
	}
	cfg := svgexporter.NewFactory().CreateDefaultConfig().(*svgexporter.Config)
	var o options
	var format, threshold string
	flags.StringVar(&o.out, "out", "out", "output directory (created if missing)")
	flags.StringVar(&format, "format", "", "input format: otlp, otlp-proto, jaeger, zipkin or pprof (default: told by each file's content)")
	flags.StringVar(&o.read.Sample, "sample", "", "pprof sample type that sizes the frames: cpu, samples, alloc_space, inuse_space, ... (default: the profile's)")
	flags.StringVar(&cfg.ColorScale, "scale", cfg.ColorScale, "colour scale: viridis, inferno, cividis or hsl")
	flags.StringVar(&cfg.Key, "key", "{{.TraceID}}.svg", "file name template of a picture (svg exporter `key`)")
	flags.BoolVar(&cfg.Render.Errors, "errors", false, "render traces with an error span")
	flags.DurationVar(&cfg.Render.SlowerThan, "slower-than", 0, "render traces at least this long")
	flags.BoolVar(&cfg.Render.Hot, "hot", false, "render traces that touch a hot service")
	flags.StringVar(&threshold, "heatmap-threshold", "5%", "error rate at which a service is hot, as 5% or 0.05")
	flags.Int64Var(&cfg.Heat.MinSpans, "min-spans", cfg.Heat.MinSpans, "spans a service needs before it can be hot")
	flags.BoolVar(&cfg.Gzip, "gzip", false, "write gzip-compressed pictures")
	err := flags.Parse(args)
	if err != nil {
		return o, nil, err
	}
	if flags.NArg() == 0 {
		return o, nil, errors.New("no input files (use - for standard input)")
	}
	if o.read.Format, err = traceio.ParseFormat(format); err != nil {
		return o, nil, fmt.Errorf("-format: %w", err)
	}
	t, err := parseShare(threshold)
	if err != nil {
		return o, nil, fmt.Errorf("-heatmap-threshold: %w", err)
	}
	cfg.Heat.Threshold = t
	abs, err := filepath.Abs(o.out)
	if err != nil {
		return o, nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return o, nil, err
	}
	cfg.Bucket = "file://" + filepath.ToSlash(abs)
	// One pass over a finished set of files: no queue, no retries, no
	// time windows, one listing written at the end.
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.BackOffConfig.Enabled = false
	cfg.ServiceMap.Enabled = false
	cfg.Index.HTML, cfg.Index.JSON = true, true
	if err := cfg.Validate(); err != nil {
		return o, nil, err
	}
	o.cfg = cfg
	return o, flags.Args(), nil
}

// parseShare reads "5%" or "0.05" as 0.05.
func parseShare(s string) (float64, error) {
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a share such as 5%% or 0.05", s)
	}
	if pct {
		v /= 100
	}
	if v < 0 || v > 1 {
		return 0, fmt.Errorf("%q is outside 0..100%%", s)
	}
	return v, nil
}

// readInput reads a file ("-": standard input) streaming into td.
func readInput(name string, opt traceio.Options, stdin io.Reader, td ptrace.Traces) error {
	in := stdin
	if name == "-" {
		name = "<stdin>"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	r := traceio.NewReader(name, in, opt)
	defer r.Close()
	for {
		batch, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		batch.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
}

// render pushes td through a svg exporter writing into the output directory
// and returns how many traces were drawn.
func render(td ptrace.Traces, o options, stderr io.Writer) (int, error) {
	start := time.Now().Truncate(time.Second) // file times may be coarse
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	f := svgexporter.NewFactory()
	var problems countingCore
	logger := zap.New(zapcore.RegisterHooks(zapcore.NewCore(
		zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()), zapcore.AddSync(stderr), zap.WarnLevel),
		problems.hook))
	set := exporter.Settings{
		ID: component.NewID(f.Type()),
		TelemetrySettings: component.TelemetrySettings{
			Logger:         logger,
			TracerProvider: tracenoop.NewTracerProvider(),
			MeterProvider:  metricnoop.NewMeterProvider(),
		},
	}
	exp, err := f.CreateTraces(ctx, set, o.cfg)
	if err != nil {
		return 0, err
	}
	if err := exp.Start(ctx, componentHost{}); err != nil {
		return 0, err
	}
	err = exp.ConsumeTraces(ctx, td)
	err = errors.Join(err, exp.Shutdown(ctx))
	if err == nil && problems.n > 0 {
		err = fmt.Errorf("%d traces could not be drawn (see above)", problems.n)
	}
	return countPictures(o.out, start), err
}

// countPictures counts the pictures written since start under dir.
func countPictures(dir string, start time.Time) int {
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".svg") || strings.HasSuffix(p, ".svg.gz")) {
			return nil
		}
		if info, err := d.Info(); err == nil && !info.ModTime().Before(start) {
			n++
		}
		return nil
	})
	return n
}

// countingCore counts the errors the exporter logs for traces it skipped.
type countingCore struct{ n int }

func (c *countingCore) hook(e zapcore.Entry) error {
	if e.Level >= zapcore.ErrorLevel {
		c.n++
	}
	return nil
}

type componentHost struct{}

func (componentHost) GetExtensions() map[component.ID]component.Component { return nil }
