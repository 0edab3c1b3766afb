package metrics

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/serverless-shop/shop/platform/httpx"
)

// statusClasses are the values of the status_class label, by status/100.
var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// unmatched is the route label of a request that matched no route.
const unmatched = "unmatched"

// HTTP counts the requests of a router: by route pattern and status class,
// their duration by route pattern, and those in flight. It is the
// httpx.RequestObserver of the router's request logger, whose route
// pattern, status and clock it reuses, so it adds no middleware, response
// writer or clock read of its own.
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge

	// routes maps a route pattern to its instruments. It is copied on write
	// (a route is added once, the first time it is served) so that a
	// request reads it with one atomic load and no lock.
	routes atomic.Pointer[map[string]*route]
	adding sync.Mutex
}

var _ httpx.RequestObserver = (*HTTP)(nil)

// route holds one route pattern's instruments, resolved once.
type route struct {
	requests [len(statusClasses)]prometheus.Counter
	duration prometheus.Observer
}

// NewHTTP registers the HTTP instruments on reg.
func NewHTTP(reg prometheus.Registerer) *HTTP {
	h := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by route pattern and status class.",
		}, []string{"route", "status_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time from a request reaching the router to its handler's return, by route pattern.",
			Buckets: latencyBuckets,
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	h.routes.Store(&map[string]*route{})
	reg.MustRegister(h.requests, h.duration, h.inFlight)
	return h
}

// Begin implements httpx.RequestObserver.
func (h *HTTP) Begin() { h.inFlight.Inc() }

// End implements httpx.RequestObserver. Route patterns come from the
// router, so the routes' series are as few as its routes.
func (h *HTTP) End(pattern string, status int, d time.Duration) {
	h.inFlight.Dec()
	rt, ok := (*h.routes.Load())[pattern]
	if !ok {
		rt = h.add(pattern)
	}
	if status == 0 {
		status = http.StatusOK
	}
	rt.requests[min(max(status/100-1, 0), len(statusClasses)-1)].Inc()
	rt.duration.Observe(d.Seconds())
}

// add resolves a route's instruments the first time it is served.
func (h *HTTP) add(pattern string) *route {
	h.adding.Lock()
	defer h.adding.Unlock()
	old := *h.routes.Load()
	if rt, ok := old[pattern]; ok {
		return rt
	}
	label := pattern
	if label == "" {
		label = unmatched
	}
	rt := &route{duration: h.duration.WithLabelValues(label)}
	for i, c := range statusClasses {
		rt.requests[i] = h.requests.WithLabelValues(label, c)
	}
	m := make(map[string]*route, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[pattern] = rt
	h.routes.Store(&m)
	return rt
}
