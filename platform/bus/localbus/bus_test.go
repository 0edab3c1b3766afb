package localbus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/bus/localbus"
)

// TestBackoff: the delay doubles from base up to the cap, each draw within
// half of it either way.
func TestBackoff(t *testing.T) {
	base, maxDelay := 100*time.Millisecond, time.Second
	for _, tc := range []struct {
		failures int
		interval time.Duration
	}{
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{3, 400 * time.Millisecond},
		{4, 800 * time.Millisecond},
		{5, time.Second},
		{60, time.Second},
	} {
		for range 200 {
			got := localbus.Backoff(tc.failures, base, maxDelay)
			if lo, hi := tc.interval/2, tc.interval*3/2+1; got < lo || got > hi {
				t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", tc.failures, got, lo, hi)
			}
		}
	}
	t.Run("Jitter", func(t *testing.T) {
		seen := map[time.Duration]bool{}
		for range 50 {
			seen[localbus.Backoff(3, base, maxDelay)] = true
		}
		if len(seen) < 2 {
			t.Errorf("got %d distinct delays in 50 draws, want jitter", len(seen))
		}
	})
}

// TestPublish: each case opens its own bus, so any one runs alone.
func TestPublish(t *testing.T) {
	ctx := context.Background()
	open := func(t *testing.T) *localbus.Bus {
		b := MustOpen(t, filepath.Join(t.TempDir(), "bus.db"))
		bustest.MustSubscribe(t, b, "basket", []string{"ProductCreated"}, func(context.Context, bus.Envelope) error { return nil })
		return b
	}
	mustPending := func(t *testing.T, b *localbus.Bus, want int) {
		t.Helper()
		if n, err := b.Pending("basket"); err != nil || n != want {
			t.Errorf("Pending = %d, %v; want %d, nil", n, err, want)
		}
	}

	t.Run("StoredBeforeStart", func(t *testing.T) {
		b := open(t)
		bustest.MustPublish(t, b, bustest.NewEvent(t, "com.swn.product", "ProductCreated", map[string]string{"id": "p1"}))
		mustPending(t, b, 1)
	})

	t.Run("NoSubscriberDropped", func(t *testing.T) {
		b := open(t)
		bustest.MustPublish(t, b, bustest.NewEvent(t, "com.swn.product", "ProductDeleted", map[string]string{"id": "p1"}))
		mustPending(t, b, 0)
	})

	t.Run("Invalid", func(t *testing.T) {
		good := bustest.NewEvent(t, "com.swn.product", "ProductCreated", map[string]string{"id": "p1"})
		for name, mutate := range map[string]func(*bus.Envelope){
			"NoID":         func(e *bus.Envelope) { e.ID = "" },
			"IDTooLong":    func(e *bus.Envelope) { e.ID = strings.Repeat("x", 1<<16) },
			"NoSource":     func(e *bus.Envelope) { e.Source = "" },
			"NoDetailType": func(e *bus.Envelope) { e.DetailType = "" },
			"NoDetail":     func(e *bus.Envelope) { e.Detail = nil },
			"BadDetail":    func(e *bus.Envelope) { e.Detail = json.RawMessage("{") },
		} {
			t.Run(name, func(t *testing.T) {
				b := open(t)
				e := good
				mutate(&e)
				if err := b.Publish(ctx, good, e); err == nil {
					t.Errorf("got nil error, want one")
				}
				// The batch is all or nothing: its good event is not stored.
				mustPending(t, b, 0)
			})
		}
	})

	t.Run("ErrStarted", func(t *testing.T) {
		b := open(t)
		bustest.MustStart(t, b)
		err := b.Subscribe("late", []string{"ProductCreated"}, func(context.Context, bus.Envelope) error { return nil })
		if !errors.Is(err, localbus.ErrStarted) {
			t.Errorf("Subscribe after Start: got %v, want ErrStarted", err)
		}
		if err := b.Start(ctx); !errors.Is(err, localbus.ErrStarted) {
			t.Errorf("second Start: got %v, want ErrStarted", err)
		}
	})

	t.Run("ErrClosed", func(t *testing.T) {
		b := open(t)
		if err := b.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := b.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		err := b.Publish(ctx, bustest.NewEvent(t, "com.swn.product", "ProductCreated", map[string]string{"id": "p2"}))
		if !errors.Is(err, localbus.ErrClosed) {
			t.Errorf("Publish after Close: got %v, want ErrClosed", err)
		}
	})
}

