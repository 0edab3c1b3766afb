// Package storetest is the contract suite every basket.Store runs: the same
// cases over the embedded store and DynamoDB Local.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/serverless-shop/shop/basket"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/platform/page"
)

// Backend is one fresh store and the outbox its checkouts write to.
type Backend struct {
	Store  basket.Store
	Outbox outbox.Store
}

// Factory returns a Backend over fresh state, released with t.Cleanup.
type Factory func(t *testing.T) Backend

// Run runs every case in parallel, each on its own Backend.
func Run(t *testing.T, newBackend Factory) {
	cases := map[string]func(*testing.T, Backend){
		"PutAndGet":                 testPutAndGet,
		"GetNotFound":               testGetNotFound,
		"ListPaginatesOpenOnly":     testList,
		"Delete":                    testDelete,
		"CatalogVersionRule":        testCatalogVersionRule,
		"CheckOutAtomic":            testCheckOutAtomic,
		"CheckOutStaleConflicts":    testCheckOutStale,
		"PutReplacesTombstone":      testPutReplacesTombstone,
		"ConcurrentCheckOuts":       testConcurrentCheckOuts,
		"ServiceCheckoutIdempotent": testServiceIdempotent,
		"ServiceConcurrentCheckout": testServiceConcurrent,
		"KeysNoBasketCanHave":       testOddKeys,
		"ForeignCursorsAreInvalid":  testForeignCursors,
	}
	for name, fn := range keyedCases {
		cases[name] = fn
	}
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newBackend(t))
		})
	}
}

