// Package summary is the machine-readable summary of one service-map window,
// as the svg exporter writes it next to the window's service map and its
// exemplar pictures, and as the tracemap extension reads it back.
//
// # What a summary says
//
// A Summary covers one window [Start, End) of one gateway (the collector
// that wrote it, named in Gateways). It holds, from the traces that reached
// the exporter in that window (after sampling, when tail_sampling stands in
// front of it):
//
//   - Services: spans, spans with status ERROR, own errors (ERROR spans with
//     no ERROR child: the failure starts there, internal/culprit's rule) and
//     the latency of the service's spans as a mergeable HdrHistogram snapshot
//     with its p50/p90/p99 in milliseconds; roots: the traces whose root
//     span is in the service (a map draws a service at least as many
//     traces start at as calls reach on top: servicedag.DAG.MarkEntries).
//   - Edges: caller service -> callee service, calls, failed calls and the
//     failed calls whose failure started in the callee (own errors).
//   - Exemplars: the traces drawn for the window. Each is drawn once and
//     lists every role it plays (For): the Reason it was chosen (ReasonError:
//     the service, or the callee of the edge, is where the trace's failure
//     started; ReasonSlow: among the slowest traces where the service held
//     the latency culprit's share of the critical path; ReasonTypical: near
//     the median duration) and the Service or Edge it stands for.
//
// # Encoding
//
// JSON (Encode, Decode), with "version": Version first. A reader refuses a
// version it does not know instead of guessing; a new field that old readers
// may ignore keeps the version, a change of meaning bumps it. Times are
// RFC 3339 in UTC; durations are integer nanoseconds (`_ns`) or float
// milliseconds (`_ms`), as the suffix says. Lists are sorted (services by
// name, edges by caller then callee, exemplars by trace ID) so the same
// window encodes to the same bytes.
//
// # Bucket layout
//
// Everything of one window lives under WindowPrefix(start) =
// "windows/YYYY-MM-DD/HHMMSS" (UTC window start), so listing one prefix
// finds a window and listing "windows/YYYY-MM-DD/" finds a day:
//
//	windows/2026-12-01/203100/summary-<gateway>.json   one per writing gateway (Key)
//	windows/2026-12-01/203100/servicemap-<gateway>.svg the window's service map (ServiceMapKey)
//	windows/2026-12-01/203100/index-<gateway>.html     the page a person reads (IndexKey)
//	windows/2026-12-01/203100/exemplars/<trace id>.svg            (ExemplarSVGKey)
//	windows/2026-12-01/203100/exemplars/<trace id>.otlp.pb.gz     (ExemplarDataKey)
//
// The exemplar data is the trace as OTLP protobuf (an ExportTraceServiceRequest,
// ptrace.ProtoMarshaler), gzip-compressed, stored with Content-Type
// application/x-protobuf and no Content-Encoding, so a client gets the
// compressed bytes as stored; a picture can be redrawn from it at any zoom.
// Several gateways writing one bucket each write their own summary-<gateway>
// file and never overwrite another's; exemplar keys are by trace ID, and in a
// two-tier setup a trace reaches one gateway, so they do not collide either.
// Summary.ServiceMap holds the key of the service map ("" when the gateway
// wrote none); the nodes of that map link to the gateway's index page.
//
// # Merging gateways
//
// Merge combines the summaries of one window from several gateways into one
// view: counts (spans, errors, own errors, calls, traces) are summed, never
// rates averaged; a rate is computed from the sums by whoever shows it.
// Latency histograms are merged exactly (HdrHistogram snapshots add), and the
// percentiles are recomputed from the merged histogram. Should an input lack
// a snapshot (a summary written by hand, or one from a producer without
// histograms), the merged percentiles are the maximum of the inputs' — an
// upper bound, never an average — and the merged snapshot is dropped so that
// nobody mistakes it for the whole population. Exemplars are united (one
// trace once, with the union of its roles).
package summary

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Version is the encoding version this package writes and reads.
const Version = 1

