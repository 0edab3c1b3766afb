package localbus

import (
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/boltdb"
)

// writer applies the outcome of deliveries (delete on success, attempt
// counts, dead letters) in the background, many per transaction, so a worker
// goes on to its next event without waiting for a commit. Losing a queued
// write to a crash only means an event is delivered again (or retried with
// an older attempt count), which at-least-once delivery allows.
type writer struct {
	db       *bbolt.DB
	windowed bool
	fail     func(error)

	mu     sync.Mutex
	queue  []func(*bbolt.Tx) error
	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	closed bool
}

// outcomeWait is how long delivery outcomes wait for a publish to commit
// with before they commit alone: at 200 checkouts/s a publish comes every
// 5 ms, and a crash within the wait only means those events are delivered
// again.
const outcomeWait = 20 * time.Millisecond

// newWriter starts a writer of db; windowed commits through bbolt's
// DB.Batch (the bus's publish window) instead of the group commit.
func newWriter(db *bbolt.DB, windowed bool, fail func(error)) *writer {
	w := &writer{db: db, windowed: windowed, fail: fail, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

// enqueue schedules op; ops run in the order they were enqueued.
func (w *writer) enqueue(op func(*bbolt.Tx) error) {
	w.mu.Lock()
	w.queue = append(w.queue, op)
	w.mu.Unlock()
	signal(w.wake)
}

func (w *writer) loop() {
	defer close(w.done)
	for {
		select {
		case <-w.wake:
			w.flush()
		case <-w.stop:
			w.flush()
			return
		}
	}
}

// flush commits everything queued so far in one transaction. An op that
// fails is logged and skipped rather than rolling back the others.
func (w *writer) flush() {
	w.mu.Lock()
	ops := w.queue
	w.queue = nil
	w.mu.Unlock()
	if len(ops) == 0 {
		return
	}
	// The outcomes ride with the next publish's commit rather than taking
	// one (two fsyncs) of their own, which a publish would then queue
	// behind.
	batch := func(fn func(*bbolt.Tx) error) error { return boltdb.Ride(w.db, outcomeWait, fn) }
	if w.windowed {
		batch = w.db.Batch
	}
	err := batch(func(tx *bbolt.Tx) error {
		for _, op := range ops {
			if err := op(tx); err != nil {
				w.fail(err)
			}
		}
		return nil
	})
	if err != nil {
		w.fail(err)
	}
}

// close commits what is queued and stops the writer; call it after the last
// enqueue.
func (w *writer) close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	<-w.done
}
