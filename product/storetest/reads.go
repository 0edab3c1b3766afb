package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/page"
	"github.com/serverless-shop/shop/product"
)

// testReadsSeeWrites: a product read before a write (which a store may
// keep in memory) is read and listed again as written, and not at all
// once deleted.
func testReadsSeeWrites(t *testing.T, b Backend) {
	ctx := context.Background()
	p := MustCreate(t, b.Store, "A", "Phone", 100)
	mustGet(t, b.Store, p.ID)
	listOne(t, b.Store, "Phone", p)
	got, err := b.Store.Update(ctx, p.ID, func(q *product.Product) ([]bus.Envelope, error) {
		q.Name, q.Category, q.Version = "B", "TV", q.Version+1
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, mustGet(t, b.Store, p.ID), got)
	listOne(t, b.Store, "TV", got)
	listOne(t, b.Store, "Phone", nil)
	if err := b.Store.Delete(ctx, p.ID, func(*product.Product) ([]bus.Envelope, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Store.Get(ctx, p.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Get after Delete: got %v, want not_found", err)
	}
}

// listOne checks that category lists want alone, or nothing for nil.
func listOne(tb testing.TB, s product.Store, category string, want *product.Product) {
	tb.Helper()
	pg, err := s.List(context.Background(), product.Filter{Category: category}, page.Request{Limit: 10})
	if err != nil {
		tb.Fatal(err)
	}
	switch {
	case want == nil && len(pg.Items) != 0:
		tb.Fatalf("category %q lists %d products, want none", category, len(pg.Items))
	case want != nil && len(pg.Items) != 1:
		tb.Fatalf("category %q lists %d products, want 1", category, len(pg.Items))
	case want != nil:
		equal(tb, pg.Items[0], want)
	}
}

// testGetReturnsACopy: changing what Get returned changes nothing stored.
func testGetReturnsACopy(t *testing.T, b Backend) {
	p := MustCreate(t, b.Store, "A", "Phone", 100)
	for range 2 {
		got := mustGet(t, b.Store, p.ID)
		equal(t, got, p)
		got.Name, got.Price, got.Version = "changed", 1, 99
	}
}

// testReadsNeverGoBack: while one writer updates a product, readers never
// see its version go down, and a read that starts after an Update returned
// sees that version or a later one.
func testReadsNeverGoBack(t *testing.T, b Backend) {
	ctx := context.Background()
	p := MustCreate(t, b.Store, "A", "Phone", 0)
	const (
		updates = 50
		readers = 4
	)
	var (
		mu      sync.Mutex
		settled int64 = p.Version // the version of the last Update that returned
		stop          = make(chan struct{})
		wg      sync.WaitGroup
	)
	for range readers {
		wg.Go(func() {
			var last int64
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				floor := settled
				mu.Unlock()
				got, err := b.Store.Get(ctx, p.ID)
				if err != nil {
					t.Errorf("Get: %v", err)
					return
				}
				if got.Version < last || got.Version < floor {
					t.Errorf("read version %d after reading %d, with %d stored", got.Version, last, floor)
					return
				}
				if int64(got.Price) != got.Version-1 {
					t.Errorf("version %d holds price %d, want %d", got.Version, got.Price, got.Version-1)
					return
				}
				last = got.Version
			}
		})
	}
	for range updates {
		got, err := b.Store.Update(ctx, p.ID, func(q *product.Product) ([]bus.Envelope, error) {
			q.Price, q.Version = q.Price+1, q.Version+1
			return nil, nil
		})
		if err != nil {
			t.Errorf("Update: %v", err)
			break
		}
		mu.Lock()
		settled = got.Version
		mu.Unlock()
	}
	close(stop)
	wg.Wait()
}
