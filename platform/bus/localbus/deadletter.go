package localbus

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/eventrec"
)

// DeadLetter is an event a subscription gave up on after its last attempt.
type DeadLetter struct {
	Envelope     bus.Envelope
	Subscription string
	Attempts     int
	LastError    string
	FailedAt     time.Time
}

// DeadLetters lists up to limit dead letters of a subscription (all of them
// when limit <= 0), ordered by event ID. It returns ErrUnknownSubscription
// for a name never passed to Subscribe.
func (b *Bus) DeadLetters(ctx context.Context, subscription string, limit int) ([]DeadLetter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if err := b.check(subscription); err != nil {
		return nil, err
	}
	var out []DeadLetter
	err := b.db.View(func(tx *bbolt.Tx) error {
		c := deadBucket(tx, subscription).Cursor()
		for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			rec, err := eventrec.Unmarshal(v)
			if err != nil {
				return fmt.Errorf("dead letter %q: %w", k, err)
			}
			out = append(out, DeadLetter{
				Envelope:     rec.Envelope,
				Subscription: subscription,
				Attempts:     rec.Attempts,
				LastError:    rec.LastError,
				FailedAt:     rec.At,
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("localbus: dead letters of %q: %w", subscription, err)
	}
	return out, nil
}

// Replay moves the dead letter with event ID id back to pending with its
// attempts reset, for delivery at once if the bus is running. It returns
// ErrNotFound when the subscription has no such dead letter.
func (b *Bus) Replay(ctx context.Context, subscription, id string) error {
	n, err := b.replay(ctx, subscription, &id)
	if err == nil && n == 0 {
		return fmt.Errorf("%w: %s/%s", ErrNotFound, subscription, id)
	}
	return err
}

// ReplayAll moves every dead letter of a subscription back to pending, as
// Replay does, and returns how many it moved.
func (b *Bus) ReplayAll(ctx context.Context, subscription string) (int, error) {
	return b.replay(ctx, subscription, nil)
}

// replay moves the dead letter id, or all of them when id is nil.
func (b *Bus) replay(ctx context.Context, subscription string, id *string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// Held for reading like Publish, so a concurrent Start sees each
	// replayed record exactly once.
	b.mu.RLock()
	defer b.mu.RUnlock()
	if err := b.check(subscription); err != nil {
		return 0, err
	}
	s := b.subs[subscription]
	var moved []*item
	err := b.db.Update(func(tx *bbolt.Tx) error {
		dead, pending := deadBucket(tx, subscription), pendingBucket(tx, subscription)
		var keys [][]byte
		if id != nil {
			if dead.Get([]byte(*id)) != nil {
				keys = append(keys, []byte(*id))
			}
		} else {
			if err := dead.ForEach(func(k, _ []byte) error {
				keys = append(keys, append([]byte(nil), k...))
				return nil
			}); err != nil {
				return err
			}
		}
		for _, k := range keys {
			rec, err := eventrec.Unmarshal(dead.Get(k))
			if err != nil {
				return fmt.Errorf("dead letter %q: %w", k, err)
			}
			rec.Attempts, rec.At, rec.LastError = 0, time.Time{}, ""
			val := rec.Marshal()
			seq, err := pending.NextSequence()
			if err != nil {
				return err
			}
			if err := pending.Put(itob(seq), val); err != nil {
				return err
			}
			if err := dead.Delete(k); err != nil {
				return err
			}
			moved = append(moved, &item{key: seq, rec: rec})
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("localbus: replay %q: %w", subscription, err)
	}
	if b.started {
		for _, it := range moved {
			s.enqueue(it)
		}
	}
	return len(moved), nil
}

// Pending reports how many events of a subscription are stored and not yet
// delivered or dead-lettered; useful for readiness checks and tests. It can
// briefly include delivered events whose deletion is still being committed.
func (b *Bus) Pending(subscription string) (int, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if err := b.check(subscription); err != nil {
		return 0, err
	}
	var n int
	err := b.db.View(func(tx *bbolt.Tx) error {
		n = pendingBucket(tx, subscription).Stats().KeyN
		return nil
	})
	return n, err
}

// check reports whether the bus is open and knows the subscription; the
// caller holds b.mu.
func (b *Bus) check(subscription string) error {
	if b.closed {
		return ErrClosed
	}
	if b.subs[subscription] == nil {
		return fmt.Errorf("%w: %q", ErrUnknownSubscription, subscription)
	}
	return nil
}
