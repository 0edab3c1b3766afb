package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/platform/metrics"
	"github.com/serverless-shop/shop/platform/outbox"
)

// MustFind returns the sample of name whose labels include labels, or nil.
func MustFind(tb testing.TB, reg prometheus.Gatherer, name string, labels map[string]string) *dto.Metric {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatalf("Gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			return m
		}
	}
	return nil
}

// count is a counter's value, or a histogram's sample count; 0 if absent.
func count(tb testing.TB, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	tb.Helper()
	m := MustFind(tb, reg, name, labels)
	switch {
	case m == nil:
		return 0
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return 0
}

// router is a chi router as cmd/shop builds it: the request logger, the
// metrics (when h is not nil), then a module mounted under /product.
func router(h *metrics.HTTP) http.Handler {
	r := chi.NewRouter()
	if h != nil {
		r.Use(httpx.RequestLogger(zerolog.Nop(), h))
	} else {
		r.Use(httpx.RequestLogger(zerolog.Nop()))
	}
	r.Use(httpx.Recoverer)
	r.NotFound(httpx.NotFound)
	r.MethodNotAllowed(httpx.MethodNotAllowed)
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	r.Route("/product", func(r chi.Router) {
		r.Get("/{id}", func(w http.ResponseWriter, r *http.Request) {
			if chi.URLParam(r, "id") == "missing" {
				httpx.NotFound(w, r)
				return
			}
			_, _ = w.Write([]byte("{}")) // no WriteHeader: an implicit 200
		})
		r.Get("/panic/{id}", func(http.ResponseWriter, *http.Request) { panic("on purpose") })
	})
	return r
}

func serve(h http.Handler, method, path string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Code
}

func TestHTTP(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := router(metrics.NewHTTP(reg))
	for range 3 {
		serve(h, "GET", "/product/p1")
	}
	serve(h, "GET", "/product/missing")
	serve(h, "GET", "/product/panic/x")
	serve(h, "POST", "/product/p1")
	serve(h, "GET", "/nowhere")
	serve(h, "GET", "/healthz")

	for _, c := range []struct {
		route, class string
		want         float64
	}{
		{"/product/{id}", "2xx", 3},
		{"/product/{id}", "4xx", 1},
		{"/product/*", "4xx", 1}, // a 405 matches no route of the mounted router
		{"/product/panic/{id}", "5xx", 1},
		{"unmatched", "4xx", 1},
		{"/healthz", "2xx", 1},
		{"/healthz", "5xx", 0},
	} {
		if got := count(t, reg, "shop_http_requests_total", map[string]string{"route": c.route, "status_class": c.class}); got != c.want {
			t.Errorf("requests{route=%q,status_class=%q} = %v, want %v", c.route, c.class, got, c.want)
		}
	}
	if got := count(t, reg, "shop_http_request_duration_seconds", map[string]string{"route": "/product/{id}"}); got != 4 {
		t.Errorf("duration samples of /product/{id} = %v, want 4", got)
	}
	if got := count(t, reg, "shop_http_requests_in_flight", nil); got != 0 {
		t.Errorf("in flight after every request returned = %v, want 0", got)
	}
}

func TestHTTPInFlight(t *testing.T) {
	reg := prometheus.NewRegistry()
	inside := make(chan float64, 1)
	h := httpx.RequestLogger(zerolog.Nop(), metrics.NewHTTP(reg))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		inside <- count(t, reg, "shop_http_requests_in_flight", nil)
	}))
	serve(h, "GET", "/")
	if got := <-inside; got != 1 {
		t.Errorf("in flight while serving = %v, want 1", got)
	}
}

// TestHTTPAllocatesNothing holds the observer to its promise: a request of
// a route already seen allocates nothing more than without it.
func TestHTTPAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	withMetrics, without := router(metrics.NewHTTP(prometheus.NewRegistry())), router(nil)
	allocs := func(h http.Handler) float64 {
		req := httptest.NewRequest("GET", "/product/p1", nil)
		rec := httptest.NewRecorder()
		return testing.AllocsPerRun(200, func() {
			rec.Body.Reset()
			h.ServeHTTP(rec, req)
		})
	}
	serve(withMetrics, "GET", "/product/p1")
	if got, base := allocs(withMetrics), allocs(without); got > base {
		t.Errorf("allocations per request: %v with metrics, %v without", got, base)
	}
}

