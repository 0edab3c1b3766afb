package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/serverless-shop/shop/basket"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/page"
)

// keyedCases are the contract cases of checkouts under an idempotency key.
var keyedCases = map[string]func(*testing.T, Backend){
	"CheckOutRecordsKey":           testCheckOutRecordsKey,
	"CheckOutKeyPutIfVersion":      testCheckOutKeyPutIfVersion,
	"ServiceReplacesExpiredKey":    testServiceReplacesExpiredKey,
	"ServiceExpiryWholeSeconds":    testServiceExpiryWholeSeconds,
	"KeyRecordsAreNoBaskets":       testKeyRecordsHidden,
	"ServiceKeyAfterNewBasket":     testServiceKeyAfterNewBasket,
	"ServiceConcurrentSameKey":     testServiceConcurrentSameKey,
	"ServiceKeyScopedToUser":       testServiceKeyScopedToUser,
	"ServiceDifferentKeysTwoSales": testServiceDifferentKeys,
}

func keyed(tomb *basket.Basket, key string) *basket.KeyedReceipt {
	return &basket.KeyedReceipt{Key: key, ExpiresAt: basket.Expiry(tomb.CheckedOutAt, basket.IdempotencyTTL), Receipt: basket.Receipt{
		CheckoutID: tomb.CheckoutID, UserName: tomb.UserName, CheckedOutAt: tomb.CheckedOutAt, TotalPrice: tomb.TotalPrice}}
}

// MustKeyedReceipt returns the record under user's key, failing if there is none.
func MustKeyedReceipt(tb testing.TB, s basket.Store, user, key string) *basket.KeyedReceipt {
	tb.Helper()
	r, err := s.KeyedReceipt(context.Background(), user, key)
	if err != nil {
		tb.Fatalf("KeyedReceipt(%s, %s): %v", user, key, err)
	}
	return r
}

func sameReceipt(a, b basket.Receipt) bool {
	return a.CheckoutID == b.CheckoutID && a.UserName == b.UserName && a.CheckedOutAt.Equal(b.CheckedOutAt) && a.TotalPrice == b.TotalPrice
}

func testCheckOutRecordsKey(t *testing.T, be Backend) {
	ctx := context.Background()
	b := MustPut(t, be.Store, "swn", basket.Item{ProductID: "p", Quantity: 1})
	tomb := tombstone(b, 1234)
	rec := keyed(tomb, "k-1")
	if err := be.Store.CheckOut(ctx, tomb, rec, []bus.Envelope{event(t, b)}); err != nil {
		t.Fatal(err)
	}
	got := MustKeyedReceipt(t, be.Store, "swn", "k-1")
	if got.Key != "k-1" || !sameReceipt(got.Receipt, rec.Receipt) || !got.ExpiresAt.Equal(rec.ExpiresAt) {
		t.Fatalf("recorded %+v, want %+v", got, rec)
	}
	_, err := be.Store.KeyedReceipt(ctx, "swn", "k-2")
	wantCode(t, err, errs.NotFound)
	_, err = be.Store.KeyedReceipt(ctx, "other", "k-1")
	wantCode(t, err, errs.NotFound)
	if n := len(MustPending(t, be.Outbox)); n != 1 {
		t.Fatalf("outbox holds %d events, want 1", n)
	}
}

