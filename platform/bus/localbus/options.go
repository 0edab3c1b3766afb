package localbus

import (
	"time"

	cbackoff "github.com/cenkalti/backoff/v5"
	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/bus"
)

// Defaults used when an Option does not override them.
const (
	DefaultMaxAttempts = 8
	DefaultBackoffBase = 500 * time.Millisecond
	DefaultBackoffMax  = 5 * time.Minute
	// DefaultWorkers is per subscription. Handlers mostly wait on their own
	// store's commit, and concurrent handlers share one commit (a group
	// commit), so more workers means fewer fsyncs per event, not more CPU.
	// With 32, the basket's price list fell 0.7–1.0 s behind 3,000 product
	// writes/s; with 64, 37–43 ms (README, Performance: Durable writes).
	DefaultWorkers        = 64
	DefaultHandlerTimeout = 30 * time.Second
	// DefaultBatchDelay is no window: a Publish commits at once, and
	// publishers that arrive during a commit share the next one. At 200
	// checkouts/s a 1 ms window lengthened a checkout's way to its order
	// (README, Performance: Durable writes).
	DefaultBatchDelay = 0
)

// config is what the options set.
type config struct {
	maxAttempts    int
	backoffBase    time.Duration
	backoffMax     time.Duration
	workers        int
	handlerTimeout time.Duration
	batchDelay     time.Duration
	log            zerolog.Logger
	obs            bus.Observer
}

func defaultConfig() config {
	return config{
		maxAttempts:    DefaultMaxAttempts,
		backoffBase:    DefaultBackoffBase,
		backoffMax:     DefaultBackoffMax,
		workers:        DefaultWorkers,
		handlerTimeout: DefaultHandlerTimeout,
		batchDelay:     DefaultBatchDelay,
		log:            zerolog.Nop(),
		obs:            bus.NopObserver{},
	}
}

// Option tunes a Bus opened with Open.
type Option func(*config)

// WithMaxAttempts sets how many times a handler is called for one event
// before the event is dead-lettered (values below 1 are ignored).
func WithMaxAttempts(n int) Option {
	return func(c *config) {
		if n >= 1 {
			c.maxAttempts = n
		}
	}
}

// WithBackoff sets the retry delay after the first failure (base) and the cap
// it doubles up to (maxDelay); non-positive values are ignored.
func WithBackoff(base, maxDelay time.Duration) Option {
	return func(c *config) {
		if base > 0 {
			c.backoffBase = base
		}
		if maxDelay > 0 {
			c.backoffMax = maxDelay
		}
	}
}

// WithWorkers sets how many handler calls may run at once per subscription
// (values below 1 are ignored).
func WithWorkers(n int) Option {
	return func(c *config) {
		if n >= 1 {
			c.workers = n
		}
	}
}

// WithHandlerTimeout bounds each handler call; an attempt that runs out of
// time counts as a failure (non-positive values are ignored).
func WithHandlerTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.handlerTimeout = d
		}
	}
}

// WithBatchDelay makes a Publish wait up to d for concurrent publishers to
// share its commit (bbolt's DB.Batch with MaxBatchDelay d) instead of the
// default group commit, which waits for no one; non-positive values keep the
// default.
func WithBatchDelay(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.batchDelay = d
		}
	}
}

// WithLogger sets where handler failures and dead letters are logged.
func WithLogger(l zerolog.Logger) Option {
	return func(c *config) { c.log = l }
}

// WithObserver sets what is told of every publish, delivery, failed attempt
// and dead letter, for metrics (nil is ignored).
func WithObserver(o bus.Observer) Option {
	return func(c *config) {
		if o != nil {
			c.obs = o
		}
	}
}

// backoff returns the delay before the attempt that follows the given number
// of failed attempts: base·2^(failures-1) capped at maxDelay, jittered by half
// either way (cenkalti/backoff's ExponentialBackOff, replayed up to this
// failure since the count, not the policy, is what a stored record keeps),
// so retries of a burst of failures spread out instead of hammering a
// recovering dependency together.
func backoff(failures int, base, maxDelay time.Duration) time.Duration {
	b := &cbackoff.ExponentialBackOff{InitialInterval: base, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: max(base, maxDelay)}
	d := b.NextBackOff()
	for i := 1; i < failures; i++ {
		d = b.NextBackOff()
	}
	return d
}
