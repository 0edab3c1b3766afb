package bolt_test

import (
	"time"

	"testing"

	"github.com/serverless-shop/shop/ordering"
	orderingbolt "github.com/serverless-shop/shop/ordering/bolt"
	"github.com/serverless-shop/shop/ordering/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ordering.Store { return MustOpen(t, t.TempDir()) })
}

func TestReopenKeepsOrders(t *testing.T) {
	dir := t.TempDir()
	s, err := orderingbolt.Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	want := storetest.NewOrder("ada", testTime, "o1")
	storetest.MustCreate(t, s, want)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	storetest.AssertEqual(t, storetest.MustGet(t, MustOpen(t, dir), "ada", want.OrderDate), want)
}

// MustOpen opens the store in dir, closed when tb ends.
func MustOpen(tb testing.TB, dir string) *orderingbolt.Store {
	tb.Helper()
	s, err := orderingbolt.Open(dir)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

var testTime = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
