package localbus

import (
	"container/heap"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/eventrec"
)

// item is one pending record of one subscription, held in memory while the
// bus runs; key is its key in the subscription's pending bucket.
type item struct {
	key uint64
	rec record
}

// subscription delivers the pending events of one subscription: a ready
// queue drained by workers, and a retry heap that a scheduler moves into the
// ready queue when each retry falls due.
//
// Workers are started on demand and end when they find the ready queue
// empty, so an idle bus keeps no worker goroutines (and no stacks grown by
// handlers and commits): two per subscription at the default 64 were 128
// parked goroutines. A worker that takes an item and leaves more behind
// starts another, up to cfg.workers, so a burst still fans out to all of
// them.
type subscription struct {
	b    *Bus
	name string
	h    bus.Handler

	// ctx and wg are set by run and read only after it.
	ctx context.Context
	wg  *sync.WaitGroup

	mu    sync.Mutex
	ready []*item
	retry retryHeap
	// active counts the workers started and not yet returned.
	active int
	// stopped is set, once ctx has ended, by the scheduler before it
	// returns; no worker is started after it, so none is added to wg once
	// Close may be waiting on it.
	stopped bool

	// rewake tells the scheduler the retry heap changed.
	rewake chan struct{}
}

func newSubscription(b *Bus, name string, h bus.Handler) *subscription {
	return &subscription{
		b:      b,
		name:   name,
		h:      h,
		rewake: make(chan struct{}, 1),
	}
}

// load queues every stored pending record of the subscription.
func (s *subscription) load(tx *bbolt.Tx) error {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return pendingBucket(tx, s.name).ForEach(func(k, v []byte) error {
		rec, err := eventrec.Unmarshal(v)
		if err != nil {
			return fmt.Errorf("subscription %q key %x: %w", s.name, k, err)
		}
		it := &item{key: binary.BigEndian.Uint64(k), rec: rec}
		if rec.At.After(now) {
			heap.Push(&s.retry, it)
		} else {
			s.ready = append(s.ready, it)
		}
		return nil
	})
}

// run starts the retry scheduler, and workers for the records load queued;
// they stop when ctx ends.
func (s *subscription) run(ctx context.Context, wg *sync.WaitGroup) {
	s.ctx, s.wg = ctx, wg
	wg.Go(s.schedule)
	s.mu.Lock()
	s.startWorker()
	s.mu.Unlock()
	signal(s.rewake)
}

// enqueue makes a newly committed record ready for delivery at once.
func (s *subscription) enqueue(it *item) {
	s.mu.Lock()
	s.ready = append(s.ready, it)
	s.startWorker()
	s.mu.Unlock()
}

// startWorker starts a worker if items are ready and fewer than cfg.workers
// run; the caller holds s.mu. A running worker may take the item first, in
// which case the new one finds the queue empty and returns.
func (s *subscription) startWorker() {
	if len(s.ready) == 0 || s.active >= s.b.cfg.workers || s.stopped || s.ctx.Err() != nil {
		return
	}
	s.active++
	s.wg.Go(s.work)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (s *subscription) work() {
	for {
		it := s.take()
		if it == nil {
			return
		}
		s.deliver(s.ctx, it)
	}
}

// take returns the next ready item, or nil, and the worker ends, once the
// queue is empty or ctx has ended. A worker that leaves items behind starts
// another.
func (s *subscription) take() *item {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ready) == 0 || s.ctx.Err() != nil {
		s.active--
		return nil
	}
	it := s.ready[0]
	s.ready[0] = nil
	s.ready = s.ready[1:]
	s.startWorker()
	return it
}

// schedule moves retries into the ready queue as they fall due. It marks
// the subscription stopped when ctx ends.
func (s *subscription) schedule() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		var next time.Duration = -1
		s.mu.Lock()
		moved := false
		for s.retry.Len() > 0 && !s.retry[0].rec.At.After(now) {
			s.ready = append(s.ready, heap.Pop(&s.retry).(*item))
			moved = true
		}
		if moved {
			s.startWorker()
		}
		if s.retry.Len() > 0 {
			next = s.retry[0].rec.At.Sub(now)
		}
		s.mu.Unlock()
		var due <-chan time.Time
		if next >= 0 {
			timer.Reset(next)
			due = timer.C
		}
		select {
		case <-s.ctx.Done():
			s.mu.Lock()
			s.stopped = true
			s.mu.Unlock()
			return
		case <-s.rewake:
		case <-due:
		}
	}
}

