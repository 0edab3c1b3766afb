package localbus_test

import (
	"context"
	"path/filepath"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/localbus"
)

// lastTx is the id of the last transaction committed to the file at path.
func lastTx(tb testing.TB, path string) (id int) {
	tb.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if err := db.View(func(tx *bbolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		tb.Fatal(err)
	}
	return id
}

// TestReopenWritesNothing: a start on a bus file whose subscriptions earlier
// runs registered commits nothing (each commit is two fdatasyncs on the
// path to ready), and a new subscription is still recorded.
func TestReopenWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus.db")
	h := func(context.Context, bus.Envelope) error { return nil }
	open := func(names ...string) {
		b, err := localbus.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := b.Subscribe(n, []string{"T"}, h); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
	open("a", "b")
	before := lastTx(t, path)
	open("a", "b")
	if got := lastTx(t, path); got != before {
		t.Fatalf("reopened and subscribed again: last transaction %d, want %d", got, before)
	}
	open("a", "b", "c")
	if got := lastTx(t, path); got <= before {
		t.Fatalf("subscription c: last transaction %d, want > %d (recorded)", got, before)
	}
}
