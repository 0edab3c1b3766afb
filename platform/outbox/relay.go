package outbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/bus"
)

// Defaults of a Relay's retry policy: ten attempts spread over about
// fifteen minutes, so an outage of the bus shorter than that loses no event
// to the dead letters, while a poison event leaves the outbox the same day.
const (
	DefaultMaxAttempts = 10
	DefaultBackoffBase = time.Second
	DefaultBackoffMax  = 5 * time.Minute
)

// batchSize is how many events one Flush step reads and publishes.
const batchSize = 100

// ErrRefused marks a Flush error that only reports events the bus refused;
// they stay in the outbox for a later attempt or went to the dead letters.
var ErrRefused = errors.New("outbox: bus refused events")

// Option configures a Relay.
type Option func(*Relay)

// WithName names the outbox in its dead letters and log lines.
func WithName(name string) Option { return func(r *Relay) { r.name = name } }

// WithMaxAttempts sets how many times an event is offered to the bus before
// it moves to the dead letters (values below 1 are ignored).
func WithMaxAttempts(n int) Option {
	return func(r *Relay) {
		if n >= 1 {
			r.maxAttempts = n
		}
	}
}

// WithBackoff sets the delay after an event's first refusal (base) and its
// cap; each refusal doubles it, jittered by half (non-positive values are
// ignored).
func WithBackoff(base, maxDelay time.Duration) Option {
	return func(r *Relay) {
		if base > 0 {
			r.backoffBase = base
		}
		if maxDelay > 0 {
			r.backoffMax = maxDelay
		}
	}
}

// WithRetry sets the backoff of Run after a Flush that failed because the
// outbox could not be read or written: first delay and cap (non-positive
// values are ignored). Notify ends a wait early.
func WithRetry(base, maxDelay time.Duration) Option {
	return func(r *Relay) {
		if base > 0 {
			r.retryBase = base
		}
		if maxDelay > 0 {
			r.retryMax = maxDelay
		}
	}
}

// WithOnDeadLetter sets what is told of each event moved to the dead letters.
func WithOnDeadLetter(f func(bus.Envelope)) Option { return func(r *Relay) { r.onDead = f } }

// Relay publishes what an outbox holds. One Relay runs per outbox in a
// process; several processes may relay the same outbox, at the price of
// duplicates that consumers absorb.
type Relay struct {
	store    Store
	pub      bus.Publisher
	log      zerolog.Logger
	wake     chan struct{}
	interval time.Duration
	// notified is set by Notify and cleared by FlushNotified.
	notified atomic.Bool
	// flushing serialises Flush, so the background loop and a synchronous
	// caller do not publish the same events twice.
	flushing sync.Mutex
	// background is whether Run removes published events in the
	// background: from a store whose Remove waits for a later commit
	// (LaterRemover).
	background bool
	// removing holds the ids Run published whose removal from the store has
	// not committed yet: Run removes in the background (on a LaterRemover),
	// so that the next
	// sweep (the next checkout's event) does not wait for that commit, and
	// no sweep publishes these again meanwhile. removes counts the removals
	// under way.
	removingMu sync.Mutex
	removing   map[string]struct{}
	removes    sync.WaitGroup

	name                    string
	maxAttempts             int
	backoffBase, backoffMax time.Duration
	retryBase, retryMax     time.Duration
	onDead                  func(bus.Envelope)
}

// NewRelay returns a relay from store to pub. It sweeps the outbox every
// interval and whenever Notify is called.
func NewRelay(store Store, pub bus.Publisher, interval time.Duration, log zerolog.Logger, opts ...Option) *Relay {
	r := &Relay{store: store, pub: pub, log: log, wake: make(chan struct{}, 1), interval: interval, removing: map[string]struct{}{},
		maxAttempts: DefaultMaxAttempts, backoffBase: DefaultBackoffBase, backoffMax: DefaultBackoffMax,
		retryBase: 50 * time.Millisecond, retryMax: 5 * time.Second}
	for _, o := range opts {
		o(r)
	}
	if lr, ok := store.(LaterRemover); ok {
		r.background = lr.RemovesLater()
	}
	return r
}

// LaterRemover is implemented by a Store whose Remove waits for a later
// commit: BoltStore's rides the module's next write, up to removeWait. Run
// removes from such a store in the background, so that the wait holds up
// no event. From any other store, whose Remove is a round trip, Run removes
// before it sweeps again: a sweep reads every event still being removed,
// and on DynamoDB, where removals lag behind a stream of writes, sweeps
// reading them again cost a durable POST /product about 40 % more CPU
// (README, Performance).
type LaterRemover interface {
	// RemovesLater reports whether Remove waits for a later commit.
	RemovesLater() bool
}

// Notify tells the relay an outbox write committed. It never blocks.
func (r *Relay) Notify() {
	r.notified.Store(true)
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays until ctx is done. A Flush that fails (the outbox cannot be
// read or written) is retried with backoff, which Notify cuts short. Unlike
// Flush, it forgets published events in the background on a store whose
// removals wait for a later commit (LaterRemover); it returns once those
// removals have committed.
func (r *Relay) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	defer r.removes.Wait()
	retry := &backoff.ExponentialBackOff{InitialInterval: r.retryBase, RandomizationFactor: 0.5,
		Multiplier: 2, MaxInterval: r.retryMax}
	for {
		err := r.flush(ctx, r.background)
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, ErrRefused) {
			d := retry.NextBackOff()
			r.log.Warn().Err(err).Dur("retry_in", d).Msg("outbox relay failed")
			timer := time.NewTimer(d)
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-r.wake:
			case <-timer.C:
			}
			timer.Stop()
			continue
		}
		retry.Reset()
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		case <-t.C:
		}
	}
}

