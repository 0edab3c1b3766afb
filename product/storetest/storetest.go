// Package storetest is the contract every product.Store passes. Each backend
// runs it from its own tests: the same cases over bbolt and DynamoDB Local.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/platform/page"
	"github.com/serverless-shop/shop/product"
)

// Backend is a fresh, empty store and the outbox its writes go to.
type Backend struct {
	Store  product.Store
	Outbox outbox.Store
	// SerialWrites says the store runs Update's and Delete's fn inside its
	// one write transaction (bbolt), so no write can come between their
	// read and their write, and they never lose a race.
	SerialWrites bool
}

// Run runs the contract against stores made by open, one per subtest.
func Run(t *testing.T, open func(t *testing.T) Backend) {
	cases := []struct {
		name string
		fn   func(t *testing.T, b Backend)
	}{
		{"CreateGet", testCreateGet},
		{"ErrNotFound", testNotFound},
		{"ErrLostRaceOnDuplicateID", testDuplicate},
		{"ListPaginates", testListPaginates},
		{"ListCategoryUsesIndex", testListCategory},
		{"UpdateKeepsOtherFields", testUpdate},
		{"UpdateErrorLeavesProductUnchanged", testUpdateError},
		{"ConcurrentUpdatesLoseNothing", testConcurrentUpdates},
		{"WriteBetweenReadAndWriteLosesRace", testLostRace},
		{"Delete", testDelete},
		{"ReadsSeeWrites", testReadsSeeWrites},
		{"GetReturnsACopy", testGetReturnsACopy},
		{"ReadsNeverGoBack", testReadsNeverGoBack},
		{"WritesStoreTheirEvents", testOutbox},
		{"KeysNoProductCanHaveAreNotFound", testOddKeys},
		{"CategoryWithNULStaysApart", testCategoryNUL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, open(t))
		})
	}
}

// NewProduct returns a new product with a fresh id, not yet stored.
func NewProduct(name, category string, cents int64) *product.Product {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return &product.Product{ID: uuid.Must(uuid.NewV7()).String(), Name: name, Category: category,
		Description: "about " + name, ImageFile: name + ".png", Price: money.Amount(cents),
		Version: 1, CreatedAt: now, UpdatedAt: now}
}

// MustCreate stores a product with a fresh id and returns it.
func MustCreate(tb testing.TB, s product.Store, name, category string, cents int64) *product.Product {
	tb.Helper()
	p := NewProduct(name, category, cents)
	if err := s.Create(context.Background(), p, []bus.Envelope{event(tb, p)}); err != nil {
		tb.Fatalf("Create(%s): %v", name, err)
	}
	return p
}

func event(tb testing.TB, p *product.Product) bus.Envelope {
	tb.Helper()
	e, err := bus.New(uuid.Must(uuid.NewV7()).String(), "test", product.EventUpdated,
		product.Event{ProductID: p.ID, Price: p.Price.String(), Version: p.Version})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func mustGet(tb testing.TB, s product.Store, id string) *product.Product {
	tb.Helper()
	p, err := s.Get(context.Background(), id)
	if err != nil {
		tb.Fatalf("Get(%s): %v", id, err)
	}
	return p
}

func equal(tb testing.TB, got, want *product.Product) {
	tb.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.Description != want.Description ||
		got.ImageFile != want.ImageFile || got.Price != want.Price || got.Category != want.Category ||
		got.Version != want.Version || !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		tb.Fatalf("got %+v, want %+v", got, want)
	}
}

func testCreateGet(t *testing.T, b Backend) {
	want := MustCreate(t, b.Store, "IPhone X", "Phone", 95040)
	equal(t, mustGet(t, b.Store, want.ID), want)
}

func testNotFound(t *testing.T, b Backend) {
	ctx := context.Background()
	noop := func(*product.Product) ([]bus.Envelope, error) { return nil, nil }
	if _, err := b.Store.Get(ctx, "missing"); !errs.Is(err, errs.NotFound) {
		t.Errorf("Get: got %v, want not_found", err)
	}
	if _, err := b.Store.Update(ctx, "missing", noop); !errs.Is(err, errs.NotFound) {
		t.Errorf("Update: got %v, want not_found", err)
	}
	if err := b.Store.Delete(ctx, "missing", noop); !errs.Is(err, errs.NotFound) {
		t.Errorf("Delete: got %v, want not_found", err)
	}
}

func testDuplicate(t *testing.T, b Backend) {
	p := MustCreate(t, b.Store, "A", "", 100)
	again := *p
	again.Name = "B"
	err := b.Store.Create(context.Background(), &again, []bus.Envelope{event(t, &again)})
	if !errors.Is(err, errs.ErrLostRace) {
		t.Fatalf("got %v, want errs.ErrLostRace", err)
	}
	equal(t, mustGet(t, b.Store, p.ID), p)
}

