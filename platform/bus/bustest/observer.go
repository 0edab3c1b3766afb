package bustest

import (
	"sync"
	"time"

	"github.com/serverless-shop/shop/platform/bus"
)

// Observer is a bus.Observer that counts what it is told, for tests of a
// bus's observations.
type Observer struct {
	mu        sync.Mutex
	published map[string]int
	delivered map[string]int
	failed    map[string]int
	dead      map[string]int
	times     map[string][]time.Time
}

var _ bus.Observer = (*Observer)(nil)

// NewObserver returns an Observer that has been told nothing.
func NewObserver() *Observer {
	return &Observer{published: map[string]int{}, delivered: map[string]int{}, failed: map[string]int{},
		dead: map[string]int{}, times: map[string][]time.Time{}}
}

// Published implements bus.Observer.
func (o *Observer) Published(detailType string) { o.add(o.published, detailType) }

// Delivered implements bus.Observer.
func (o *Observer) Delivered(subscription string, eventTime time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.delivered[subscription]++
	o.times[subscription] = append(o.times[subscription], eventTime)
}

// Failed implements bus.Observer.
func (o *Observer) Failed(subscription string) { o.add(o.failed, subscription) }

// DeadLettered implements bus.Observer.
func (o *Observer) DeadLettered(subscription string) { o.add(o.dead, subscription) }

func (o *Observer) add(m map[string]int, key string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	m[key]++
}

// Counts returns how many events of detailType were published, and how
// many deliveries, failed attempts and dead letters subscription had.
func (o *Observer) Counts(detailType, subscription string) (published, delivered, failed, dead int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.published[detailType], o.delivered[subscription], o.failed[subscription], o.dead[subscription]
}

// EventTimes returns the event times told with subscription's deliveries.
func (o *Observer) EventTimes(subscription string) []time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]time.Time(nil), o.times[subscription]...)
}
