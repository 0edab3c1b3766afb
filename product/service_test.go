package product_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/page"
	"github.com/serverless-shop/shop/platform/testenv"
	"github.com/serverless-shop/shop/product"
	"github.com/serverless-shop/shop/product/storetest"
)

// backends make a fresh store per test on every backend.
var backends = []struct {
	name string
	new  func(t *testing.T) storetest.Backend
}{
	{"Bolt", func(t *testing.T) storetest.Backend { return storetest.MustBolt(t) }},
	{"DynamoDB", func(t *testing.T) storetest.Backend {
		b, _ := storetest.MustDynamo(t, dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.DynamoDBEndpoint(t))))
		return b
	}},
}

func mustCreate(tb testing.TB, svc *product.Service, name, category string) *product.Product {
	tb.Helper()
	p, err := svc.Create(context.Background(), product.Product{Name: name, Category: category, Price: 100})
	if err != nil {
		tb.Fatalf("Create(%s): %v", name, err)
	}
	return p
}

func pendingEvents(tb testing.TB, b storetest.Backend) int {
	tb.Helper()
	pending, err := b.Outbox.Pending(context.Background(), 100)
	if err != nil {
		tb.Fatalf("Pending: %v", err)
	}
	return len(pending)
}

// TestListRejectsForeignCursors: a cursor another listing issued, or one
// forged, is the client's mistake (errs.Invalid) and never reaches a store,
// where DynamoDB would answer it with a validation error (a 500).
func TestListRejectsForeignCursors(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			svc := product.NewService(be.new(t).Store, "test", nil)
			p := mustCreate(t, svc, "A", "Phone")
			phone := product.Filter{Category: "Phone"}
			for _, c := range []struct {
				name   string
				filter product.Filter
				cursor page.Cursor
			}{
				{"BasketCursorOnAll", product.Filter{}, page.Cursor{"userName": "swn"}},
				{"OrderCursorOnAll", product.Filter{}, page.Cursor{"userName": "swn", "orderDate": "2026-01-01T00:00:00.000000000Z"}},
				{"EmptyIDOnAll", product.Filter{}, page.Cursor{"id": ""}},
				{"LongIDOnAll", product.Filter{}, page.Cursor{"id": strings.Repeat("x", 3000)}},
				{"NULInID", product.Filter{}, page.Cursor{"id": "a\x00b"}},
				{"CategoryCursorOnAll", product.Filter{}, page.Cursor{"id": p.ID, "category": "Phone"}},
				{"AllCursorOnCategory", phone, page.Cursor{"id": p.ID}},
				{"OtherCategory", phone, page.Cursor{"id": p.ID, "category": "TV"}},
				{"EmptyIDOnCategory", phone, page.Cursor{"id": "", "category": "Phone"}},
			} {
				t.Run(c.name, func(t *testing.T) {
					_, err := svc.List(context.Background(), c.filter, page.Request{Limit: 10, Cursor: c.cursor})
					if got := errs.Code(err); got != errs.Invalid {
						t.Fatalf("code %q (%v), want %q", got, err, errs.Invalid)
					}
				})
			}
			for _, c := range []struct {
				name   string
				filter product.Filter
				cursor page.Cursor
			}{
				{"OwnCursorOnAll", product.Filter{}, page.Cursor{"id": p.ID}},
				{"OwnCursorOnCategory", phone, page.Cursor{"id": p.ID, "category": "Phone"}},
			} {
				t.Run(c.name, func(t *testing.T) {
					if _, err := svc.List(context.Background(), c.filter, page.Request{Limit: 10, Cursor: c.cursor}); err != nil {
						t.Fatalf("List: %v", err)
					}
				})
			}
		})
	}
}