// Reasons an exemplar was chosen.
const (
	// ReasonError: the trace's failure started in the service (or in the
	// callee of the edge).
	ReasonError = "error"
	// ReasonSlow: one of the slowest traces in which the service (or the
	// callee of the edge) held the latency culprit's share.
	ReasonSlow = "slow"
	// ReasonTypical: a trace near the median duration of the service's (or
	// edge's) traces in the window.
	ReasonTypical = "typical"
)

// Summary is one gateway's (or, after Merge, several gateways') view of one
// window.
type Summary struct {
	Version  int       `json:"version"`
	Gateways []Gateway `json:"gateways"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	// Traces is how many traces the window counted.
	Traces int64 `json:"traces"`
	// Dropped is how many services and edges did not fit the window's bounds
	// (counted, not listed).
	Dropped int64 `json:"dropped,omitempty"`
	// ServiceMap is the key of the window's service map SVG ("" when none
	// was written). After Merge, the first gateway's.
	ServiceMap string     `json:"service_map,omitempty"`
	Services   []Service  `json:"services"`
	Edges      []Edge     `json:"edges"`
	Exemplars  []Exemplar `json:"exemplars"`
}

// Gateway names the collector that wrote a summary.
type Gateway struct {
	// ID is the gateway's identity as it appears in Key: the
	// exporter's configured gateway_id, else service.instance.id, else the
	// host name (sanitised to a key segment).
	ID string `json:"id"`
	// Host is the host name the gateway ran on ("" when unknown).
	Host string `json:"host,omitempty"`
}

// Service is one service's figures in the window.
type Service struct {
	Name string `json:"name"`
	// Virtual is true for an uninstrumented peer known only from client
	// spans (a database, a cache): it has calls but no spans of its own.
	Virtual   bool  `json:"virtual,omitempty"`
	Spans     int64 `json:"spans"`
	Errors    int64 `json:"errors"`
	OwnErrors int64 `json:"own_errors"`
	// Roots counts the traces whose root span is in this service.
	Roots   int64   `json:"roots,omitempty"`
	Latency Latency `json:"latency"`
}

// Edge is one caller-service -> callee-service edge.
type Edge struct {
	From      string `json:"from"`
	To        string `json:"to"`
	Calls     int64  `json:"calls"`
	Errors    int64  `json:"errors"`
	OwnErrors int64  `json:"own_errors"`
}

// Latency holds a duration distribution: its percentiles in milliseconds
// and, when known, the HdrHistogram it came from.
type Latency struct {
	P50Ms float64 `json:"p50_ms"`
	P90Ms float64 `json:"p90_ms"`
	P99Ms float64 `json:"p99_ms"`
	// Histogram is an HdrHistogram of span durations in microseconds,
	// in hdrhistogram-go's Encode(V2CompressedEncodingCookieBase) text form
	// (the HdrHistogram "HISTF" compressed encoding, base64); "" when not
	// carried. Percentiles are hdrhistogram-go's ValueAtQuantile, like
	// internal/heat's.
	Histogram string `json:"histogram,omitempty"`
}

// Exemplar is a trace drawn for the window.
type Exemplar struct {
	TraceID    string    `json:"trace_id"` // 32 lowercase hex digits
	Start      time.Time `json:"start"`
	DurationNs int64     `json:"duration_ns"`
	Spans      int64     `json:"spans"`
	Errors     int64     `json:"errors"`
	// RootService and RootOperation name the trace's first root span.
	RootService   string `json:"root_service"`
	RootOperation string `json:"root_operation"`
	// SVG and Data are the keys of the picture and of the trace data
	// (ExemplarSVGKey, ExemplarDataKey); Data is "" when not written.
	SVG  string `json:"svg"`
	Data string `json:"data,omitempty"`
	// For lists every role the trace plays in this window.
	For []Role `json:"for"`
}

// Role is why an exemplar was chosen and what it stands for: a Service, or
// an edge (From, To) — exactly one of the two is set.
type Role struct {
	Reason  string `json:"reason"`
	Service string `json:"service,omitempty"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
}

// Histogram bounds of Latency.Histogram: 1 µs .. 1 h, 2 significant
// figures (the heatmap processor's defaults).
const (
	HistLowestUs  = 1
	HistHighestUs = int64(time.Hour / time.Microsecond)
	HistSigFigs   = 2
)

