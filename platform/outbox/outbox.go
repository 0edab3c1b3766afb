// Package outbox makes a state change and the events it causes atomic: a
// module writes its events into an outbox in the same transaction as its
// state, and a Relay moves them to the bus afterwards. A crash between the
// two loses nothing; at worst an event is published twice, which the bus
// contract already allows.
package outbox

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/bus"
)

// Store is a module's outbox, read by the Relay.
type Store interface {
	// Pending returns up to limit events not yet published, oldest first.
	Pending(ctx context.Context, limit int) ([]bus.Envelope, error)
	// Remove forgets published events; unknown ids are ignored.
	Remove(ctx context.Context, ids ...string) error
}

// Stats is what an outbox holds at one moment, for metrics.
type Stats struct {
	// Depth is how many events wait to be published.
	Depth int
	// Oldest is the Time of the oldest waiting event; zero when none waits.
	Oldest time.Time
}

// Relay publishes what an outbox holds. One Relay runs per outbox in a
// process; several processes may relay the same outbox, at the price of
// duplicates that consumers absorb.
type Relay struct {
	store    Store
	pub      bus.Publisher
	log      zerolog.Logger
	wake     chan struct{}
	interval time.Duration
	// flushing serialises Flush, so the background loop and a synchronous
	// caller do not publish the same events twice.
	flushing sync.Mutex
}

// NewRelay returns a relay from store to pub. It sweeps the outbox every
// interval and whenever Notify is called.
func NewRelay(store Store, pub bus.Publisher, interval time.Duration, log zerolog.Logger) *Relay {
	return &Relay{store: store, pub: pub, log: log, wake: make(chan struct{}, 1), interval: interval}
}

// Notify tells the relay an outbox write committed. It never blocks.
func (r *Relay) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays until ctx is done.
func (r *Relay) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	backoff := 50 * time.Millisecond
	for {
		if err := r.Flush(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn().Err(err).Dur("retry_in", backoff).Msg("outbox relay failed")
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-t.C:
		}
	}
}

// Flush publishes everything pending now. It is safe for concurrent use.
// An event the bus refuses stays in the outbox and is reported, without
// holding back the events behind it.
func (r *Relay) Flush(ctx context.Context) error {
	r.flushing.Lock()
	defer r.flushing.Unlock()
	for {
		events, err := r.store.Pending(ctx, batchSize)
		if err != nil || len(events) == 0 {
			return err
		}
		published, refused := r.publish(ctx, events)
		if err := r.store.Remove(ctx, published...); err != nil {
			return err
		}
		if refused != nil {
			return refused
		}
		if len(events) < batchSize {
			return nil
		}
	}
}

// batchSize is how many events one Flush step reads and publishes.
const batchSize = 100

// publish publishes events in one call, or one by one if the bus refuses
// the batch, and returns the ids it published and why others were refused.
func (r *Relay) publish(ctx context.Context, events []bus.Envelope) (published []string, refused error) {
	ids := func(es ...bus.Envelope) []string {
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.ID
		}
		return out
	}
	err := r.pub.Publish(ctx, events...)
	if err == nil || len(events) == 1 {
		if err != nil {
			return nil, err
		}
		return ids(events...), nil
	}
	var errsOut []error
	for _, e := range events {
		if err := r.pub.Publish(ctx, e); err != nil {
			if ctx.Err() != nil {
				return published, ctx.Err()
			}
			r.log.Error().Err(err).Str("event_id", e.ID).Str("detail_type", e.DetailType).Msg("bus refused an outbox event; it stays in the outbox")
			errsOut = append(errsOut, err)
			continue
		}
		published = append(published, e.ID)
	}
	return published, errors.Join(errsOut...)
}
