// Package localbus is the durable in-process implementation of the bus
// contract, stored in its own bbolt file.
//
// Publish writes, in one bbolt write transaction, one pending record per
// matching subscription and returns after that transaction has been committed
// (fsynced). Concurrent publishers share a commit (boltdb.Batch, a group
// commit), so one fsync covers many events. Workers then call each subscription's handler;
// a success deletes the record, a failure schedules a retry with exponential
// backoff and jitter, and after the maximum number of attempts the record
// moves to the subscription's dead-letter bucket, where DeadLetters lists it
// and Replay/ReplayAll move it back.
//
// Routing happens at publish time, like an EventBridge rule: an event whose
// detail type no subscription asks for is dropped, and a subscription only
// receives events published after it was registered. Pending records survive
// Close and crashes and are delivered after the next Start, as long as a
// subscription with the same name is registered again; records of a
// subscription that is never registered again stay in the file untouched.
//
// Outcomes of handler calls (delete on success, attempt counts, moves to the
// dead-letter bucket) are committed in the background, many per transaction
// and with the next publish's commit (boltdb.Ride), so workers never wait
// for a disk flush; a crash before such a commit only
// means the event is delivered again, which at-least-once allows.
//
// Pending events of a running bus are also indexed in memory (the store is
// the durable copy, memory drives the schedule), so a backlog costs memory in
// proportion to its size.
package localbus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/boltdb"
	"github.com/serverless-shop/shop/platform/bus"
)

// Errors returned by Bus methods.
var (
	// ErrClosed is returned by methods called after Close.
	ErrClosed = errors.New("localbus: closed")
	// ErrStarted is returned by Subscribe and Start once Start has run.
	ErrStarted = errors.New("localbus: already started")
	// ErrUnknownSubscription is returned for a subscription name that was not
	// registered with Subscribe.
	ErrUnknownSubscription = errors.New("localbus: unknown subscription")
	// ErrNotFound is returned by Replay when no dead letter has the ID.
	ErrNotFound = errors.New("localbus: dead letter not found")
)

var (
	bucketSubs    = []byte("subscriptions")
	bucketPending = []byte("pending")
	bucketDead    = []byte("dead")
)

// Bus is a durable in-process event bus. Create it with Open, register
// handlers with Subscribe, then call Start; Close releases it.
type Bus struct {
	db     *bbolt.DB
	cfg    config
	writer *writer

	// mu guards subs, routes, started and closed. Publish and Replay hold it
	// for reading across their commit and hand-off to memory; Start and Close
	// hold it for writing, so Start's load of stored records can neither miss
	// nor double an event committed at the same moment.
	mu      sync.RWMutex
	subs    map[string]*subscription
	routes  map[string][]*subscription
	started bool
	closed  bool

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

var (
	_ bus.Publisher  = (*Bus)(nil)
	_ bus.Subscriber = (*Bus)(nil)
)

// Open opens (creating if needed) the bus file at path. It fails if another
// process holds the file for longer than a few seconds.
func Open(path string, opts ...Option) (*Bus, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:      5 * time.Second,
		FreelistType: bbolt.FreelistMapType,
		// The freelist is rebuilt on open instead of being written on every
		// commit: fewer pages per publish on a write-heavy file.
		NoFreelistSync: true,
	})
	if err != nil {
		return nil, fmt.Errorf("localbus: %w", boltdb.OpenError(path, err))
	}
	// With a window set, publishers that arrive within it share one commit
	// (bbolt's DB.Batch); without, Publish commits at once and publishers
	// that arrive during a commit share the next (boltdb.Batch).
	if cfg.batchDelay > 0 {
		db.MaxBatchDelay = cfg.batchDelay
	}
	if err := boltdb.EnsureBuckets(db, string(bucketSubs)); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("localbus: init %s: %w", path, err)
	}
	return &Bus{
		db:  db,
		cfg: cfg,
		writer: newWriter(db, cfg.batchDelay > 0, func(err error) {
			cfg.log.Error().Err(err).Msg("bus: cannot record a delivery outcome; the event may be delivered again")
		}),
		subs:   make(map[string]*subscription),
		routes: make(map[string][]*subscription),
	}, nil
}