// NewHistogram returns an empty histogram with the bounds above.
func NewHistogram() *hdr.Histogram { return hdr.New(HistLowestUs, HistHighestUs, HistSigFigs) }

// RecordNs records a duration in nanoseconds, clamped into the bounds.
func RecordNs(h *hdr.Histogram, ns int64) {
	us := min(max(ns/int64(time.Microsecond), HistLowestUs), HistHighestUs)
	_ = h.RecordValue(us) // in range by the clamp
}

// LatencyOf returns h's percentiles and its encoded snapshot.
func LatencyOf(h *hdr.Histogram) (Latency, error) {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return Latency{}, err
	}
	l := percentiles(h)
	l.Histogram = string(b)
	return l, nil
}

func percentiles(h *hdr.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	ms := func(q float64) float64 { return float64(h.ValueAtQuantile(q)) / 1000 }
	return Latency{P50Ms: ms(50), P90Ms: ms(90), P99Ms: ms(99)}
}

// DecodeHistogram returns the histogram a Latency carries (nil when none).
func (l Latency) DecodeHistogram() (*hdr.Histogram, error) {
	if l.Histogram == "" {
		return nil, nil
	}
	h, err := hdr.Decode([]byte(l.Histogram))
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	return h, nil
}

// Encode returns the JSON encoding of s, with s's lists sorted.
func Encode(s *Summary) ([]byte, error) {
	c := *s
	c.Version = Version
	c.sort()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", " ")
	if err := enc.Encode(&c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Decode parses a summary, refusing an unknown version.
func Decode(data []byte) (*Summary, error) {
	var v struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("window summary: %w", err)
	}
	if v.Version != Version {
		return nil, fmt.Errorf("window summary: version %d, this reader knows %d", v.Version, Version)
	}
	var s Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("window summary: %w", err)
	}
	return &s, nil
}

func (s *Summary) sort() {
	s.Services = slices.Clone(s.Services)
	s.Edges = slices.Clone(s.Edges)
	s.Exemplars = slices.Clone(s.Exemplars)
	slices.SortFunc(s.Services, func(a, b Service) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(s.Edges, func(a, b Edge) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	slices.SortFunc(s.Exemplars, func(a, b Exemplar) int { return cmp.Compare(a.TraceID, b.TraceID) })
	for i := range s.Exemplars {
		s.Exemplars[i].For = slices.Clone(s.Exemplars[i].For)
		slices.SortFunc(s.Exemplars[i].For, compareRole)
		s.Exemplars[i].For = slices.Compact(s.Exemplars[i].For)
	}
	if s.Services == nil {
		s.Services = []Service{}
	}
	if s.Edges == nil {
		s.Edges = []Edge{}
	}
	if s.Exemplars == nil {
		s.Exemplars = []Exemplar{}
	}
}

func compareRole(a, b Role) int {
	return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.From, b.From),
		cmp.Compare(a.To, b.To), cmp.Compare(a.Reason, b.Reason))
}