// collect follows cursors until the end and returns every id seen.
func collect(t *testing.T, s product.Store, f product.Filter, limit int) []string {
	t.Helper()
	var ids []string
	r := page.Request{Limit: limit}
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("pagination does not end")
		}
		pg, err := s.List(context.Background(), f, r)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(pg.Items) > limit {
			t.Fatalf("page of %d items, limit %d", len(pg.Items), limit)
		}
		for _, p := range pg.Items {
			ids = append(ids, p.ID)
		}
		if pg.Next == nil {
			return ids
		}
		r.Cursor = pg.Next
	}
}

func sameSet(t *testing.T, got, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Errorf("id %s seen %d times, want once", id, seen[id])
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d ids, want %d", len(got), len(want))
	}
}

func testListPaginates(t *testing.T, b Backend) {
	var want []string
	for i := range 7 {
		want = append(want, MustCreate(t, b.Store, fmt.Sprint("p", i), "", 100).ID)
	}
	sameSet(t, collect(t, b.Store, product.Filter{}, 3), want)
	sameSet(t, collect(t, b.Store, product.Filter{}, 1000), want)
}

func testListCategory(t *testing.T, b Backend) {
	var phones []string
	for i := range 5 {
		phones = append(phones, MustCreate(t, b.Store, fmt.Sprint("phone", i), "Phone", 100).ID)
		MustCreate(t, b.Store, fmt.Sprint("tv", i), "TV", 100)
	}
	MustCreate(t, b.Store, "nothing", "", 100)
	sameSet(t, collect(t, b.Store, product.Filter{Category: "Phone"}, 2), phones)
	if got := collect(t, b.Store, product.Filter{Category: "Laptop"}, 2); len(got) != 0 {
		t.Errorf("empty category listed %v", got)
	}
}