func TestBus(t *testing.T) {
	reg := prometheus.NewRegistry()
	b := metrics.NewBus(reg)
	b.Subscriptions("ordering")
	sub := map[string]string{"subscription": "ordering"}
	if m := MustFind(t, reg, "shop_bus_delivered_events_total", sub); m == nil || m.Counter.GetValue() != 0 {
		t.Errorf("a registered subscription's delivered series = %v, want 0 before any event", m)
	}
	b.Published("CheckoutBasket")
	b.Delivered("ordering", time.Now().Add(-2*time.Second))
	b.Delivered("ordering", time.Time{})                 // no time: counted, no lag
	b.Delivered("ordering", time.Now().Add(time.Minute)) // a clock ahead: no lag, not negative
	b.Failed("ordering")
	b.Failed("")
	b.DeadLettered("ordering")

	if got := count(t, reg, "shop_bus_published_events_total", map[string]string{"detail_type": "CheckoutBasket"}); got != 1 {
		t.Errorf("published = %v, want 1", got)
	}
	if got := count(t, reg, "shop_bus_delivered_events_total", sub); got != 3 {
		t.Errorf("delivered = %v, want 3", got)
	}
	lag := MustFind(t, reg, "shop_bus_delivery_lag_seconds", sub).GetHistogram()
	if lag.GetSampleCount() != 2 || lag.GetSampleSum() < 2 || lag.GetSampleSum() > 3 {
		t.Errorf("lag: %d samples summing %vs, want 2 summing about 2s", lag.GetSampleCount(), lag.GetSampleSum())
	}
	for name, want := range map[string]float64{"shop_bus_failed_attempts_total": 1, "shop_bus_dead_lettered_events_total": 1} {
		if got := count(t, reg, name, sub); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if got := count(t, reg, "shop_bus_failed_attempts_total", map[string]string{"subscription": "unknown"}); got != 1 {
		t.Errorf("failed attempts of no known subscription = %v, want 1", got)
	}
}

type statsFunc func(context.Context) (outbox.Stats, error)

func (f statsFunc) Stats(ctx context.Context) (outbox.Stats, error) { return f(ctx) }

func TestOutboxes(t *testing.T) {
	reg := prometheus.NewRegistry()
	var failed []string
	reg.MustRegister(metrics.NewOutboxes(map[string]metrics.OutboxStatter{
		"basket": statsFunc(func(context.Context) (outbox.Stats, error) {
			return outbox.Stats{Depth: 3, Oldest: time.Now().Add(-time.Minute)}, nil
		}),
		"product": statsFunc(func(context.Context) (outbox.Stats, error) { return outbox.Stats{}, nil }),
		"broken":  statsFunc(func(context.Context) (outbox.Stats, error) { return outbox.Stats{}, errors.New("down") }),
	}, func(name string, _ error) { failed = append(failed, name) }))

	basket, product := map[string]string{"outbox": "basket"}, map[string]string{"outbox": "product"}
	if got := count(t, reg, "shop_outbox_pending_events", basket); got != 3 {
		t.Errorf("basket depth = %v, want 3", got)
	}
	if got := count(t, reg, "shop_outbox_oldest_event_age_seconds", basket); got < 60 || got > 70 {
		t.Errorf("basket oldest age = %v, want about 60", got)
	}
	if m := MustFind(t, reg, "shop_outbox_pending_events", product); m == nil || m.GetGauge().GetValue() != 0 {
		t.Errorf("empty outbox's depth = %v, want 0", m)
	}
	if got := count(t, reg, "shop_outbox_oldest_event_age_seconds", product); got != 0 {
		t.Errorf("empty outbox's oldest age = %v, want 0", got)
	}
	if m := MustFind(t, reg, "shop_outbox_pending_events", map[string]string{"outbox": "broken"}); m != nil || len(failed) == 0 || failed[0] != "broken" {
		t.Errorf("unreadable outbox: series %v, errors told for %v; want no series and broken told", m, failed)
	}
}

func TestHandlerServesTextFormat(t *testing.T) {
	reg := metrics.NewRegistry()
	metrics.NewHTTP(reg)
	rec := httptest.NewRecorder()
	metrics.Handler(reg).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); rec.Code != http.StatusOK || ct == "" || ct[:10] != "text/plain" {
		t.Fatalf("got %d %q, want 200 text/plain", rec.Code, ct)
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "shop_http_requests_in_flight"} {
		if MustFind(t, reg, name, nil) == nil {
			t.Errorf("%s missing", name)
		}
	}
}

// BenchmarkHTTP measures what the metrics add to a request through the
// request logger.
func BenchmarkHTTP(b *testing.B) {
	with, without := router(metrics.NewHTTP(prometheus.NewRegistry())), router(nil)
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"Without", without}, {"With", with}} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/product/p1", nil)
			rec := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				rec.Body.Reset()
				c.h.ServeHTTP(rec, req)
			}
		})
	}
}