// testCheckOutKeyPutIfVersion: the record under a key is written only over
// the record it names as replaced (none, or that checkout id); otherwise the
// whole checkout is errs.ErrLostRace and writes nothing. Whether the old
// record is live is not the store's question.
func testCheckOutKeyPutIfVersion(t *testing.T, be Backend) {
	ctx := context.Background()
	b1 := MustPut(t, be.Store, "swn", basket.Item{ProductID: "p", Quantity: 1})
	t1 := tombstone(b1, 100)
	if err := be.Store.CheckOut(ctx, t1, keyed(t1, "k"), []bus.Envelope{event(t, b1)}); err != nil {
		t.Fatal(err)
	}
	b2 := MustPut(t, be.Store, "swn", basket.Item{ProductID: "q", Quantity: 2})
	t2 := tombstone(b2, 200)
	for _, replaces := range []string{"", "another checkout"} {
		rec := keyed(t2, "k")
		rec.Replaces = replaces
		wantLostRace(t, be.Store.CheckOut(ctx, t2, rec, []bus.Envelope{event(t, b2)}))
	}
	if got, err := be.Store.Get(ctx, "swn"); err != nil || !got.Open() || got.CheckoutID != b2.CheckoutID {
		t.Fatalf("basket after a refused checkout = %+v, %v; want the open %s", got, err, b2.CheckoutID)
	}
	if got := MustKeyedReceipt(t, be.Store, "swn", "k"); got.Receipt.CheckoutID != b1.CheckoutID {
		t.Fatalf("record now names %s, want %s", got.Receipt.CheckoutID, b1.CheckoutID)
	}
	if n := len(MustPending(t, be.Outbox)); n != 1 {
		t.Fatalf("outbox holds %d events after refused checkouts, want 1", n)
	}
	rec := keyed(t2, "k")
	rec.Replaces = b1.CheckoutID
	if err := be.Store.CheckOut(ctx, t2, rec, []bus.Envelope{event(t, b2)}); err != nil {
		t.Fatalf("checkout replacing the named record: %v", err)
	}
	if got := MustKeyedReceipt(t, be.Store, "swn", "k"); got.Receipt.CheckoutID != b2.CheckoutID || got.Receipt.TotalPrice != 200 {
		t.Fatalf("record = %+v, want the new checkout %s", got, b2.CheckoutID)
	}
	wantLostRace(t, be.Store.CheckOut(ctx, t2, keyed(t2, "k2"), nil)) // the basket is a tombstone now
}

// testServiceReplacesExpiredKey: the service judges a record expired and
// checks out anew under its key, on every backend alike.
func testServiceReplacesExpiredKey(t *testing.T, be Backend) {
	ctx := context.Background()
	svc := newService(t, be)
	b1, err := be.Store.Get(ctx, "swn")
	if err != nil {
		t.Fatal(err)
	}
	t1 := tombstone(b1, 100)
	old := keyed(t1, "k")
	old.Receipt.CheckedOutAt = time.Now().UTC().Add(-basket.IdempotencyTTL - time.Hour)
	old.ExpiresAt = basket.Expiry(old.Receipt.CheckedOutAt, basket.IdempotencyTTL)
	if err := be.Store.CheckOut(ctx, t1, old, []bus.Envelope{event(t, b1)}); err != nil {
		t.Fatal(err)
	}
	putBasket(t, svc, "swn", 2)
	r := checkoutKeyed(t, svc, "swn", "k")
	if r.CheckoutID == b1.CheckoutID {
		t.Fatalf("the expired record answered: %+v", r)
	}
	if got := MustKeyedReceipt(t, be.Store, "swn", "k"); !sameReceipt(got.Receipt, *r) {
		t.Fatalf("record = %+v, want the new checkout %+v", got, r)
	}
	if again := checkoutKeyed(t, svc, "swn", "k"); !sameReceipt(*again, *r) {
		t.Fatalf("retry = %+v, want %+v", again, r)
	}
}

// testServiceExpiryWholeSeconds: a tombstone and a key record expire at the
// instant the service's one rule gives, read back exactly on every backend
// (DynamoDB keeps epoch seconds, so the rule is whole seconds).
func testServiceExpiryWholeSeconds(t *testing.T, be Backend) {
	svc := newService(t, be)
	r := checkoutKeyed(t, svc, "swn", "k")
	want := basket.Expiry(r.CheckedOutAt, basket.IdempotencyTTL)
	if got := MustKeyedReceipt(t, be.Store, "swn", "k"); !got.ExpiresAt.Equal(want) {
		t.Fatalf("record expires at %v, want %v", got.ExpiresAt, want)
	}
	tomb, err := be.Store.Get(context.Background(), "swn")
	if err != nil {
		t.Fatal(err)
	}
	if want := basket.Expiry(r.CheckedOutAt, basket.TombstoneTTL); !tomb.ExpiresAt.Equal(want) || want.Nanosecond() != 0 {
		t.Fatalf("tombstone expires at %v, want %v in whole seconds", tomb.ExpiresAt, want)
	}
}

