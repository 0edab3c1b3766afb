package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/serverless-shop/shop/platform/bus"
)

// lagBuckets run from an in-process hand-off (a millisecond) to an event
// that waited out retries or an outage (an hour).
var lagBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// Bus counts what an event bus does, per subscription: it is the
// bus.Observer that localbus and awsbus are given.
type Bus struct {
	published *prometheus.CounterVec
	delivered *prometheus.CounterVec
	failed    *prometheus.CounterVec
	dead      *prometheus.CounterVec
	lag       *prometheus.HistogramVec
}

var _ bus.Observer = (*Bus)(nil)

// NewBus registers the bus instruments on reg.
func NewBus(reg prometheus.Registerer) *Bus {
	counter := func(name, help, label string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "bus", Name: name, Help: help,
		}, []string{label})
	}
	b := &Bus{
		published: counter("published_events_total", "Events the bus accepted for delivery, by detail type.", "detail_type"),
		delivered: counter("delivered_events_total", "Handler calls that succeeded, by subscription.", "subscription"),
		failed: counter("failed_attempts_total",
			"Failed delivery attempts (a handler error, or a message that could not be read or routed), by subscription.", "subscription"),
		dead: counter("dead_lettered_events_total", "Events given up on after their last attempt, by subscription.", "subscription"),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "bus", Name: "delivery_lag_seconds",
			Help:    "Time from an event's time (its creation) to its handler's success, by subscription.",
			Buckets: lagBuckets,
		}, []string{"subscription"}),
	}
	reg.MustRegister(b.published, b.delivered, b.failed, b.dead, b.lag)
	return b
}

// Subscriptions makes the series of the given subscriptions exist at zero
// before their first event, so a rate over them is defined from the start.
func (b *Bus) Subscriptions(names ...string) {
	for _, n := range names {
		b.delivered.WithLabelValues(n)
		b.failed.WithLabelValues(n)
		b.dead.WithLabelValues(n)
		b.lag.WithLabelValues(n)
	}
}

// Published implements bus.Observer.
func (b *Bus) Published(detailType string) { b.published.WithLabelValues(detailType).Inc() }

// Delivered implements bus.Observer. An event without a time is counted
// but has no lag; a time ahead of this clock counts as no lag.
func (b *Bus) Delivered(subscription string, eventTime time.Time) {
	subscription = orUnknown(subscription)
	b.delivered.WithLabelValues(subscription).Inc()
	if !eventTime.IsZero() {
		b.lag.WithLabelValues(subscription).Observe(max(time.Since(eventTime), 0).Seconds())
	}
}

// Failed implements bus.Observer.
func (b *Bus) Failed(subscription string) {
	b.failed.WithLabelValues(orUnknown(subscription)).Inc()
}

// DeadLettered implements bus.Observer.
func (b *Bus) DeadLettered(subscription string) {
	b.dead.WithLabelValues(orUnknown(subscription)).Inc()
}

// orUnknown names the subscription of a message nobody could claim.
func orUnknown(subscription string) string {
	if subscription == "" {
		return "unknown"
	}
	return subscription
}
