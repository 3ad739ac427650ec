package traceio

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/google/pprof/profile"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// A pprof profile is read as one trace whose spans are the frames of its
// call tree, sized by one sample type (Options.Sample):
//
//   - the root span covers the profile's total of that sample type; under
//     it, the frames called from the root, each as long as its inclusive
//     value, side by side from the parent's start (largest first), as in a
//     flame graph turned on its side;
//   - a frame's service is its Go package (runtime, net/http, main ...), so
//     the trace's service DAG is a graph of packages;
//   - values in time units are drawn in that time; other units (bytes,
//     objects, counts) are drawn at one nanosecond per unit;
//   - frames below 1/1000 of the total are left out (their time stays in
//     the parent's self time), as pprof's -nodefraction does, so a large
//     profile stays drawable.
//
// Spans carry the function (code.function), its file (code.filepath), the
// frame's value in the sample type's unit (PprofValueAttribute), and the
// root the sample type and unit (PprofSampleTypeAttribute, PprofUnitAttribute).

const (
	PprofValueAttribute      = "pprof.value"       // int: inclusive value of the frame, in the unit
	PprofSampleTypeAttribute = "pprof.sample_type" // string on the root: cpu, alloc_space, ...
	PprofUnitAttribute       = "pprof.unit"        // string on the root: nanoseconds, bytes, ...
)

// pprofMinShare is the share of the total below which a frame is left out.
const pprofMinShare = 1000

// pprofEpoch is where a profile without a time is placed.
var pprofEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func (r *Reader) pprofUnits(br *bufio.Reader) func() (ptrace.Traces, error) {
	return r.wholeInput(br, func(data []byte) (ptrace.Traces, error) {
		p, err := parseProfile(data)
		if err != nil {
			return ptrace.Traces{}, r.errorf("not a pprof profile: %s", quote(err.Error()))
		}
		return r.profileTrace(p)
	})
}

func parseProfile(data []byte) (*profile.Profile, error) {
	p, err := profile.ParseData(data)
	if err != nil {
		return nil, err
	}
	return p, p.CheckValid()
}

type frame struct {
	name, file string
	value      int64
	children   map[string]*frame
}

func (f *frame) child(name, file string) *frame {
	if f.children == nil {
		f.children = map[string]*frame{}
	}
	c, ok := f.children[name]
	if !ok {
		c = &frame{name: name, file: file}
		f.children[name] = c
	}
	return c
}

// sorted is the children drawn, largest first.
func (f *frame) sorted(min int64) []*frame {
	out := make([]*frame, 0, len(f.children))
	for _, c := range f.children {
		if c.value >= min && c.value > 0 {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].value != out[j].value {
			return out[i].value > out[j].value
		}
		return out[i].name < out[j].name
	})
	return out
}

