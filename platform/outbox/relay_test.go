package outbox_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/outbox"
)

const await = 30 * time.Second

func TestFlushPublishesAndForgets(t *testing.T) {
	forEachBackend(t, func(t *testing.T, put func(...bus.Envelope), store func() outbox.Store) {
		s, sink := store(), newSink(t)
		evs := events(t, 250) // more than one Flush step
		put(evs...)
		if err := newRelay(s, sink).Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := mustScan(t, s); len(got) != 0 {
			t.Fatalf("%d events left in the outbox, want none", len(got))
		}
		bustest.Eventually(t, await, func() bool { return sink.delivered(evs...) }, "not every outbox event was delivered")
	})
}

// TestRefusedHeadDoesNotBlock: 100 events the bus refuses, at the head of
// the outbox, do not hold back the good ones behind them; after their last
// attempt they are dead letters, which replay once the bus takes them.
func TestRefusedHeadDoesNotBlock(t *testing.T) {
	forEachBackend(t, func(t *testing.T, put func(...bus.Envelope), store func() outbox.Store) {
		s, sink := store(), newSink(t)
		bad, good := events(t, 100), events(t, 30)
		sink.setPoison(true, bad...)
		put(bad...)
		put(good...)
		var dead atomic.Int64
		r := newRelay(s, sink, outbox.WithMaxAttempts(3), outbox.WithOnDeadLetter(func(bus.Envelope) { dead.Add(1) }))

		err := r.Flush(t.Context())
		if !errors.Is(err, outbox.ErrRefused) || !errors.Is(err, errPoison) {
			t.Fatalf("Flush = %v, want the refusals reported", err)
		}
		bustest.Eventually(t, await, func() bool { return sink.delivered(good...) }, "the good events behind the refused ones were not delivered")
		recs := mustScan(t, s)
		if len(recs) != len(bad) {
			t.Fatalf("outbox holds %d events, want the %d refused", len(recs), len(bad))
		}
		for _, rec := range recs {
			if rec.Attempts != 1 || rec.LastError == "" {
				t.Fatalf("refused event %s: attempts %d, last error %q; want 1 and a reason", rec.ID, rec.Attempts, rec.LastError)
			}
		}

		bustest.Eventually(t, await, func() bool {
			r.Flush(t.Context())
			return len(mustDeadLetters(t, r)) == len(bad)
		}, "the refused events did not reach the dead letters")
		if got := mustScan(t, s); len(got) != 0 {
			t.Fatalf("%d events still wait, want none", len(got))
		}
		if got := dead.Load(); got != int64(len(bad)) {
			t.Errorf("OnDeadLetter told of %d events, want %d", got, len(bad))
		}
		if st, err := s.(interface {
			Stats(context.Context) (outbox.Stats, error)
		}).Stats(t.Context()); err != nil || st.DeadLetters != len(bad) || st.Depth != 0 {
			t.Errorf("Stats = %+v, %v; want %d dead letters and nothing waiting", st, err, len(bad))
		}
		dl := mustDeadLetters(t, r)[0]
		if dl.Envelope.ID != bad[0].ID || dl.Outbox != "module" || dl.Attempts != 3 || dl.LastError == "" || dl.FailedAt.IsZero() {
			t.Errorf("first dead letter = %+v, want %s of outbox module after 3 attempts, with its error and time", dl, bad[0].ID)
		}

		// Replay one, then the rest, once the bus takes them.
		sink.setPoison(false, bad...)
		if err := r.Replay(t.Context(), bad[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := r.Replay(t.Context(), bad[0].ID); !errors.Is(err, outbox.ErrNotFound) {
			t.Errorf("second Replay of %s = %v, want ErrNotFound", bad[0].ID, err)
		}
		if n, err := r.ReplayAll(t.Context()); err != nil || n != len(bad)-1 {
			t.Fatalf("ReplayAll = %d, %v; want %d, nil", n, err, len(bad)-1)
		}
		if got := mustScan(t, s); len(got) != len(bad) || got[0].Attempts != 0 {
			t.Fatalf("after replay the outbox holds %d events (first with %d attempts), want %d with none", len(got), got[0].Attempts, len(bad))
		}
		if err := r.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		bustest.Eventually(t, await, func() bool { return sink.delivered(bad...) }, "replayed events were not delivered")
		if n := len(mustDeadLetters(t, r)); n != 0 {
			t.Errorf("%d dead letters left, want none", n)
		}
	})
}

// TestAttemptsSurviveRestart: an event's attempts are stored with it, so a
// relay in a restarted process dead-letters it on schedule.
func TestAttemptsSurviveRestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, put func(...bus.Envelope), store func() outbox.Store) {
		sink := newSink(t)
		e := event(t)
		sink.setPoison(true, e)
		put(e)
		if err := newRelay(store(), sink, outbox.WithMaxAttempts(2)).Flush(t.Context()); !errors.Is(err, outbox.ErrRefused) {
			t.Fatalf("Flush = %v, want the refusal", err)
		}

		s := store() // restarted
		recs := mustScan(t, s)
		if len(recs) != 1 || recs[0].Attempts != 1 || recs[0].NextAt.IsZero() {
			t.Fatalf("after restart the outbox holds %+v, want %s with 1 attempt and a next attempt time", recs, e.ID)
		}
		r := newRelay(s, sink, outbox.WithMaxAttempts(2))
		bustest.Eventually(t, await, func() bool {
			r.Flush(t.Context())
			return len(mustDeadLetters(t, r)) == 1
		}, "the event was not dead-lettered on its second attempt")
		if dl := mustDeadLetters(t, r)[0]; dl.Attempts != 2 {
			t.Errorf("dead letter after %d attempts, want 2", dl.Attempts)
		}
	})
}