// Subscribe registers h under name for events whose DetailType is one of
// detailTypes. It must be called before Start; names must be unique.
func (b *Bus) Subscribe(name string, detailTypes []string, h bus.Handler) error {
	if name == "" || len(detailTypes) == 0 || h == nil {
		return errors.New("localbus: subscribe needs a name, detail types and a handler")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return ErrClosed
	case b.started:
		return ErrStarted
	case b.subs[name] != nil:
		return fmt.Errorf("localbus: subscription %q already registered", name)
	}
	// A subscription that earlier runs registered is only read: a write
	// would cost every start two fdatasyncs per subscription.
	var known bool
	_ = b.db.View(func(tx *bbolt.Tx) error {
		sb := tx.Bucket(bucketSubs).Bucket([]byte(name))
		known = sb != nil && sb.Bucket(bucketPending) != nil && sb.Bucket(bucketDead) != nil
		return nil
	})
	if !known {
		if err := b.db.Update(func(tx *bbolt.Tx) error {
			sb, err := tx.Bucket(bucketSubs).CreateBucketIfNotExists([]byte(name))
			if err != nil {
				return err
			}
			if _, err := sb.CreateBucketIfNotExists(bucketPending); err != nil {
				return err
			}
			_, err = sb.CreateBucketIfNotExists(bucketDead)
			return err
		}); err != nil {
			return fmt.Errorf("localbus: subscribe %q: %w", name, err)
		}
	}
	s := newSubscription(b, name, h)
	b.subs[name] = s
	seen := make(map[string]bool, len(detailTypes))
	for _, dt := range detailTypes {
		if !seen[dt] {
			seen[dt] = true
			b.routes[dt] = append(b.routes[dt], s)
		}
	}
	return nil
}

// Start loads the events left pending by earlier runs and starts delivering.
// Delivery stops when ctx is cancelled or Close is called; either cancels the
// context of running handler calls, and a call that then fails is not
// counted as an attempt: its event stays stored for the next Start.
func (b *Bus) Start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	if b.started {
		return ErrStarted
	}
	if err := b.db.View(func(tx *bbolt.Tx) error {
		for _, s := range b.subs {
			if err := s.load(tx); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("localbus: load pending: %w", err)
	}
	ctx, b.cancel = context.WithCancel(ctx)
	b.started = true
	for _, s := range b.subs {
		s.run(ctx, &b.wg)
	}
	return nil
}

// Publish durably stores each event for every subscription that asked for its
// detail type and returns once that is committed; events nobody subscribed to
// are dropped. Every event needs an ID (of at most bbolt.MaxKeySize bytes),
// Source, DetailType and a valid JSON Detail. Once the commit has started,
// Publish waits for it even if ctx ends, because returning early would leave
// the caller unsure whether it happened.
func (b *Bus) Publish(ctx context.Context, events ...bus.Envelope) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, e := range events {
		if err := validate(e); err != nil {
			return err
		}
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	type target struct {
		s   *subscription
		rec record
		val []byte
		key uint64
	}
	var targets []target
	for _, e := range events {
		for _, s := range b.routes[e.DetailType] {
			rec := record{Envelope: e}
			targets = append(targets, target{s: s, rec: rec, val: rec.Marshal()})
		}
	}
	if len(targets) == 0 {
		b.published(events)
		return nil
	}
	// Batch may run the function more than once; every run assigns fresh keys
	// and only the committed run's keys survive in targets.
	if err := b.batch(func(tx *bbolt.Tx) error {
		for i := range targets {
			pb := pendingBucket(tx, targets[i].s.name)
			key, err := pb.NextSequence()
			if err != nil {
				return err
			}
			targets[i].key = key
			if err := pb.Put(itob(key), targets[i].val); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("localbus: publish: %w", err)
	}
	b.published(events)
	if b.started {
		for _, t := range targets {
			t.s.enqueue(&item{key: t.key, rec: t.rec})
		}
	}
	return nil
}

// batch commits fn with concurrent publishers and delivery outcomes.
func (b *Bus) batch(fn func(*bbolt.Tx) error) error {
	if b.cfg.batchDelay > 0 {
		return b.db.Batch(fn)
	}
	return boltdb.Batch(b.db, fn)
}

// published tells the observer of events accepted, routed or not.
func (b *Bus) published(events []bus.Envelope) {
	for _, e := range events {
		b.cfg.obs.Published(e.DetailType)
	}
}

// Close stops delivery, cancels the context of running handler calls, waits
// for them to return and closes the file. Undelivered events stay stored for the next Start. It is
// safe to call more than once.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closed = true
		if b.cancel != nil {
			b.cancel()
		}
		b.mu.Unlock()
		b.wg.Wait()
		b.writer.close()
		b.closeErr = boltdb.Close(b.db)
	})
	return b.closeErr
}

func validate(e bus.Envelope) error {
	switch {
	case e.ID == "":
		return errors.New("localbus: event without ID")
	case len(e.ID) > bbolt.MaxKeySize:
		// A dead letter is keyed by its ID: a longer one could never be
		// dead-lettered and would sit in the file, delivered no more.
		return fmt.Errorf("localbus: event ID of %d bytes, limit %d", len(e.ID), bbolt.MaxKeySize)
	case e.Source == "":
		return fmt.Errorf("localbus: event %s without Source", e.ID)
	case e.DetailType == "":
		return fmt.Errorf("localbus: event %s without DetailType", e.ID)
	case !jsonValid(e.Detail):
		return fmt.Errorf("localbus: event %s: Detail is not valid JSON", e.ID)
	}
	return nil
}
