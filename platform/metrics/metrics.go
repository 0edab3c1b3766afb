// Package metrics is the Prometheus adapter: the instruments of the HTTP
// server, the event bus, the outboxes and the stores, registered on a
// registry the caller owns (cmd/shop builds one per Main, so tests and
// several Mains in one process never share state), and the handler that
// serves it in the Prometheus text format.
//
// Instruments are resolved once per label set and kept (per route pattern,
// per store operation), so recording a sample is a few atomic operations
// and allocates nothing.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric of the shop's own.
const namespace = "shop"

// NewRegistry returns an empty registry with the Go runtime and process
// collectors on it.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Handler serves what reg gathers in the Prometheus text format (or
// OpenMetrics, when the scraper asks for it).
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		Registry:          reg,
		EnableOpenMetrics: true,
		// A collector that fails (an unreachable outbox) costs its own
		// series, not the whole scrape.
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// latencyBuckets cover a loopback read (well under a millisecond) to a
// request that waited on a slow disk or a remote store (seconds).
var latencyBuckets = []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