// testKeyRecordsHidden: whatever a backend stores for a key, Get, List and
// Delete never see it.
func testKeyRecordsHidden(t *testing.T, be Backend) {
	ctx := context.Background()
	b := MustPut(t, be.Store, "swn", basket.Item{ProductID: "p", Quantity: 1})
	tomb := tombstone(b, 0)
	if err := be.Store.CheckOut(ctx, tomb, keyed(tomb, "k"), []bus.Envelope{event(t, b)}); err != nil {
		t.Fatal(err)
	}
	MustPut(t, be.Store, "ada")
	pg, err := be.Store.List(ctx, page.Request{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Items) != 1 || pg.Items[0].UserName != "ada" || pg.Next != nil {
		t.Fatalf("listed %+v, want only ada's basket", pg)
	}
	for _, name := range []string{"#idem#swn#k", "swn\x00k", "swn#k"} {
		_, err := be.Store.Get(ctx, name)
		wantCode(t, err, errs.NotFound)
		wantCode(t, be.Store.Delete(ctx, name), errs.NotFound)
	}
	MustKeyedReceipt(t, be.Store, "swn", "k")
}

// checkoutKeyed checks out user's basket under key through svc.
func checkoutKeyed(t *testing.T, svc *basket.Service, user, key string) *basket.Receipt {
	t.Helper()
	r, err := svc.Checkout(context.Background(), basket.CheckoutRequest{UserName: user, IdempotencyKey: key})
	if err != nil {
		t.Fatalf("Checkout(%s, key %s): %v", user, key, err)
	}
	return r
}

func putBasket(t *testing.T, svc *basket.Service, user string, quantity int) {
	t.Helper()
	if _, _, err := svc.Put(context.Background(), basket.Basket{UserName: user,
		Items: []basket.Item{{ProductID: "p1", Quantity: quantity}}}); err != nil {
		t.Fatal(err)
	}
}

// testServiceKeyAfterNewBasket is the gap keys close: a retry that arrives
// after the client made a new basket answers the first checkout and leaves
// the new basket alone.
func testServiceKeyAfterNewBasket(t *testing.T, be Backend) {
	svc := newService(t, be)
	first := checkoutKeyed(t, svc, "swn", "order-1")
	putBasket(t, svc, "swn", 5)
	again := checkoutKeyed(t, svc, "swn", "order-1")
	if !sameReceipt(*again, *first) {
		t.Fatalf("retry = %+v, want %+v", again, first)
	}
	if n := len(MustPending(t, be.Outbox)); n != 1 {
		t.Fatalf("outbox holds %d events, want 1", n)
	}
	if v, err := svc.Get(context.Background(), "swn"); err != nil || v.Items[0].Quantity != 5 {
		t.Fatalf("new basket after the retry = %+v, %v; want it open and untouched", v, err)
	}
}

func testServiceDifferentKeys(t *testing.T, be Backend) {
	svc := newService(t, be)
	first := checkoutKeyed(t, svc, "swn", "order-1")
	putBasket(t, svc, "swn", 5)
	second := checkoutKeyed(t, svc, "swn", "order-2")
	if second.CheckoutID == first.CheckoutID || second.TotalPrice == first.TotalPrice {
		t.Fatalf("second checkout %+v repeats the first %+v", second, first)
	}
	if n := len(MustPending(t, be.Outbox)); n != 2 {
		t.Fatalf("outbox holds %d events, want 2", n)
	}
	if r := checkoutKeyed(t, svc, "swn", "order-1"); !sameReceipt(*r, *first) {
		t.Fatalf("order-1 again = %+v, want %+v", r, first)
	}
}

// testServiceConcurrentSameKey: requests racing with one new key make one
// checkout, and every loser answers the winner's receipt; racing again after
// a new basket changes nothing.
func testServiceConcurrentSameKey(t *testing.T, be Backend) {
	svc := newService(t, be)
	race := func() []string {
		const n = 6
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r, err := svc.Checkout(context.Background(), basket.CheckoutRequest{UserName: "swn", IdempotencyKey: "k"})
				if err != nil {
					t.Errorf("Checkout: %v", err)
					return
				}
				ids[i] = r.CheckoutID
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id == "" || id != ids[0] {
				t.Fatalf("checkout ids %v differ", ids)
			}
		}
		return ids
	}
	first := race()
	putBasket(t, svc, "swn", 3)
	if again := race(); again[0] != first[0] {
		t.Fatalf("after a new basket the key answers %s, want %s", again[0], first[0])
	}
	if got := len(MustPending(t, be.Outbox)); got != 1 {
		t.Fatalf("outbox holds %d events, want 1", got)
	}
}

func testServiceKeyScopedToUser(t *testing.T, be Backend) {
	svc := newService(t, be)
	putBasket(t, svc, "ada", 1)
	a := checkoutKeyed(t, svc, "swn", "same")
	b := checkoutKeyed(t, svc, "ada", "same")
	if a.CheckoutID == b.CheckoutID || b.UserName != "ada" {
		t.Fatalf("one key of two users gave %+v and %+v; want two checkouts", a, b)
	}
}