// deliver calls the handler once and records the outcome.
func (s *subscription) deliver(ctx context.Context, it *item) {
	cfg := &s.b.cfg
	log := cfg.log.With().Str("subscription", s.name).Str("event_id", it.rec.Envelope.ID).
		Str("detail_type", it.rec.Envelope.DetailType).Logger()
	// The handler's logger comes with its context (zerolog.Ctx), as on the
	// AWS bus.
	hctx, cancel := context.WithTimeout(log.WithContext(ctx), cfg.handlerTimeout)
	err := s.call(hctx, it.rec.Envelope)
	cancel()
	if err == nil {
		cfg.obs.Delivered(s.name, it.rec.Envelope.Time)
		key := itob(it.key)
		s.b.writer.enqueue(func(tx *bbolt.Tx) error {
			return pendingBucket(tx, s.name).Delete(key)
		})
		return
	}
	if ctx.Err() != nil {
		// Stopping cancelled the handler; that is not the event's fault, so
		// the attempt is not counted and the stored record is left as it was
		// for the next Start.
		log.Info().Err(err).Msg("bus: delivery interrupted by shutdown; event stays pending")
		return
	}
	cfg.obs.Failed(s.name)
	it.rec.Attempts++
	it.rec.LastError = err.Error()
	if it.rec.Attempts >= cfg.maxAttempts {
		cfg.obs.DeadLettered(s.name)
		s.deadLetter(it, log)
		return
	}
	it.rec.At = time.Now().Add(backoff(it.rec.Attempts, cfg.backoffBase, cfg.backoffMax))
	log.Warn().Err(err).Int("attempt", it.rec.Attempts).Time("retry_at", it.rec.At).Msg("bus: handler failed")
	// Should the stored copy keep its older attempt count, the retry still
	// happens from memory.
	key, val := itob(it.key), it.rec.Marshal()
	s.b.writer.enqueue(func(tx *bbolt.Tx) error {
		return pendingBucket(tx, s.name).Put(key, val)
	})
	s.mu.Lock()
	heap.Push(&s.retry, it)
	s.mu.Unlock()
	signal(s.rewake)
}

func (s *subscription) deadLetter(it *item, log zerolog.Logger) {
	it.rec.At = time.Now().UTC()
	key, id, val := itob(it.key), []byte(it.rec.Envelope.ID), it.rec.Marshal()
	// Put before Delete: if the op fails halfway the event stays pending
	// rather than vanishing.
	s.b.writer.enqueue(func(tx *bbolt.Tx) error {
		if err := deadBucket(tx, s.name).Put(id, val); err != nil {
			return err
		}
		return pendingBucket(tx, s.name).Delete(key)
	})
	log.Error().Int("attempts", it.rec.Attempts).Str("last_error", it.rec.LastError).Msg("bus: event dead-lettered")
}

// call runs the handler, turning a panic into an error so one bad event
// cannot take the process down.
func (s *subscription) call(ctx context.Context, e bus.Envelope) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	return s.h(ctx, e)
}

// retryHeap orders items by next attempt time.
type retryHeap []*item

func (h retryHeap) Len() int           { return len(h) }
func (h retryHeap) Less(i, j int) bool { return h[i].rec.At.Before(h[j].rec.At) }
func (h retryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *retryHeap) Push(x any)        { *h = append(*h, x.(*item)) }
func (h *retryHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return it
}

func pendingBucket(tx *bbolt.Tx, sub string) *bbolt.Bucket {
	return tx.Bucket(bucketSubs).Bucket([]byte(sub)).Bucket(bucketPending)
}

func deadBucket(tx *bbolt.Tx, sub string) *bbolt.Bucket {
	return tx.Bucket(bucketSubs).Bucket([]byte(sub)).Bucket(bucketDead)
}

// itob encodes a sequence number as a big-endian key so keys sort in
// publish order.
func itob(v uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), v)
}

func jsonValid(b []byte) bool { return len(b) > 0 && json.Valid(b) }