func (r *Reader) profileTrace(p *profile.Profile) (ptrace.Traces, error) {
	idx, err := sampleIndex(p, r.opt.Sample)
	if err != nil {
		return ptrace.Traces{}, r.errorf("%v", err)
	}
	st := p.SampleType[idx]
	root := &frame{}
	for _, s := range p.Sample {
		v := s.Value[idx]
		if v < 0 {
			return ptrace.Traces{}, r.errorf("negative %s values: a diff of two profiles cannot be drawn as time", st.Type)
		}
		if v == 0 {
			continue
		}
		root.value += v
		f := root
		for i := len(s.Location) - 1; i >= 0; i-- {
			loc := s.Location[i]
			if len(loc.Line) == 0 {
				f = f.child(fmt.Sprintf("0x%x", loc.Address), "")
				f.value += v
				continue
			}
			// The last line is the caller the others were inlined into.
			for j := len(loc.Line) - 1; j >= 0; j-- {
				name, file := fmt.Sprintf("0x%x", loc.Address), ""
				if fn := loc.Line[j].Function; fn != nil {
					name, file = fn.Name, fn.Filename
				}
				f = f.child(name, file)
				f.value += v
			}
		}
	}
	if root.value == 0 {
		return ptrace.Traces{}, r.errorf("the profile has no %s samples", st.Type)
	}
	scale := unitNanos(st.Unit)
	start := p.TimeNanos
	if start <= 0 {
		start = pprofEpoch.UnixNano()
	}
	tid := profileTraceID(p, st.Type, root.value)
	out := newResources()
	program := "pprof"
	if len(p.Mapping) > 0 && p.Mapping[0].File != "" {
		program = path.Base(p.Mapping[0].File)
	}
	var next uint64
	var emit func(f *frame, parent pcommon.SpanID, at int64)
	emit = func(f *frame, parent pcommon.SpanID, at int64) {
		next++
		var id pcommon.SpanID
		binary.BigEndian.PutUint64(id[:], next)
		service := program
		if f != root {
			service = goPackage(f.name, program)
		}
		sp := out.slice(service, scope{}, func(res pcommon.Resource) {
			res.Attributes().PutStr("service.name", service)
		}).AppendEmpty()
		sp.SetTraceID(tid)
		sp.SetSpanID(id)
		sp.SetParentSpanID(parent)
		sp.SetKind(ptrace.SpanKindInternal)
		sp.SetStartTimestamp(pcommon.Timestamp(at))
		sp.SetEndTimestamp(pcommon.Timestamp(at + f.value*scale))
		sp.Attributes().PutInt(PprofValueAttribute, f.value)
		if f == root {
			sp.SetName(st.Type + " profile")
			sp.Attributes().PutStr(PprofSampleTypeAttribute, st.Type)
			sp.Attributes().PutStr(PprofUnitAttribute, st.Unit)
		} else {
			sp.SetName(f.name)
			sp.Attributes().PutStr("code.function", f.name)
			if f.file != "" {
				sp.Attributes().PutStr("code.filepath", f.file)
			}
		}
		for _, c := range f.sorted(root.value / pprofMinShare) {
			emit(c, id, at)
			at += c.value * scale
		}
	}
	emit(root, pcommon.SpanID{}, start)
	return out.td, nil
}

// sampleIndex finds the sample type to draw: the named one, else the
// profile's default, else its last (pprof's own rule).
func sampleIndex(p *profile.Profile, name string) (int, error) {
	if len(p.SampleType) == 0 {
		return 0, fmt.Errorf("the profile has no sample types")
	}
	if name == "" {
		name = p.DefaultSampleType
		if name == "" {
			return len(p.SampleType) - 1, nil
		}
	}
	types := make([]string, len(p.SampleType))
	for i, st := range p.SampleType {
		if st.Type == name {
			return i, nil
		}
		types[i] = st.Type
	}
	return 0, fmt.Errorf("sample type %s is not in this profile; it has %s", quote(name), strings.Join(types, ", "))
}

// unitNanos is how many nanoseconds one unit is drawn as.
func unitNanos(unit string) int64 {
	switch unit {
	case "microseconds":
		return int64(time.Microsecond)
	case "milliseconds":
		return int64(time.Millisecond)
	case "seconds":
		return int64(time.Second)
	}
	return 1
}

// goPackage is the package of a Go function name such as
// github.com/a/b.(*T).M or net/http.HandlerFunc.ServeHTTP; names that are
// not Go's go to the binary.
func goPackage(fn, program string) string {
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot <= 0 || strings.ContainsAny(fn, " :<") || strings.HasPrefix(fn, "0x") {
		return program
	}
	return fn[:slash+1+dot]
}

// profileTraceID derives the trace ID from the profile, so a file reads the
// same every time.
func profileTraceID(p *profile.Profile, sample string, total int64) pcommon.TraceID {
	h := fnv.New128a()
	_ = binary.Write(h, binary.BigEndian, []int64{p.TimeNanos, p.DurationNanos, total, int64(len(p.Sample))})
	h.Write([]byte(sample))
	var id pcommon.TraceID
	copy(id[:], h.Sum(nil))
	return id
}