// TestConcurrentUpdatesAreRetried: writers racing on one product each
// either store their change (after trying again on the new state) or are
// told to retry (errs.ErrLostRace, a 409); nothing else, and no change is
// lost.
func TestConcurrentUpdatesAreRetried(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			svc := product.NewService(be.new(t).Store, "test", nil)
			p := mustCreate(t, svc, "counter", "")
			const writers = 8
			var (
				wg  sync.WaitGroup
				won atomic.Int64
			)
			for i := range writers {
				wg.Go(func() {
					name := fmt.Sprint("writer", i)
					_, err := svc.Update(context.Background(), p.ID, product.Patch{Name: &name})
					switch {
					case err == nil:
						won.Add(1)
					case !errors.Is(err, errs.ErrLostRace):
						t.Errorf("Update: %v, want nil or errs.ErrLostRace", err)
					}
				})
			}
			wg.Wait()
			got, err := svc.Get(context.Background(), p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if n := won.Load(); n == 0 || got.Version != 1+n {
				t.Fatalf("version %d after %d stored updates, want %d", got.Version, n, 1+n)
			}
		})
	}
}

// TestTransactionConflictIsRetried: the measured bug was a 500 for a
// DynamoDB transaction conflict. The service tries the write again, and
// the client sees success; only one event per change reaches the outbox.
func TestTransactionConflictIsRetried(t *testing.T) {
	b, db := storetest.MustConflicting(t)
	svc := product.NewService(b.Store, "test", nil)
	ctx := context.Background()

	db.Conflicts.Store(1)
	p, err := svc.Create(ctx, product.Product{Name: "A", Price: 100})
	if err != nil {
		t.Fatalf("Create through one conflict: %v", err)
	}
	price := money.Amount(250)
	db.Conflicts.Store(1)
	if _, err := svc.Update(ctx, p.ID, product.Patch{Price: &price}); err != nil {
		t.Fatalf("Update through one conflict: %v", err)
	}
	db.Conflicts.Store(1)
	if err := svc.Delete(ctx, p.ID); err != nil {
		t.Fatalf("Delete through one conflict: %v", err)
	}
	if got, want := db.Calls.Load(), int64(6); got != want {
		t.Errorf("%d transactions, want %d: each write once cancelled, once committed", got, want)
	}
	if got := pendingEvents(t, b); got != 3 {
		t.Errorf("outbox holds %d events, want 3 (created, updated, deleted)", got)
	}
}

// TestPersistentConflictIsErrLostRace: a write that loses every one of its
// MaxRaces attempts tells the client to retry (errs.ErrLostRace, a 409,
// never an internal error) and stores nothing.
func TestPersistentConflictIsErrLostRace(t *testing.T) {
	b, db := storetest.MustConflicting(t)
	svc := product.NewService(b.Store, "test", nil)
	ctx := context.Background()
	p := mustCreate(t, svc, "A", "")
	price := money.Amount(250)

	db.Calls.Store(0)
	db.Conflicts.Store(1000)
	_, err := svc.Update(ctx, p.ID, product.Patch{Price: &price})
	if !errors.Is(err, errs.ErrLostRace) || errs.Code(err) != errs.Conflict {
		t.Fatalf("Update: got %v (code %q), want errs.ErrLostRace, a conflict", err, errs.Code(err))
	}
	if !strings.Contains(err.Error(), "update product "+p.ID) {
		t.Errorf("error %q does not name the operation and the product", err)
	}
	if got := db.Calls.Load(); got != product.MaxRaces {
		t.Errorf("%d attempts, want %d", got, product.MaxRaces)
	}
	if err := svc.Delete(ctx, p.ID); !errors.Is(err, errs.ErrLostRace) {
		t.Fatalf("Delete: got %v, want errs.ErrLostRace", err)
	}
	if _, err := svc.Create(ctx, product.Product{Name: "B"}); !errors.Is(err, errs.ErrLostRace) {
		t.Fatalf("Create: got %v, want errs.ErrLostRace", err)
	}
	db.Conflicts.Store(0)
	if got, err := svc.Get(ctx, p.ID); err != nil || got.Version != 1 || got.Price != 100 {
		t.Fatalf("Get: %+v, %v; want version 1 unchanged", got, err)
	}
	if got := pendingEvents(t, b); got != 1 {
		t.Errorf("outbox holds %d events, want only the first create's", got)
	}
}
