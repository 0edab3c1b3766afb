package localbus_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/bus/localbus"
)

// switchable is a handler that fails until told otherwise and records the
// IDs it accepted.
type switchable struct {
	mu   sync.Mutex
	fail bool
	ok   map[string]int
}

func (s *switchable) handle(_ context.Context, e bus.Envelope) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("downstream unavailable")
	}
	s.ok[e.ID]++
	return nil
}

func (s *switchable) set(fail bool) {
	s.mu.Lock()
	s.fail = fail
	s.mu.Unlock()
}

func (s *switchable) got(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ok[id]
}

func mustDeadLetters(tb testing.TB, b *localbus.Bus, sub string, want int) []localbus.DeadLetter {
	tb.Helper()
	var dls []localbus.DeadLetter
	bustest.Eventually(tb, 10*time.Second, func() bool {
		var err error
		dls, err = b.DeadLetters(context.Background(), sub, 0)
		if err != nil {
			tb.Fatalf("DeadLetters: %v", err)
		}
		return len(dls) == want
	}, "%d dead letters in %s", want, sub)
	return dls
}

func TestReplay(t *testing.T) {
	b := MustOpen(t, filepath.Join(t.TempDir(), "bus.db"))
	h := &switchable{fail: true, ok: map[string]int{}}
	bustest.MustSubscribe(t, b, "orders", []string{"CheckoutBasket"}, h.handle)
	bustest.MustStart(t, b)
	e1 := bustest.NewEvent(t, "com.swn.basket", "CheckoutBasket", map[string]int{"n": 1})
	e2 := bustest.NewEvent(t, "com.swn.basket", "CheckoutBasket", map[string]int{"n": 2})
	bustest.MustPublish(t, b, e1, e2)
	ctx := context.Background()

	t.Run("DeadLetterFields", func(t *testing.T) {
		dls := mustDeadLetters(t, b, "orders", 2)
		for _, d := range dls {
			if d.Subscription != "orders" || d.Attempts != testMaxAttempts || d.LastError != "downstream unavailable" || d.FailedAt.IsZero() {
				t.Errorf("got dead letter %+v, want subscription orders, %d attempts, last error and time", d, testMaxAttempts)
			}
			if d.Envelope.ID != e1.ID && d.Envelope.ID != e2.ID {
				t.Errorf("got dead letter for %s, want %s or %s", d.Envelope.ID, e1.ID, e2.ID)
			}
		}
		if n, err := b.Pending("orders"); err != nil || n != 0 {
			t.Errorf("Pending = %d, %v; want 0, nil", n, err)
		}
		if got, err := b.DeadLetters(ctx, "orders", 1); err != nil || len(got) != 1 {
			t.Errorf("DeadLetters(limit 1) = %d letters, %v; want 1, nil", len(got), err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		if err := b.Replay(ctx, "orders", "no-such-id"); !errors.Is(err, localbus.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})

	t.Run("ErrUnknownSubscription", func(t *testing.T) {
		if err := b.Replay(ctx, "nobody", e1.ID); !errors.Is(err, localbus.ErrUnknownSubscription) {
			t.Errorf("got %v, want ErrUnknownSubscription", err)
		}
	})

	t.Run("OneThenAll", func(t *testing.T) {
		h.set(false)
		if err := b.Replay(ctx, "orders", e1.ID); err != nil {
			t.Fatalf("Replay: %v", err)
		}
		bustest.Eventually(t, 10*time.Second, func() bool { return h.got(e1.ID) == 1 }, "replayed %s delivered", e1.ID)
		if got := mustDeadLetters(t, b, "orders", 1); got[0].Envelope.ID != e2.ID {
			t.Errorf("left dead letter %s, want %s", got[0].Envelope.ID, e2.ID)
		}
		n, err := b.ReplayAll(ctx, "orders")
		if err != nil || n != 1 {
			t.Fatalf("ReplayAll = %d, %v; want 1, nil", n, err)
		}
		bustest.Eventually(t, 10*time.Second, func() bool { return h.got(e2.ID) == 1 }, "replayed %s delivered", e2.ID)
		mustDeadLetters(t, b, "orders", 0)
	})
}

func TestDeadLettersSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus.db")
	b := MustOpen(t, path)
	h := &switchable{fail: true, ok: map[string]int{}}
	bustest.MustSubscribe(t, b, "orders", []string{"CheckoutBasket"}, h.handle)
	bustest.MustStart(t, b)
	e := bustest.NewEvent(t, "com.swn.basket", "CheckoutBasket", map[string]int{"n": 1})
	bustest.MustPublish(t, b, e)
	mustDeadLetters(t, b, "orders", 1)
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	b = MustOpen(t, path)
	h.set(false)
	bustest.MustSubscribe(t, b, "orders", []string{"CheckoutBasket"}, h.handle)
	// Replaying before Start stores the event as pending; Start delivers it.
	if n, err := b.ReplayAll(context.Background(), "orders"); err != nil || n != 1 {
		t.Fatalf("ReplayAll = %d, %v; want 1, nil", n, err)
	}
	bustest.MustStart(t, b)
	bustest.Eventually(t, 10*time.Second, func() bool { return h.got(e.ID) == 1 }, "replayed event delivered")
}

// TestShutdownIsNotAnAttempt: a handler cancelled by Close must not use up
// the event's attempts, or shutting down often would dead-letter good events.
func TestShutdownIsNotAnAttempt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus.db")
	b := MustOpen(t, path, localbus.WithMaxAttempts(1))
	entered := make(chan struct{})
	bustest.MustSubscribe(t, b, "sub", []string{"T"}, func(ctx context.Context, _ bus.Envelope) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	})
	bustest.MustStart(t, b)
	bustest.MustPublish(t, b, bustest.NewEvent(t, "s", "T", 1))
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("handler never called")
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	b = MustOpen(t, path, localbus.WithMaxAttempts(1))
	bustest.MustSubscribe(t, b, "sub", []string{"T"}, func(context.Context, bus.Envelope) error { return nil })
	if n, err := b.Pending("sub"); err != nil || n != 1 {
		t.Errorf("Pending = %d, %v; want 1, nil", n, err)
	}
	if dls, err := b.DeadLetters(context.Background(), "sub", 0); err != nil || len(dls) != 0 {
		t.Errorf("DeadLetters = %d letters, %v; want 0, nil", len(dls), err)
	}
}
