package localbus_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/bus/localbus"
)

const testMaxAttempts = 3

// testOptions keep retries fast enough for tests.
func testOptions() []localbus.Option {
	return []localbus.Option{
		localbus.WithMaxAttempts(testMaxAttempts),
		localbus.WithBackoff(time.Millisecond, 10*time.Millisecond),
		localbus.WithWorkers(4),
		localbus.WithHandlerTimeout(5 * time.Second),
	}
}

// instance adds the suite's dead-letter view to a Bus.
type instance struct{ *localbus.Bus }

func (i instance) DeadLetterIDs(ctx context.Context, subscription string) ([]string, error) {
	dls, err := i.DeadLetters(ctx, subscription, 0)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(dls))
	for n, d := range dls {
		ids[n] = d.Envelope.ID
	}
	return ids, nil
}

var _ bustest.DeadLetterer = instance{}

func TestConformance(t *testing.T) {
	bustest.Run(t, func(t *testing.T) bustest.Harness {
		path := filepath.Join(t.TempDir(), "bus.db")
		return bustest.HarnessFunc(func(t *testing.T) bustest.Instance {
			return instance{MustOpen(t, path)}
		})
	}, bustest.Features{Restart: true, DeadLetterInspection: true, MaxAttempts: testMaxAttempts})
}

// MustOpen opens a bus at path with test options, closed when tb ends.
func MustOpen(tb testing.TB, path string, opts ...localbus.Option) *localbus.Bus {
	tb.Helper()
	b, err := localbus.Open(path, append(testOptions(), opts...)...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = b.Close() })
	return b
}
