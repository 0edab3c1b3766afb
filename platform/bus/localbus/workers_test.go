package localbus_test

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/bus/localbus"
)

// TestWorkersOnDemand: a burst fans out to all the subscription's workers at
// once, and once it is handled no worker goroutine is left, whether the
// events were published while the bus ran, left pending by an earlier run,
// or retried.
func TestWorkersOnDemand(t *testing.T) {
	const workers = localbus.DefaultWorkers
	const n = 3 * workers
	for _, tc := range []struct {
		name   string
		before bool // published before Start, so loaded by it
		fail   bool // every event's first attempt fails, so it is retried
	}{
		{name: "Published"},
		{name: "LoadedAtStart", before: true},
		{name: "Retried", fail: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := MustOpen(t, filepath.Join(t.TempDir(), "bus.db"), localbus.WithWorkers(workers))
			var (
				running, peak, done atomic.Int64
				mu                  sync.Mutex
				failed              = map[string]bool{}
			)
			release := make(chan struct{})
			bustest.MustSubscribe(t, b, "sub", []string{"T"}, func(ctx context.Context, e bus.Envelope) error {
				if tc.fail {
					mu.Lock()
					first := !failed[e.ID]
					failed[e.ID] = true
					mu.Unlock()
					if first {
						return errors.New("first attempt")
					}
				}
				n := running.Add(1)
				defer running.Add(-1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				select {
				case <-release:
				case <-ctx.Done(): // the test failed and closes the bus
					return ctx.Err()
				}
				done.Add(1)
				return nil
			})
			events := make([]bus.Envelope, n)
			for i := range events {
				events[i] = bustest.NewEvent(t, "s", "T", i)
			}
			if tc.before {
				bustest.MustPublish(t, b, events...)
			}
			bustest.MustStart(t, b)
			baseline := runtime.NumGoroutine()
			if !tc.before {
				if got := b.Workers("sub"); got != 0 {
					t.Fatalf("got %d workers on an idle bus, want 0", got)
				}
				bustest.MustPublish(t, b, events...)
			}

			bustest.Eventually(t, 10*time.Second, func() bool { return running.Load() == workers },
				"%d handlers running at once", workers)
			close(release)
			bustest.Eventually(t, 10*time.Second, func() bool { return done.Load() == n }, "all %d handled", n)
			if p := peak.Load(); p > workers {
				t.Errorf("got %d handlers at once, want at most %d", p, workers)
			}
			bustest.Eventually(t, 10*time.Second, func() bool { return b.Workers("sub") == 0 }, "no worker left")
			// The loaded run's baseline was taken with its workers running.
			if !tc.before {
				bustest.Eventually(t, 10*time.Second, func() bool { return runtime.NumGoroutine() <= baseline },
					"goroutines back to %d", baseline)
			}
		})
	}
}
