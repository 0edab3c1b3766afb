package load

import (
	"sort"
	"sync"
	"time"
)

// Recorder collects the outcome of every request, per route and per second
// of the run. It is safe for concurrent use.
type Recorder struct {
	start time.Time

	mu     sync.Mutex
	routes map[string]*routeStats
}

type routeStats struct {
	hist     Histogram
	errors   map[string]int64
	seconds  []*second
	firstErr string
}

// second is one second of one route, for the latency-over-time chart.
type second struct {
	hist   Histogram
	errors int64
}

// NewRecorder returns a recorder whose timeline starts at start.
func NewRecorder(start time.Time) *Recorder {
	return &Recorder{start: start, routes: map[string]*routeStats{}}
}

// Record adds one request of route that was due at sched and finished at
// end. A non-empty errKind (a status code or "transport") counts it as an
// error; errors are kept out of the latency histograms, so that fast
// failures cannot flatter them. detail is kept for the first error only.
func (r *Recorder) Record(route string, sched, end time.Time, errKind, detail string) {
	lat := end.Sub(sched)
	sec := max(int(end.Sub(r.start)/time.Second), 0)
	r.mu.Lock()
	defer r.mu.Unlock()
	rs := r.routes[route]
	if rs == nil {
		rs = &routeStats{errors: map[string]int64{}}
		r.routes[route] = rs
	}
	for len(rs.seconds) <= sec {
		rs.seconds = append(rs.seconds, &second{})
	}
	if errKind != "" {
		rs.errors[errKind]++
		rs.seconds[sec].errors++
		if rs.firstErr == "" {
			rs.firstErr = errKind + ": " + detail
		}
		return
	}
	rs.hist.Record(lat)
	rs.seconds[sec].hist.Record(lat)
}

// RouteResult is the summary of one route.
type RouteResult struct {
	Route      string           `json:"route"`
	Count      int64            `json:"count"`
	Errors     int64            `json:"errors"`
	ErrorKinds map[string]int64 `json:"errorKinds,omitempty"`
	FirstError string           `json:"firstError,omitempty"`
	// PerSecond is successful requests per second of the measured window.
	PerSecond   float64      `json:"perSecond"`
	Latency     Latency      `json:"latencyMs"`
	Percentiles []Percentile `json:"percentiles"`
	Timeline    []Point      `json:"timeline"`
}

// Latency is a summary of a histogram, in milliseconds.
type Latency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Percentile is one point of the percentile plot.
type Percentile struct {
	Q  float64 `json:"q"`
	Ms float64 `json:"ms"`
}

// Point is one second of a route's timeline.
type Point struct {
	T      int     `json:"t"`
	Count  int64   `json:"count"`
	Errors int64   `json:"errors"`
	P50    float64 `json:"p50Ms"`
	P99    float64 `json:"p99Ms"`
	Max    float64 `json:"maxMs"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func summarize(h *Histogram) Latency {
	return Latency{Mean: ms(h.Mean()), P50: ms(h.Quantile(.5)), P95: ms(h.Quantile(.95)),
		P99: ms(h.Quantile(.99)), P999: ms(h.Quantile(.999)), Max: ms(h.Max())}
}

// plotQuantiles are the percentile plot's x positions, evenly spaced on the
// HDR-style 1/(1-q) scale.
var plotQuantiles = func() []float64 {
	var qs []float64
	for _, dec := range []float64{1, 10, 100, 1000, 10000} {
		for _, f := range []float64{1, 1.5, 2, 3, 5, 7} {
			if q := 1 - 1/(dec*f); q >= 0 && q < 0.99995 {
				qs = append(qs, q)
			}
		}
	}
	return append(qs, 1)
}()

// Results summarizes every route over window, sorted by route.
func (r *Recorder) Results(window time.Duration) []RouteResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]RouteResult, 0, len(r.routes))
	for name, rs := range r.routes {
		res := RouteResult{Route: name, Count: rs.hist.Count(), ErrorKinds: rs.errors, FirstError: rs.firstErr,
			Latency: summarize(&rs.hist)}
		for _, n := range rs.errors {
			res.Errors += n
		}
		res.Count += res.Errors
		if window > 0 {
			res.PerSecond = float64(rs.hist.Count()) / window.Seconds()
		}
		if rs.hist.Count() > 0 {
			for _, q := range plotQuantiles {
				res.Percentiles = append(res.Percentiles, Percentile{Q: q, Ms: ms(rs.hist.Quantile(q))})
			}
		}
		for i, s := range rs.seconds {
			res.Timeline = append(res.Timeline, Point{T: i, Count: s.hist.Count(), Errors: s.errors,
				P50: ms(s.hist.Quantile(.5)), P99: ms(s.hist.Quantile(.99)), Max: ms(s.hist.Max())})
		}
		out = append(out, res)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Route < out[j].Route })
	return out
}
