package localbus_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/bus/localbus"
)

// TestObserver checks the bus tells its observer of every publish, delivery,
// failed attempt and dead letter.
func TestObserver(t *testing.T) {
	obs := bustest.NewObserver()
	b := MustOpen(t, filepath.Join(t.TempDir(), "bus.db"), localbus.WithObserver(obs))
	bustest.MustSubscribe(t, b, "orders", []string{"Checkout"}, func(_ context.Context, e bus.Envelope) error {
		if strings.Contains(string(e.Detail), "bad") {
			return errors.New("fails on purpose")
		}
		return nil
	})
	bustest.MustStart(t, b)

	good := bustest.NewEvent(t, "test", "Checkout", map[string]string{"x": "good"})
	bad := bustest.NewEvent(t, "test", "Checkout", map[string]string{"x": "bad"})
	nobody := bustest.NewEvent(t, "test", "Unrouted", map[string]string{})
	bustest.MustPublish(t, b, good, bad, nobody)

	bustest.Eventually(t, 10*time.Second, func() bool {
		_, delivered, _, dead := obs.Counts("", "orders")
		return delivered == 1 && dead == 1
	}, "one delivery and one dead letter")
	published, delivered, failed, dead := obs.Counts("Checkout", "orders")
	if published != 2 || delivered != 1 || failed != testMaxAttempts || dead != 1 {
		t.Errorf("published, delivered, failed, dead = %d, %d, %d, %d; want 2, 1, %d, 1",
			published, delivered, failed, dead, testMaxAttempts)
	}
	if p, _, _, _ := obs.Counts("Unrouted", ""); p != 1 {
		t.Errorf("published Unrouted = %d, want 1: an accepted event counts even when no subscription wants it", p)
	}
	if got := obs.EventTimes("orders"); len(got) != 1 || !got[0].Equal(good.Time) {
		t.Errorf("event times = %v, want [%v]", got, good.Time)
	}
}