func testUpdate(t *testing.T, b Backend) {
	p := MustCreate(t, b.Store, "A", "Phone", 100)
	got, err := b.Store.Update(context.Background(), p.ID, func(q *product.Product) ([]bus.Envelope, error) {
		q.Price, q.Category, q.Version = 250, "TV", q.Version+1
		return []bus.Envelope{event(t, q)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := *p
	want.Price, want.Category, want.Version = 250, "TV", 2
	equal(t, got, &want)
	equal(t, mustGet(t, b.Store, p.ID), &want)
	sameSet(t, collect(t, b.Store, product.Filter{Category: "TV"}, 10), []string{p.ID})
	sameSet(t, collect(t, b.Store, product.Filter{Category: "Phone"}, 10), nil)
}

func testUpdateError(t *testing.T, b Backend) {
	p := MustCreate(t, b.Store, "A", "Phone", 100)
	_, err := b.Store.Update(context.Background(), p.ID, func(q *product.Product) ([]bus.Envelope, error) {
		q.Price = 1
		return nil, errs.Errorf(errs.Invalid, "no")
	})
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("got %v, want fn's invalid error", err)
	}
	equal(t, mustGet(t, b.Store, p.ID), p)
}

// testConcurrentUpdates: of overlapping Updates each either stores its
// change or loses the race and stores nothing; none is lost.
func testConcurrentUpdates(t *testing.T, b Backend) {
	p := MustCreate(t, b.Store, "counter", "", 0)
	const writers = 8
	var (
		wg  sync.WaitGroup
		won atomic.Int64
	)
	for range writers {
		wg.Go(func() {
			_, err := b.Store.Update(context.Background(), p.ID, func(q *product.Product) ([]bus.Envelope, error) {
				q.Price++
				q.Version++
				return nil, nil
			})
			switch {
			case err == nil:
				won.Add(1)
			case b.SerialWrites || !errors.Is(err, errs.ErrLostRace):
				t.Errorf("Update: %v", err)
			}
		})
	}
	wg.Wait()
	got, n := mustGet(t, b.Store, p.ID), won.Load()
	if n == 0 || int64(got.Price) != n || got.Version != n+1 {
		t.Fatalf("got price %d version %d after %d stored updates, want %d and %d", got.Price, got.Version, n, n, n+1)
	}
}

// testLostRace: a write that comes between Update's (or Delete's) read
// and its write wins; the slower one stores nothing, neither its change
// nor its events, and says errs.ErrLostRace. On DynamoDB this is a real
// transaction, cancelled for its condition.
func testLostRace(t *testing.T, b Backend) {
	if b.SerialWrites {
		t.Skip("the store runs fn inside its one write transaction: no write can come in between")
	}
	ctx := context.Background()
	p := MustCreate(t, b.Store, "A", "Phone", 100)
	cutIn := func(q *product.Product) ([]bus.Envelope, error) {
		q.Price, q.Version = 200, q.Version+1
		return []bus.Envelope{event(t, q)}, nil
	}
	lose := func(q *product.Product) ([]bus.Envelope, error) {
		if _, err := b.Store.Update(ctx, p.ID, cutIn); err != nil {
			t.Fatalf("cutting-in Update: %v", err)
		}
		q.Price, q.Version = 300, q.Version+1
		return []bus.Envelope{event(t, q)}, nil
	}
	if _, err := b.Store.Update(ctx, p.ID, lose); !errors.Is(err, errs.ErrLostRace) {
		t.Fatalf("Update: got %v, want errs.ErrLostRace", err)
	}
	if err := b.Store.Delete(ctx, p.ID, lose); !errors.Is(err, errs.ErrLostRace) {
		t.Fatalf("Delete: got %v, want errs.ErrLostRace", err)
	}
	want := *p
	want.Price, want.Version = 200, 3
	equal(t, mustGet(t, b.Store, p.ID), &want)
	if pending, err := b.Outbox.Pending(ctx, 100); err != nil || len(pending) != 3 {
		t.Fatalf("outbox holds %d events (%v), want 3: the create and the two cutting-in updates", len(pending), err)
	}
}

func testDelete(t *testing.T, b Backend) {
	p := MustCreate(t, b.Store, "A", "Phone", 100)
	keep := MustCreate(t, b.Store, "B", "Phone", 100)
	err := b.Store.Delete(context.Background(), p.ID, func(q *product.Product) ([]bus.Envelope, error) {
		return []bus.Envelope{event(t, q)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Store.Get(context.Background(), p.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Get after Delete: got %v, want not_found", err)
	}
	sameSet(t, collect(t, b.Store, product.Filter{Category: "Phone"}, 10), []string{keep.ID})
}

func testOutbox(t *testing.T, b Backend) {
	ctx := context.Background()
	p := MustCreate(t, b.Store, "A", "Phone", 100)
	if _, err := b.Store.Update(ctx, p.ID, func(q *product.Product) ([]bus.Envelope, error) {
		q.Version++
		return []bus.Envelope{event(t, q)}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Store.Delete(ctx, p.ID, func(q *product.Product) ([]bus.Envelope, error) {
		return []bus.Envelope{event(t, q)}, nil
	}); err != nil {
		t.Fatal(err)
	}
	pending, err := b.Outbox.Pending(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 3 {
		t.Fatalf("got %d outbox events, want 3 (create, update, delete)", len(pending))
	}
	for i := 1; i < len(pending); i++ {
		if pending[i-1].ID >= pending[i].ID {
			t.Errorf("outbox not oldest first: %s before %s", pending[i-1].ID, pending[i].ID)
		}
	}
	if err := b.Outbox.Remove(ctx, pending[0].ID); err != nil {
		t.Fatal(err)
	}
	if left, _ := b.Outbox.Pending(ctx, 100); len(left) != 2 {
		t.Fatalf("after Remove got %d events, want 2", len(left))
	}
}

// testOddKeys: ids that no product can have (server ids are UUIDs) are
// simply absent, whatever the backend's own key limits.
func testOddKeys(t *testing.T, b Backend) {
	ctx := context.Background()
	noop := func(*product.Product) ([]bus.Envelope, error) { return nil, nil }
	for name, id := range map[string]string{
		"long":      strings.Repeat("x", 3000),
		"NUL":       "a\x00b",
		"badUTF8":   "\xff\xfe",
		"multibyte": strings.Repeat("é", 1100),
	} {
		if _, err := b.Store.Get(ctx, id); !errs.Is(err, errs.NotFound) {
			t.Errorf("Get(%s): got %v, want not_found", name, err)
		}
		if _, err := b.Store.Update(ctx, id, noop); !errs.Is(err, errs.NotFound) {
			t.Errorf("Update(%s): got %v, want not_found", name, err)
		}
		if err := b.Store.Delete(ctx, id, noop); !errs.Is(err, errs.NotFound) {
			t.Errorf("Delete(%s): got %v, want not_found", name, err)
		}
	}
	long := strings.Repeat("c", 3000)
	pg, err := b.Store.List(ctx, product.Filter{Category: long}, page.Request{Limit: 10})
	if err != nil || len(pg.Items) != 0 || pg.Next != nil {
		t.Errorf("List(category of 3000 bytes): got %d items, next %v, err %v; want an empty page", len(pg.Items), pg.Next, err)
	}
}

// testCategoryNUL: a category holding NUL (the embedded index's separator)
// must not show up in, or break, the listing of its prefix.
func testCategoryNUL(t *testing.T, b Backend) {
	want := MustCreate(t, b.Store, "plain", "a", 100)
	MustCreate(t, b.Store, "nul", "a\x00b", 100)
	sameSet(t, collect(t, b.Store, product.Filter{Category: "a"}, 10), []string{want.ID})
	sameSet(t, collect(t, b.Store, product.Filter{Category: "a"}, 1), []string{want.ID})
}
