package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/serverless-shop/shop/platform/outbox"
)

// OutboxStatter is an outbox that can say what it holds.
type OutboxStatter interface {
	Stats(ctx context.Context) (outbox.Stats, error)
}

// outboxStatsTimeout bounds one outbox's read during a scrape.
const outboxStatsTimeout = 2 * time.Second

// Outboxes reads the depth and the oldest event's age of each outbox when
// scraped, so a write pays nothing for them.
type Outboxes struct {
	outboxes map[string]OutboxStatter
	onError  func(name string, err error)
	depth    *prometheus.Desc
	age      *prometheus.Desc
	dead     *prometheus.Desc
}

var _ prometheus.Collector = (*Outboxes)(nil)

// NewOutboxes returns the collector of outboxes by name; onError hears of an
// outbox that could not be read, whose series are then left out of that
// scrape. Register it with reg.MustRegister.
func NewOutboxes(outboxes map[string]OutboxStatter, onError func(name string, err error)) *Outboxes {
	return &Outboxes{
		outboxes: outboxes,
		onError:  onError,
		depth: prometheus.NewDesc(prometheus.BuildFQName(namespace, "outbox", "pending_events"),
			"Events written to the outbox and not yet published, by outbox.", []string{"outbox"}, nil),
		age: prometheus.NewDesc(prometheus.BuildFQName(namespace, "outbox", "oldest_event_age_seconds"),
			"Age of the oldest event not yet published (0 when none), by outbox.", []string{"outbox"}, nil),
		dead: prometheus.NewDesc(prometheus.BuildFQName(namespace, "outbox", "dead_letters"),
			"Events the relay gave up on after its last attempt, waiting for a replay, by outbox.", []string{"outbox"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (o *Outboxes) Describe(ch chan<- *prometheus.Desc) {
	ch <- o.depth
	ch <- o.age
	ch <- o.dead
}

// Collect implements prometheus.Collector.
func (o *Outboxes) Collect(ch chan<- prometheus.Metric) {
	for name, ob := range o.outboxes {
		ctx, cancel := context.WithTimeout(context.Background(), outboxStatsTimeout)
		st, err := ob.Stats(ctx)
		cancel()
		if err != nil {
			if o.onError != nil {
				o.onError(name, err)
			}
			continue
		}
		var age float64
		if !st.Oldest.IsZero() {
			age = max(time.Since(st.Oldest), 0).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(o.depth, prometheus.GaugeValue, float64(st.Depth), name)
		ch <- prometheus.MustNewConstMetric(o.age, prometheus.GaugeValue, age, name)
		ch <- prometheus.MustNewConstMetric(o.dead, prometheus.GaugeValue, float64(st.DeadLetters), name)
	}
}