// failing is a real store whose Scan fails while broken is set: the stand-in
// for an outbox that cannot be read (DynamoDB down, a disk error), which the
// stores here cannot be made to do on demand.
type failing struct {
	outbox.Store
	broken atomic.Bool
	scans  atomic.Int64
}

func (f *failing) Scan(ctx context.Context, after string, limit int) ([]outbox.Record, error) {
	f.scans.Add(1)
	if f.broken.Load() {
		return nil, errors.New("outbox unreadable on purpose")
	}
	return f.Store.Scan(ctx, after, limit)
}

// TestNotifyWakesRelayInBackoff: Run backs off after a failed Flush (an hour
// here), and Notify ends the wait: an event committed then is delivered.
func TestNotifyWakesRelayInBackoff(t *testing.T) {
	forEachBackend(t, func(t *testing.T, put func(...bus.Envelope), store func() outbox.Store) {
		sink := newSink(t)
		s := &failing{Store: store()}
		s.broken.Store(true)
		r := newRelay(s, sink, outbox.WithRetry(time.Hour, time.Hour))
		runRelay(t, r)
		bustest.Eventually(t, await, func() bool { return s.scans.Load() >= 1 }, "the relay never read the outbox")

		s.broken.Store(false)
		e := event(t)
		put(e)
		r.Notify()
		bustest.Eventually(t, await, func() bool { return sink.count(e) == 1 }, "event not relayed after Notify while the relay backed off")
	})
}

