package traceio

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Reading big files: throughput (MB/s of wall time and of the process's
// CPU time) and the peak heap while reading, for files of two sizes; the
// peak must not grow with the file.
//
//	go test -run '^$' -bench BenchmarkRead -benchtime 2x ./internal/traceio
//
// Every file holds traces of benchSpans spans.
const benchSpans = 50

func BenchmarkRead(b *testing.B) {
	for _, format := range []string{"otlp-lines", "otlp-proto", "jaeger-data", "zipkin-traces"} {
		for _, mb := range []int{25, 250} {
			b.Run(fmt.Sprintf("%s/%dMB", format, mb), func(b *testing.B) {
				path := benchFile(b, format, int64(mb)<<20)
				info, _ := os.Stat(path)
				b.SetBytes(info.Size())
				var peak uint64
				var cpu time.Duration
				spans := 0
				b.ResetTimer()
				for range b.N {
					runtime.GC()
					stop := sampleHeap(&peak)
					before := cpuTime()
					spans = readSpans(b, path)
					cpu += cpuTime() - before
					stop()
				}
				b.StopTimer()
				// The machine is shared: MB per second of this process's own
				// CPU time says what the code costs, whatever the others run.
				b.ReportMetric(float64(info.Size())*float64(b.N)/(1<<20)/cpu.Seconds(), "MB/cpu-s")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(spans), "spans")
			})
		}
	}
}

func readSpans(b *testing.B, path string) int {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r := NewReader(path, f, Options{})
	defer r.Close()
	n := 0
	for {
		td, err := r.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n += td.SpanCount()
	}
}

// cpuTime is the CPU time this process has used (all threads, GC included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sampleHeap records the largest heap seen until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			*peak = max(*peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

var benchFiles sync.Map

// benchFile writes (once per run) a file of about size bytes.
func benchFile(b *testing.B, format string, size int64) string {
	key := fmt.Sprint(format, size)
	if p, ok := benchFiles.Load(key); ok {
		return p.(string)
	}
	dir := filepath.Join(os.TempDir(), "traceio-bench")
	_ = os.MkdirAll(dir, 0o755)
	path := filepath.Join(dir, key)
	if _, err := os.Stat(path); err != nil {
		writeBenchFile(b, path, format, size)
	}
	benchFiles.Store(key, path)
	return path
}

func writeBenchFile(b *testing.B, path, format string, size int64) {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	w := &countingWriter{w: bufio.NewWriterSize(f, 1<<20)}
	var jm ptrace.JSONMarshaler
	var pm ptrace.ProtoMarshaler
	switch format {
	case "jaeger-data":
		fmt.Fprint(w, `{"data": [`)
	case "zipkin-traces":
		fmt.Fprint(w, "[")
	}
	for i := 0; w.n < size; i++ {
		switch format {
		case "otlp-lines":
			doc, _ := jm.MarshalTraces(benchTrace(i))
			w.Write(append(doc, '\n'))
		case "otlp-proto":
			msg, _ := pm.MarshalTraces(benchTrace(i))
			w.Write(binary.BigEndian.AppendUint32(nil, uint32(len(msg))))
			w.Write(msg)
		case "jaeger-data":
			if i > 0 {
				fmt.Fprint(w, ",\n")
			}
			writeJaegerTrace(w, i)
		case "zipkin-traces":
			if i > 0 {
				fmt.Fprint(w, ",\n")
			}
			writeZipkinTrace(w, i)
		}
	}
	switch format {
	case "jaeger-data":
		fmt.Fprint(w, "]}\n")
	case "zipkin-traces":
		fmt.Fprint(w, "]\n")
	}
	if err := w.w.(*bufio.Writer).Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func benchIDs(i, j int) (pcommon.TraceID, pcommon.SpanID) {
	var tid pcommon.TraceID
	var sid pcommon.SpanID
	binary.BigEndian.PutUint64(tid[8:], uint64(i)+1)
	binary.BigEndian.PutUint64(sid[:], uint64(i)<<8|uint64(j)+1)
	return tid, sid
}

func benchTrace(i int) ptrace.Traces {
	td := ptrace.NewTraces()
	start := int64(1718000000) * int64(time.Second)
	for j := range benchSpans {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", fmt.Sprintf("svc-%d", j%5))
		s := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		tid, sid := benchIDs(i, j)
		s.SetTraceID(tid)
		s.SetSpanID(sid)
		if j > 0 {
			_, parent := benchIDs(i, (j-1)/2)
			s.SetParentSpanID(parent)
		}
		s.SetName(fmt.Sprintf("op-%d", j))
		s.SetKind(ptrace.SpanKindServer)
		s.SetStartTimestamp(pcommon.Timestamp(start + int64(j)*1000))
		s.SetEndTimestamp(pcommon.Timestamp(start + int64(j)*1000 + 500_000))
		s.Attributes().PutStr("http.route", "/api/v1/items/{id}")
		s.Attributes().PutInt("http.response.status_code", 200)
	}
	return td
}

func writeJaegerTrace(w io.Writer, i int) {
	tid, _ := benchIDs(i, 0)
	fmt.Fprintf(w, `{"traceID": "%s", "spans": [`, tid)
	for j := range benchSpans {
		_, sid := benchIDs(i, j)
		refs := "[]"
		if j > 0 {
			_, parent := benchIDs(i, (j-1)/2)
			refs = fmt.Sprintf(`[{"refType": "CHILD_OF", "traceID": "%s", "spanID": "%s"}]`, tid, parent)
		}
		if j > 0 {
			fmt.Fprint(w, ",")
		}
		fmt.Fprintf(w, `{"traceID": "%s", "spanID": "%s", "operationName": "op-%d", "references": %s, "startTime": %d, "duration": 500,`+
			` "tags": [{"key": "span.kind", "type": "string", "value": "server"}, {"key": "http.status_code", "type": "int64", "value": 200}], "logs": [], "processID": "p%d", "warnings": null}`,
			tid, sid, j, refs, 1718000000000000+j, j%5)
	}
	fmt.Fprint(w, `], "processes": {`)
	for p := range 5 {
		if p > 0 {
			fmt.Fprint(w, ",")
		}
		fmt.Fprintf(w, `"p%d": {"serviceName": "svc-%d", "tags": []}`, p, p)
	}
	fmt.Fprint(w, `}, "warnings": null}`)
}

func writeZipkinTrace(w io.Writer, i int) {
	tid, _ := benchIDs(i, 0)
	fmt.Fprint(w, "[")
	for j := range benchSpans {
		_, sid := benchIDs(i, j)
		parent := ""
		if j > 0 {
			_, p := benchIDs(i, (j-1)/2)
			parent = fmt.Sprintf(`"parentId": "%s", `, p)
		}
		if j > 0 {
			fmt.Fprint(w, ",")
		}
		fmt.Fprintf(w, `{"traceId": "%s", %s"id": "%s", "name": "op-%d", "kind": "SERVER", "timestamp": %d, "duration": 500, "localEndpoint": {"serviceName": "svc-%d"}, "tags": {"http.status_code": "200"}}`,
			tid, parent, sid, j, 1718000000000000+j, j%5)
	}
	fmt.Fprint(w, "]")
}