// FlushNotified flushes only if Notify was called since the last
// FlushNotified, so a request that wrote nothing to this outbox pays nothing.
func (r *Relay) FlushNotified(ctx context.Context) error {
	if !r.notified.Swap(false) {
		return nil
	}
	err := r.Flush(ctx)
	if err != nil && !errors.Is(err, ErrRefused) {
		// Nothing was settled: the next request tries again.
		r.notified.Store(true)
	}
	return err
}

// Flush publishes every waiting event that is due now. It is safe for
// concurrent use. An event the bus refuses is not retried before its
// backoff ends, or moves to the dead letters after its last attempt; either
// way the events behind it are published in the same Flush, and the error
// returned wraps ErrRefused.
func (r *Relay) Flush(ctx context.Context) error { return r.flush(ctx, false) }

// flush is Flush; with background set, published events are removed from
// the store after it returns.
func (r *Relay) flush(ctx context.Context, background bool) error {
	r.flushing.Lock()
	defer r.flushing.Unlock()
	var refused []error
	after := ""
	for {
		recs, err := r.store.Scan(ctx, after, batchSize)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			break
		}
		now := time.Now()
		var due []Record
		r.removingMu.Lock()
		for _, rec := range recs {
			if _, gone := r.removing[rec.ID]; !gone && !rec.NextAt.After(now) {
				due = append(due, rec)
			}
		}
		r.removingMu.Unlock()
		published, failed := r.publish(ctx, due)
		if ctx.Err() != nil && !background {
			return ctx.Err()
		}
		if background {
			r.removeLater(ctx, published)
		} else if err := r.store.Remove(ctx, published...); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := r.fail(ctx, failed); err != nil {
			return err
		}
		for _, f := range failed {
			refused = append(refused, f.err)
		}
		if len(recs) < batchSize {
			break
		}
		after = recs[len(recs)-1].ID
	}
	if len(refused) > 0 {
		return fmt.Errorf("%w: %w", ErrRefused, errors.Join(refused...))
	}
	return nil
}

// removeTimeout bounds a background removal, which outlives Run's context:
// a shutdown waits for it, and a store that does not answer must not hold
// the shutdown up.
const removeTimeout = 5 * time.Second

// removeLater removes ids from the store in the background, outside ctx so
// that what was published before a shutdown is still forgotten. Should the
// removal fail, the ids are published again by a later sweep: a duplicate,
// which consumers absorb.
func (r *Relay) removeLater(ctx context.Context, ids []string) {
	if len(ids) == 0 {
		return
	}
	r.removingMu.Lock()
	for _, id := range ids {
		r.removing[id] = struct{}{}
	}
	r.removingMu.Unlock()
	r.removes.Go(func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
		err := r.store.Remove(rctx, ids...)
		cancel()
		r.removingMu.Lock()
		for _, id := range ids {
			delete(r.removing, id)
		}
		r.removingMu.Unlock()
		if err != nil {
			r.log.Warn().Err(err).Int("events", len(ids)).Msg("outbox relay could not forget published events; they will be published again")
		}
	})
}

// refusal is one event the bus refused, and why.
type refusal struct {
	rec Record
	err error
}

// fail records the refusals: a later attempt after a backoff, or the dead
// letters after the last one.
func (r *Relay) fail(ctx context.Context, refused []refusal) error {
	if len(refused) == 0 {
		return nil
	}
	now := time.Now()
	failures := make([]Failure, len(refused))
	for i, f := range refused {
		n := f.rec.Attempts + 1
		failures[i] = Failure{ID: f.rec.ID, Attempts: n, LastError: f.err.Error(), At: now,
			Dead: n >= r.maxAttempts, NextAt: now.Add(r.delay(n))}
	}
	if err := r.store.Fail(ctx, failures...); err != nil {
		return err
	}
	for i, f := range failures {
		ev := r.log.Warn()
		if f.Dead {
			ev = r.log.Error()
		}
		ev.Str("event_id", f.ID).Str("detail_type", refused[i].rec.DetailType).Int("attempt", f.Attempts).
			Bool("dead_lettered", f.Dead).Str("last_error", f.LastError).Msg("bus refused an outbox event")
		if f.Dead && r.onDead != nil {
			r.onDead(refused[i].rec.Envelope)
		}
	}
	return nil
}

// delay is how long an event waits after its attempts-th refusal.
func (r *Relay) delay(attempts int) time.Duration {
	b := &backoff.ExponentialBackOff{InitialInterval: r.backoffBase, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: r.backoffMax}
	var d time.Duration
	for range attempts {
		d = b.NextBackOff()
	}
	return d
}

// publish publishes recs in one call, or one by one if the bus refuses the
// batch, and returns the ids it published and the events it refused.
func (r *Relay) publish(ctx context.Context, recs []Record) (published []string, refused []refusal) {
	if len(recs) == 0 {
		return nil, nil
	}
	events := make([]bus.Envelope, len(recs))
	for i, rec := range recs {
		events[i] = rec.Envelope
	}
	if err := r.pub.Publish(ctx, events...); err == nil {
		for _, e := range events {
			published = append(published, e.ID)
		}
		return published, nil
	} else if len(recs) == 1 {
		if ctx.Err() != nil {
			// Cancelled, not refused: no attempt is counted.
			return nil, nil
		}
		return nil, []refusal{{recs[0], err}}
	}
	for _, rec := range recs {
		if err := r.pub.Publish(ctx, rec.Envelope); err != nil {
			if ctx.Err() != nil {
				return published, refused
			}
			refused = append(refused, refusal{rec, err})
			continue
		}
		published = append(published, rec.ID)
	}
	return published, refused
}