// TestFlushNotified: only a relay that was notified flushes.
func TestFlushNotified(t *testing.T) {
	forEachBackend(t, func(t *testing.T, put func(...bus.Envelope), store func() outbox.Store) {
		s, sink := store(), newSink(t)
		r := newRelay(s, sink)
		e := event(t)
		put(e)
		if err := r.FlushNotified(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := len(mustScan(t, s)); n != 1 {
			t.Fatalf("a relay never notified flushed: %d events wait, want 1", n)
		}
		r.Notify()
		if err := r.FlushNotified(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := len(mustScan(t, s)); n != 0 {
			t.Fatalf("a notified relay left %d events, want none", n)
		}
	})
}

// gatedRemove holds every Remove until release is closed.
type gatedRemove struct {
	outbox.Store
	release chan struct{}
	removes atomic.Int64
}

// RemovesLater makes Run remove from the gated store in the background,
// on both backends, as it does from a BoltStore.
func (g *gatedRemove) RemovesLater() bool { return true }

func (g *gatedRemove) Remove(ctx context.Context, ids ...string) error {
	g.removes.Add(1)
	<-g.release
	return g.Store.Remove(ctx, ids...)
}

// counting counts what is published through it, as the call returns.
type counting struct {
	bus.Publisher
	mu  sync.Mutex
	got map[string]int
}

func (c *counting) Publish(ctx context.Context, events ...bus.Envelope) error {
	err := c.Publisher.Publish(ctx, events...)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range events {
		if err == nil {
			c.got[e.ID]++
		}
	}
	return err
}

func (c *counting) count(e bus.Envelope) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.got[e.ID]
}

// TestRunDoesNotWaitForRemoval: Run forgets published events in the
// background from a store that removes later, so an event committed while the last one's removal is still
// under way is published at once, and the one being removed is not
// published again; once removals commit the outbox is empty.
func TestRunDoesNotWaitForRemoval(t *testing.T) {
	forEachBackend(t, func(t *testing.T, put func(...bus.Envelope), store func() outbox.Store) {
		s := &gatedRemove{Store: store(), release: make(chan struct{})}
		pub := &counting{Publisher: newSink(t), got: map[string]int{}}
		r := newRelay(s, pub)
		runRelay(t, r)
		var once sync.Once
		release := func() { once.Do(func() { close(s.release) }) }
		t.Cleanup(release) // before runRelay's, which waits for the removals

		first, second := event(t), event(t)
		put(first)
		r.Notify()
		bustest.Eventually(t, await, func() bool { return pub.count(first) == 1 && s.removes.Load() == 1 },
			"the first event was not published and its removal begun")
		put(second)
		r.Notify()
		bustest.Eventually(t, await, func() bool { return pub.count(second) == 1 },
			"the second event waited for the first one's removal")
		if got := pub.count(first); got != 1 {
			t.Fatalf("the event under removal was published %d times, want 1", got)
		}
		release()
		bustest.Eventually(t, await, func() bool { return len(mustScan(t, s)) == 0 }, "published events left in the outbox")
	})
}

// sweepWatch fails the test if a sweep reads an event that was published
// before the sweep began.
type sweepWatch struct {
	outbox.Store
	t   *testing.T
	pub *counting
}

func (w *sweepWatch) Scan(ctx context.Context, after string, limit int) ([]outbox.Record, error) {
	w.pub.mu.Lock()
	published := maps.Clone(w.pub.got)
	w.pub.mu.Unlock()
	recs, err := w.Store.Scan(ctx, after, limit)
	for _, r := range recs {
		if published[r.ID] > 0 {
			w.t.Errorf("a sweep read event %s, published before it began", r.ID)
		}
	}
	return recs, err
}

// TestRunRemovesBeforeSweepingAgain: from a store whose removals are a
// round trip (DynamoDB's; either backend here), Run removes what it
// published before it sweeps again, so no sweep reads those events again.
func TestRunRemovesBeforeSweepingAgain(t *testing.T) {
	forEachBackend(t, func(t *testing.T, put func(...bus.Envelope), store func() outbox.Store) {
		pub := &counting{Publisher: newSink(t), got: map[string]int{}}
		s := &sweepWatch{Store: store(), t: t, pub: pub}
		r := newRelay(s, pub)
		runRelay(t, r)
		events := make([]bus.Envelope, 30)
		for i := range events {
			events[i] = event(t)
			put(events[i])
			r.Notify()
		}
		bustest.Eventually(t, await, func() bool {
			return !slices.ContainsFunc(events, func(e bus.Envelope) bool { return pub.count(e) == 0 })
		}, "events not published")
		bustest.Eventually(t, await, func() bool { return len(mustScan(t, s.Store)) == 0 }, "published events left in the outbox")
	})
}

func TestOnlyBoltRemovesLater(t *testing.T) {
	var bolt outbox.Store = &outbox.BoltStore{}
	if lr, ok := bolt.(outbox.LaterRemover); !ok || !lr.RemovesLater() {
		t.Error("BoltStore does not remove later")
	}
	var dynamo outbox.Store = &outbox.DynamoStore{}
	if _, ok := dynamo.(outbox.LaterRemover); ok {
		t.Error("DynamoStore removes later")
	}
}