// TestDetailBytesExact checks what the conformance suite cannot ask of every
// backend: the detail arrives byte for byte, whitespace and all.
func TestDetailBytesExact(t *testing.T) {
	b := MustOpen(t, filepath.Join(t.TempDir(), "bus.db"))
	got := make(chan bus.Envelope, 1)
	bustest.MustSubscribe(t, b, "sub", []string{"T"}, func(_ context.Context, e bus.Envelope) error {
		got <- e
		return nil
	})
	want := bus.Envelope{ID: "1", Source: "s", DetailType: "T", Time: time.Now(), Detail: json.RawMessage(` { "a" : "<&>" } `)}
	bustest.MustPublish(t, b, want)
	bustest.MustStart(t, b)
	var e bus.Envelope
	select {
	case e = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("event not delivered")
	}
	if !bytes.Equal(e.Detail, want.Detail) || !e.Time.Equal(want.Time) {
		t.Errorf("got detail %q time %v, want %q %v", e.Detail, e.Time, want.Detail, want.Time)
	}
}

func TestHandlerPanicAndTimeoutAreFailures(t *testing.T) {
	b := MustOpen(t, filepath.Join(t.TempDir(), "bus.db"), localbus.WithHandlerTimeout(20*time.Millisecond))
	bustest.MustSubscribe(t, b, "panics", []string{"T"}, func(context.Context, bus.Envelope) error { panic("boom") })
	bustest.MustSubscribe(t, b, "hangs", []string{"T"}, func(ctx context.Context, _ bus.Envelope) error {
		<-ctx.Done()
		return ctx.Err()
	})
	bustest.MustStart(t, b)
	bustest.MustPublish(t, b, bustest.NewEvent(t, "s", "T", 1))
	for sub, want := range map[string]string{"panics": "handler panic: boom", "hangs": context.DeadlineExceeded.Error()} {
		dls := mustDeadLetters(t, b, sub, 1)
		if dls[0].LastError != want {
			t.Errorf("%s: got last error %q, want %q", sub, dls[0].LastError, want)
		}
	}
}

func TestWorkersBoundConcurrency(t *testing.T) {
	const workers = 2
	b := MustOpen(t, filepath.Join(t.TempDir(), "bus.db"), localbus.WithWorkers(workers))
	var running, peak, done atomic.Int64
	release := make(chan struct{})
	bustest.MustSubscribe(t, b, "sub", []string{"T"}, func(ctx context.Context, _ bus.Envelope) error {
		n := running.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		select {
		case <-release:
		case <-ctx.Done(): // the test failed and closes the bus
		}
		running.Add(-1)
		done.Add(1)
		return nil
	})
	bustest.MustStart(t, b)
	for range 10 {
		bustest.MustPublish(t, b, bustest.NewEvent(t, "s", "T", 1))
	}
	bustest.Eventually(t, 10*time.Second, func() bool { return running.Load() == workers }, "%d handlers running", workers)
	close(release)
	bustest.Eventually(t, 10*time.Second, func() bool { return done.Load() == 10 }, "all 10 handled")
	if p := peak.Load(); p > workers {
		t.Errorf("got %d handlers at once, want at most %d", p, workers)
	}
}

// BenchmarkPublishToHandler measures publish → handler throughput with many
// concurrent publishers, each event published alone, as request handlers do.
func BenchmarkPublishToHandler(b *testing.B) {
	bs := MustOpen(b, filepath.Join(b.TempDir(), "bus.db"), localbus.WithWorkers(8))
	var handled sync.WaitGroup
	bustest.MustSubscribe(b, bs, "sub", []string{"T"}, func(context.Context, bus.Envelope) error {
		handled.Done()
		return nil
	})
	bustest.MustStart(b, bs)
	detail := json.RawMessage(`{"userName":"swn","items":[{"productId":"p1","quantity":2,"price":1999}]}`)
	var seq atomic.Int64
	handled.Add(b.N)
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0))) // about 64 concurrent publishers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := bus.Envelope{ID: strconv.FormatInt(seq.Add(1), 10), Source: "s", DetailType: "T", Time: time.Now(), Detail: detail}
			if err := bs.Publish(context.Background(), e); err != nil {
				b.Error(err)
				return
			}
		}
	})
	handled.Wait()
}