// Merge combines summaries of one window (same Start) from several
// gateways; see the package doc for what is summed and how percentiles
// merge. The result is sorted like Encode's. It fails when the windows
// differ or a histogram cannot be decoded.
func Merge(in ...*Summary) (*Summary, error) {
	if len(in) == 0 {
		return nil, errors.New("merge: no summaries")
	}
	out := &Summary{Version: Version, Start: in[0].Start, End: in[0].End}
	services := map[string]int{}
	hists := map[string]*hdr.Histogram{}
	exact := map[string]bool{} // every input of the service carried a histogram
	edges := map[[2]string]int{}
	exemplars := map[string]int{}
	for _, s := range in {
		if !s.Start.Equal(out.Start) {
			return nil, fmt.Errorf("merge: windows differ (%s and %s)", out.Start.Format(time.RFC3339), s.Start.Format(time.RFC3339))
		}
		if s.End.After(out.End) {
			out.End = s.End
		}
		out.Gateways = append(out.Gateways, s.Gateways...)
		out.Traces += s.Traces
		out.Dropped += s.Dropped
		out.ServiceMap = cmp.Or(out.ServiceMap, s.ServiceMap)
		for _, sv := range s.Services {
			i, ok := services[sv.Name]
			if !ok {
				i = len(out.Services)
				services[sv.Name] = i
				out.Services = append(out.Services, Service{Name: sv.Name, Virtual: true})
				exact[sv.Name] = true
			}
			m := &out.Services[i]
			m.Virtual = m.Virtual && sv.Virtual
			m.Spans += sv.Spans
			m.Errors += sv.Errors
			m.OwnErrors += sv.OwnErrors
			m.Roots += sv.Roots
			m.Latency.P50Ms = max(m.Latency.P50Ms, sv.Latency.P50Ms)
			m.Latency.P90Ms = max(m.Latency.P90Ms, sv.Latency.P90Ms)
			m.Latency.P99Ms = max(m.Latency.P99Ms, sv.Latency.P99Ms)
			h, err := sv.Latency.DecodeHistogram()
			if err != nil {
				return nil, fmt.Errorf("merge: service %q: %w", sv.Name, err)
			}
			if h == nil {
				exact[sv.Name] = false
				continue
			}
			if hists[sv.Name] == nil {
				hists[sv.Name] = NewHistogram()
			}
			hists[sv.Name].Merge(h)
		}
		for _, e := range s.Edges {
			k := [2]string{e.From, e.To}
			i, ok := edges[k]
			if !ok {
				i = len(out.Edges)
				edges[k] = i
				out.Edges = append(out.Edges, Edge{From: e.From, To: e.To})
			}
			m := &out.Edges[i]
			m.Calls += e.Calls
			m.Errors += e.Errors
			m.OwnErrors += e.OwnErrors
		}
		for _, x := range s.Exemplars {
			i, ok := exemplars[x.TraceID]
			if !ok {
				exemplars[x.TraceID] = len(out.Exemplars)
				x.For = slices.Clone(x.For)
				out.Exemplars = append(out.Exemplars, x)
				continue
			}
			out.Exemplars[i].For = append(out.Exemplars[i].For, x.For...)
		}
	}
	for i := range out.Services {
		sv := &out.Services[i]
		if !exact[sv.Name] || hists[sv.Name] == nil {
			continue
		}
		l, err := LatencyOf(hists[sv.Name])
		if err != nil {
			return nil, fmt.Errorf("merge: service %q: %w", sv.Name, err)
		}
		sv.Latency = l
	}
	out.sort()
	return out, nil
}

// WindowPrefix is the key prefix of everything a window holds, from its
// start (UTC): "windows/YYYY-MM-DD/HHMMSS".
func WindowPrefix(start time.Time) string {
	t := start.UTC()
	return "windows/" + t.Format("2006-01-02") + "/" + t.Format("150405")
}

// Key is the key of gateway's summary of the window starting at
// start. gateway must already be a safe key segment (the exporter passes
// it through its key sanitiser).
func Key(start time.Time, gateway string) string {
	return path.Join(WindowPrefix(start), SummaryPrefix+gateway+".json")
}

// ServiceMapKey is the key of gateway's service map of the window.
func ServiceMapKey(start time.Time, gateway string) string {
	return path.Join(WindowPrefix(start), "servicemap-"+gateway+".svg")
}

// IndexKey is the key of gateway's readable page of the window.
func IndexKey(start time.Time, gateway string) string {
	return path.Join(WindowPrefix(start), "index-"+gateway+".html")
}

// SummaryPrefix starts the base name of every summary object in a window.
const SummaryPrefix = "summary-"

// ExemplarSVGKey is the key of an exemplar's picture.
func ExemplarSVGKey(start time.Time, id pcommon.TraceID) string {
	return path.Join(WindowPrefix(start), "exemplars", id.String()+".svg")
}

// ExemplarDataKey is the key of an exemplar's trace data (gzip-compressed
// OTLP protobuf).
func ExemplarDataKey(start time.Time, id pcommon.TraceID) string {
	return path.Join(WindowPrefix(start), "exemplars", id.String()+DataSuffix)
}

// DataSuffix ends the key of every exemplar's trace data.
const DataSuffix = ".otlp.pb.gz"

// ContentTypeData is the content type exemplar data is stored with.
const ContentTypeData = "application/x-protobuf"