// MustPut stores an open basket for user with items and returns it.
func MustPut(tb testing.TB, s basket.Store, user string, items ...basket.Item) *basket.Basket {
	tb.Helper()
	b := &basket.Basket{UserName: user, Items: items, Status: basket.StatusOpen,
		CheckoutID: uuid.Must(uuid.NewV7()).String(), UpdatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	if b.Items == nil {
		b.Items = []basket.Item{}
	}
	if _, err := s.Put(context.Background(), b); err != nil {
		tb.Fatalf("Put(%s): %v", user, err)
	}
	return b
}

// MustProduct stores a catalog entry and fails unless it was stored.
func MustProduct(tb testing.TB, s basket.Catalog, id, name, price string, version int64) {
	tb.Helper()
	a, err := money.Parse(price)
	if err != nil {
		tb.Fatal(err)
	}
	ok, err := s.PutProduct(context.Background(), &basket.Product{ProductID: id, Name: name, Price: a, Version: version})
	if err != nil || !ok {
		tb.Fatalf("PutProduct(%s v%d) = %v, %v; want true, nil", id, version, ok, err)
	}
}

// MustPending returns what the outbox holds.
func MustPending(tb testing.TB, o outbox.Store) []bus.Envelope {
	tb.Helper()
	events, err := o.Pending(context.Background(), 1000)
	if err != nil {
		tb.Fatalf("Pending: %v", err)
	}
	return events
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := errs.Code(err); got != code {
		tb.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

// wantLostRace fails tb unless err is errs.ErrLostRace, the one error of
// a conditional write that lost.
func wantLostRace(tb testing.TB, err error) {
	tb.Helper()
	if !errors.Is(err, errs.ErrLostRace) {
		tb.Fatalf("got %v, want errs.ErrLostRace", err)
	}
}

// tombstone is b checked out now, as the service makes it.
func tombstone(b *basket.Basket, total money.Amount) *basket.Basket {
	t := *b
	now := time.Now().UTC()
	t.Status, t.CheckedOutAt, t.ExpiresAt, t.TotalPrice = basket.StatusCheckedOut, now, basket.Expiry(now, basket.TombstoneTTL), total
	return &t
}

func event(tb testing.TB, b *basket.Basket) bus.Envelope {
	tb.Helper()
	e, err := bus.New(uuid.Must(uuid.NewV7()).String(), "test", "CheckoutBasket", basket.CheckoutEvent{CheckoutID: b.CheckoutID, UserName: b.UserName})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func testPutAndGet(t *testing.T, be Backend) {
	ctx := context.Background()
	b := &basket.Basket{UserName: "swn", Status: basket.StatusOpen, CheckoutID: "c1", UpdatedAt: time.Now().UTC(),
		Items: []basket.Item{{ProductID: "p1", Quantity: 2, Color: "Black"}, {ProductID: "p2", Quantity: 1}}}
	created, err := be.Store.Put(ctx, b)
	if err != nil || !created {
		t.Fatalf("first Put = %v, %v; want true, nil", created, err)
	}
	got, err := be.Store.Get(ctx, "swn")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Items, b.Items) || got.CheckoutID != "c1" || !got.Open() || !got.UpdatedAt.Equal(b.UpdatedAt) {
		t.Fatalf("got %+v, want %+v", got, b)
	}
	b2 := *b
	b2.CheckoutID, b2.Items = "c2", []basket.Item{{ProductID: "p3", Quantity: 7}}
	created, err = be.Store.Put(ctx, &b2)
	if err != nil || created {
		t.Fatalf("replacing Put = %v, %v; want false, nil", created, err)
	}
	got, err = be.Store.Get(ctx, "swn")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Items, b2.Items) || got.CheckoutID != "c2" {
		t.Fatalf("after replace got %+v, want %+v", got, b2)
	}
}

func testGetNotFound(t *testing.T, be Backend) {
	_, err := be.Store.Get(context.Background(), "nobody")
	wantCode(t, err, errs.NotFound)
}

func testList(t *testing.T, be Backend) {
	ctx := context.Background()
	var want []string
	for i := range 7 {
		b := MustPut(t, be.Store, fmt.Sprintf("user%02d", i), basket.Item{ProductID: "p", Quantity: 1})
		if i%3 == 0 {
			if err := be.Store.CheckOut(ctx, tombstone(b, 0), nil, []bus.Envelope{event(t, b)}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want = append(want, b.UserName)
	}
	var got []string
	r := page.Request{Limit: 2}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		pg, err := be.Store.List(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if len(pg.Items) > r.Limit {
			t.Fatalf("page of %d items, limit %d", len(pg.Items), r.Limit)
		}
		for _, b := range pg.Items {
			if !b.Open() {
				t.Fatalf("listed a tombstone: %+v", b)
			}
			got = append(got, b.UserName)
		}
		if pg.Next == nil {
			break
		}
		r.Cursor = pg.Next
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
}

func testDelete(t *testing.T, be Backend) {
	ctx := context.Background()
	MustPut(t, be.Store, "a")
	if err := be.Store.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	_, err := be.Store.Get(ctx, "a")
	wantCode(t, err, errs.NotFound)
	wantCode(t, be.Store.Delete(ctx, "a"), errs.NotFound)

	b := MustPut(t, be.Store, "b")
	if err := be.Store.CheckOut(ctx, tombstone(b, 0), nil, []bus.Envelope{event(t, b)}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, be.Store.Delete(ctx, "b"), errs.NotFound)
	if got, err := be.Store.Get(ctx, "b"); err != nil || got.Open() {
		t.Fatalf("tombstone after Delete: %+v, %v; want it kept", got, err)
	}
}

func testCatalogVersionRule(t *testing.T, be Backend) {
	ctx := context.Background()
	put := func(p basket.Product) bool {
		t.Helper()
		ok, err := be.Store.PutProduct(ctx, &p)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	get := func(id string) *basket.Product {
		t.Helper()
		m, err := be.Store.Products(ctx, []string{id, "unknown"})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := m["unknown"]; ok {
			t.Fatal("an unknown product was returned")
		}
		return m[id]
	}
	if !put(basket.Product{ProductID: "p", Name: "v2", Price: 200, Version: 2}) {
		t.Fatal("first version not stored")
	}
	if put(basket.Product{ProductID: "p", Name: "v1", Price: 100, Version: 1}) {
		t.Fatal("an older version was stored")
	}
	if put(basket.Product{ProductID: "p", Name: "again", Price: 999, Version: 2}) {
		t.Fatal("the same version was stored twice")
	}
	if got := get("p"); got == nil || got.Name != "v2" || got.Price != 200 || got.Version != 2 || got.Deleted {
		t.Fatalf("got %+v, want v2 at 2.00", got)
	}
	if !put(basket.Product{ProductID: "p", Name: "v2", Version: 3, Deleted: true}) {
		t.Fatal("deletion not stored")
	}
	if put(basket.Product{ProductID: "p", Name: "late", Price: 300, Version: 2}) {
		t.Fatal("a late update resurrected a deleted product")
	}
	if got := get("p"); got == nil || !got.Deleted || got.Version != 3 {
		t.Fatalf("got %+v, want the version 3 tombstone", got)
	}
}

func testCheckOutAtomic(t *testing.T, be Backend) {
	ctx := context.Background()
	b := MustPut(t, be.Store, "swn", basket.Item{ProductID: "p", Quantity: 2})
	tomb, e := tombstone(b, 1234), event(t, b)
	if err := be.Store.CheckOut(ctx, tomb, nil, []bus.Envelope{e}); err != nil {
		t.Fatal(err)
	}
	got, err := be.Store.Get(ctx, "swn")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != basket.StatusCheckedOut || got.CheckoutID != b.CheckoutID || got.TotalPrice != 1234 ||
		!got.CheckedOutAt.Equal(tomb.CheckedOutAt) || !got.ExpiresAt.Equal(tomb.ExpiresAt) {
		t.Fatalf("tombstone = %+v, want %+v", got, tomb)
	}
	pending := MustPending(t, be.Outbox)
	if len(pending) != 1 || pending[0].ID != e.ID || !json.Valid(pending[0].Detail) {
		t.Fatalf("outbox = %+v, want the one event %s", pending, e.ID)
	}
	wantLostRace(t, be.Store.CheckOut(ctx, tomb, nil, []bus.Envelope{event(t, b)}))
	if n := len(MustPending(t, be.Outbox)); n != 1 {
		t.Fatalf("outbox holds %d events after a second CheckOut, want 1", n)
	}
}

func testCheckOutStale(t *testing.T, be Backend) {
	ctx := context.Background()
	b := MustPut(t, be.Store, "swn", basket.Item{ProductID: "p", Quantity: 1})
	MustPut(t, be.Store, "swn", basket.Item{ProductID: "q", Quantity: 1}) // new checkout id
	wantLostRace(t, be.Store.CheckOut(ctx, tombstone(b, 0), nil, []bus.Envelope{event(t, b)}))
	wantLostRace(t, be.Store.CheckOut(ctx, tombstone(&basket.Basket{UserName: "none", CheckoutID: "x"}, 0), nil, nil))
	if n := len(MustPending(t, be.Outbox)); n != 0 {
		t.Fatalf("outbox holds %d events after failed checkouts, want 0", n)
	}
}

func testPutReplacesTombstone(t *testing.T, be Backend) {
	ctx := context.Background()
	b := MustPut(t, be.Store, "swn", basket.Item{ProductID: "p", Quantity: 1})
	if err := be.Store.CheckOut(ctx, tombstone(b, 0), nil, []bus.Envelope{event(t, b)}); err != nil {
		t.Fatal(err)
	}
	nb := *b
	nb.CheckoutID = "fresh"
	created, err := be.Store.Put(ctx, &nb)
	if err != nil || !created {
		t.Fatalf("Put over a tombstone = %v, %v; want true, nil", created, err)
	}
	got, err := be.Store.Get(ctx, "swn")
	if err != nil || !got.Open() || got.CheckoutID != "fresh" || got.TotalPrice != 0 {
		t.Fatalf("got %+v, %v; want the fresh open basket", got, err)
	}
}

func testConcurrentCheckOuts(t *testing.T, be Backend) {
	b := MustPut(t, be.Store, "swn", basket.Item{ProductID: "p", Quantity: 1})
	const n = 8
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i] = be.Store.CheckOut(context.Background(), tombstone(b, 0), nil, []bus.Envelope{event(t, b)})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range results {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, errs.ErrLostRace):
			t.Fatalf("CheckOut: %v, want nil or errs.ErrLostRace", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d checkouts succeeded, want 1", ok)
	}
	if got := len(MustPending(t, be.Outbox)); got != 1 {
		t.Fatalf("outbox holds %d events, want 1", got)
	}
}

func newService(t *testing.T, be Backend) *basket.Service {
	t.Helper()
	MustProduct(t, be.Store, "p1", "IPhone X", "950.40", 1)
	svc := basket.NewService(be.Store, basket.DefaultCheckoutSource, basket.DefaultCheckoutDetailType, nil)
	if _, _, err := svc.Put(context.Background(), basket.Basket{UserName: "swn",
		Items: []basket.Item{{ProductID: "p1", Quantity: 2, Color: "Black"}}}); err != nil {
		t.Fatal(err)
	}
	return svc
}

func testServiceIdempotent(t *testing.T, be Backend) {
	svc := newService(t, be)
	req := basket.CheckoutRequest{UserName: "swn", CardInfo: "5554443322112"}
	first, err := svc.Checkout(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := money.Parse("1900.80"); first.TotalPrice != want {
		t.Fatalf("total %s, want %s", first.TotalPrice, want)
	}
	again, err := svc.Checkout(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if *again != *first {
		t.Fatalf("retry = %+v, want %+v", again, first)
	}
	pending := MustPending(t, be.Outbox)
	if len(pending) != 1 {
		t.Fatalf("outbox holds %d events, want 1", len(pending))
	}
	var ev basket.CheckoutEvent
	if err := json.Unmarshal(pending[0].Detail, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.CheckoutID != first.CheckoutID || ev.CardLast4 != "2112" || ev.TotalPrice != first.TotalPrice {
		t.Fatalf("event %+v does not match receipt %+v", ev, first)
	}
}

func testServiceConcurrent(t *testing.T, be Backend) {
	svc := newService(t, be)
	const n = 6
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := svc.Checkout(context.Background(), basket.CheckoutRequest{UserName: "swn"})
			if err != nil {
				t.Errorf("Checkout: %v", err)
				return
			}
			ids[i] = r.CheckoutID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("checkout ids %v differ", ids)
		}
	}
	if got := len(MustPending(t, be.Outbox)); got != 1 {
		t.Fatalf("outbox holds %d events, want 1", got)
	}
}

// testOddKeys: names no basket can have (Put only takes short ASCII names)
// are absent, whatever the backend's own key limits.
func testOddKeys(t *testing.T, be Backend) {
	ctx := context.Background()
	for _, user := range []string{
		strings.Repeat("x", 3000), strings.Repeat("é", 1100), "a\x00b",
	} {
		_, err := be.Store.Get(ctx, user)
		wantCode(t, err, errs.NotFound)
		wantCode(t, be.Store.Delete(ctx, user), errs.NotFound)
	}
	m, err := be.Store.Products(ctx, []string{strings.Repeat("p", 3000)})
	if err != nil || len(m) != 0 {
		t.Fatalf("Products(long id) = %v, %v; want none", m, err)
	}
}

// testForeignCursors: a cursor another listing issued, or one forged, is the
// client's mistake (errs.Invalid), never an internal error. The service
// judges it (basket.CheckCursor), so no store ever sees such a start key.
func testForeignCursors(t *testing.T, be Backend) {
	MustPut(t, be.Store, "swn")
	svc := newService(t, be)
	for name, c := range map[string]page.Cursor{
		"product cursor": {"id": "0190a1b2-0000-7000-8000-000000000000"},
		"order cursor":   {"userName": "swn", "orderDate": "2026-01-01T00:00:00.000000000Z"},
		"empty user":     {"userName": ""},
		"long user":      {"userName": strings.Repeat("x", 3000)},
	} {
		_, err := svc.List(context.Background(), page.Request{Limit: 10, Cursor: c})
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: got %v, want invalid", name, err)
		}
	}
}
