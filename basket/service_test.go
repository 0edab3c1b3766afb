package basket_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/serverless-shop/shop/basket"
	basketbolt "github.com/serverless-shop/shop/basket/bolt"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/bus/localbus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/outbox"
)

// MustService returns a service over a fresh embedded store and its outbox.
func MustService(tb testing.TB) (*basket.Service, *outbox.BoltStore) {
	tb.Helper()
	s, err := basketbolt.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return basket.NewService(s, basket.DefaultCheckoutSource, basket.DefaultCheckoutDetailType, nil), outbox.NewBoltStore(s.DB())
}

// MustProductEvent feeds the service one product event.
func MustProductEvent(tb testing.TB, svc *basket.Service, detailType, id, price string, version int64) {
	tb.Helper()
	e, err := bus.New(uuid.Must(uuid.NewV7()).String(), "com.swn.product", detailType, map[string]any{
		"productId": id, "name": "name of " + id, "category": "Phone", "price": price, "version": version,
		"deleted": detailType == "ProductDeleted"})
	if err != nil {
		tb.Fatal(err)
	}
	if err := svc.HandleProductEvent(context.Background(), e); err != nil {
		tb.Fatalf("HandleProductEvent: %v", err)
	}
}

// MustPut creates or replaces user's basket.
func MustPut(tb testing.TB, svc *basket.Service, user string, items ...basket.Item) *basket.View {
	tb.Helper()
	v, _, err := svc.Put(context.Background(), basket.Basket{UserName: user, Items: items})
	if err != nil {
		tb.Fatalf("Put: %v", err)
	}
	return v
}

func amount(tb testing.TB, s string) money.Amount {
	tb.Helper()
	a, err := money.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := errs.Code(err); got != code {
		tb.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

func TestTotals(t *testing.T) {
	svc, _ := MustService(t)
	MustProductEvent(t, svc, "ProductCreated", "p1", "950.40", 1)
	MustProductEvent(t, svc, "ProductCreated", "p2", "0.10", 1)
	v := MustPut(t, svc, "swn", basket.Item{ProductID: "p1", Quantity: 2}, basket.Item{ProductID: "p2", Quantity: 3},
		basket.Item{ProductID: "unknown", Quantity: 5})
	if want := amount(t, "1901.10"); v.TotalPrice != want {
		t.Fatalf("total %s, want %s", v.TotalPrice, want)
	}
	if got, want := v.Items[0].LineTotal, amount(t, "1900.80"); got != want || v.Items[0].ProductName != "name of p1" {
		t.Fatalf("line 0 = %+v, want lineTotal %s", v.Items[0], want)
	}
	if l := v.Items[2]; l.Available || l.LineTotal != 0 || l.Status != basket.LinePending {
		t.Fatalf("unknown product line = %+v, want pending", l)
	}
	if l := v.Items[0]; !l.Available || l.Status != basket.LinePriced {
		t.Fatalf("known product line = %+v, want priced", l)
	}
}

func TestPriceChangeBeforeCheckout(t *testing.T) {
	svc, ob := MustService(t)
	MustProductEvent(t, svc, "ProductCreated", "p1", "950.40", 1)
	MustPut(t, svc, "swn", basket.Item{ProductID: "p1", Quantity: 2, Color: "Black"})
	MustProductEvent(t, svc, "ProductUpdated", "p1", "1000.05", 3)
	MustProductEvent(t, svc, "ProductUpdated", "p1", "1.00", 2) // late and older: ignored

	v, err := svc.Get(context.Background(), "swn")
	if err != nil {
		t.Fatal(err)
	}
	if want := amount(t, "2000.10"); v.TotalPrice != want {
		t.Fatalf("total %s, want %s", v.TotalPrice, want)
	}
	_, err = svc.Checkout(context.Background(), basket.CheckoutRequest{UserName: "swn", CardInfo: "554"})
	wantCode(t, err, errs.Invalid) // three digits do not make a card
	r, err := svc.Checkout(context.Background(), basket.CheckoutRequest{UserName: "swn", CardInfo: "4111111111111111", PaymentMethod: 1})
	if err != nil {
		t.Fatal(err)
	}
	pending, _ := ob.Pending(context.Background(), 10)
	if len(pending) != 1 {
		t.Fatalf("outbox holds %d events, want 1", len(pending))
	}
	var ev basket.CheckoutEvent
	if err := json.Unmarshal(pending[0].Detail, &ev); err != nil {
		t.Fatal(err)
	}
	want := basket.CheckoutItem{ProductID: "p1", ProductName: "name of p1", Color: "Black", Quantity: 2,
		UnitPrice: amount(t, "1000.05"), LineTotal: amount(t, "2000.10")}
	if len(ev.Items) != 1 || ev.Items[0] != want || ev.TotalPrice != r.TotalPrice || ev.CardLast4 != "1111" ||
		ev.PaymentMethod != 1 || !ev.CheckedOutAt.Equal(r.CheckedOutAt) {
		t.Fatalf("event %+v, want item %+v and receipt %+v", ev, want, r)
	}
	if strings.Contains(string(pending[0].Detail), "4111111111111111") {
		t.Fatal("the full card number is in the event")
	}
	if pending[0].Source != basket.DefaultCheckoutSource || pending[0].DetailType != basket.DefaultCheckoutDetailType {
		t.Fatalf("envelope %s/%s", pending[0].Source, pending[0].DetailType)
	}
}

func TestCheckoutRefusesUnavailable(t *testing.T) {
	svc, _ := MustService(t)
	MustProductEvent(t, svc, "ProductCreated", "p1", "1.00", 1)
	MustProductEvent(t, svc, "ProductCreated", "p2", "2.00", 1)
	MustProductEvent(t, svc, "ProductDeleted", "p2", "2.00", 2)
	MustProductEvent(t, svc, "ProductUpdated", "p2", "3.00", 1) // cannot resurrect it
	v := MustPut(t, svc, "swn", basket.Item{ProductID: "p1", Quantity: 1}, basket.Item{ProductID: "p2", Quantity: 1},
		basket.Item{ProductID: "ghost", Quantity: 1})
	if v.TotalPrice != 100 || v.Items[1].Status != basket.LineUnavailable || v.Items[2].Status != basket.LinePending {
		t.Fatalf("view %+v: want total 1.00, p2 unavailable, ghost pending", v)
	}
	// A deleted product wins over a pending one: retrying cannot help.
	_, err := svc.Checkout(context.Background(), basket.CheckoutRequest{UserName: "swn"})
	wantCode(t, err, errs.Unprocessable)
	if msg := err.Error(); !strings.Contains(msg, "p2") || strings.Contains(msg, "ghost") || strings.Contains(msg, "p1") {
		t.Fatalf("detail %q should name p2 only", msg)
	}
	MustPut(t, svc, "empty")
	_, err = svc.Checkout(context.Background(), basket.CheckoutRequest{UserName: "empty"})
	wantCode(t, err, errs.Unprocessable)
}

// TestPendingUntilTheEventArrives: a product the price list has not heard
// of is pending, not unavailable; checkout answers a retryable conflict
// (never unprocessable) and writes nothing; the line is priced, and the
// checkout goes through, as soon as the product event arrives, with no
// write to the basket in between.
func TestPendingUntilTheEventArrives(t *testing.T) {
	svc, ob := MustService(t)
	ctx := context.Background()
	MustProductEvent(t, svc, "ProductCreated", "p1", "1.00", 1)
	v := MustPut(t, svc, "swn", basket.Item{ProductID: "p1", Quantity: 1}, basket.Item{ProductID: "new", Quantity: 2},
		basket.Item{ProductID: "new", Quantity: 1, Color: "Red"})
	if v.Items[1].Status != basket.LinePending || v.Items[1].Available || v.TotalPrice != 100 {
		t.Fatalf("view %+v: want the new product pending and total 1.00", v)
	}
	_, err := svc.Checkout(ctx, basket.CheckoutRequest{UserName: "swn", IdempotencyKey: "k"})
	var pe *basket.PendingError
	if !errors.As(err, &pe) || !errs.Is(err, errs.Conflict) || len(pe.ProductIDs) != 1 || pe.ProductIDs[0] != "new" {
		t.Fatalf("checkout with a pending line: got %v, want a conflict naming only new", err)
	}
	if pending, _ := ob.Pending(ctx, 10); len(pending) != 0 {
		t.Fatalf("a refused checkout wrote %d events", len(pending))
	}

	MustProductEvent(t, svc, "ProductCreated", "new", "2.50", 1)
	v, err = svc.Get(ctx, "swn")
	if err != nil {
		t.Fatal(err)
	}
	if l := v.Items[1]; l.Status != basket.LinePriced || !l.Available || l.LineTotal != 500 || v.TotalPrice != 850 {
		t.Fatalf("after the event: %+v, want new priced at 2.50 and total 8.50", v)
	}
	r, err := svc.Checkout(ctx, basket.CheckoutRequest{UserName: "swn", IdempotencyKey: "k"})
	if err != nil || r.TotalPrice != 850 {
		t.Fatalf("checkout after the event = %+v, %v; want total 8.50", r, err)
	}
}

func TestTombstone(t *testing.T) {
	ctx := context.Background()
	svc, _ := MustService(t)
	now := time.Date(2026, 11, 27, 8, 0, 0, 123456789, time.UTC)
	basket.SetNow(svc, func() time.Time { return now })
	MustProductEvent(t, svc, "ProductCreated", "p1", "1.00", 1)
	MustPut(t, svc, "swn", basket.Item{ProductID: "p1", Quantity: 1})
	first, err := svc.Checkout(ctx, basket.CheckoutRequest{UserName: "swn"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Get(ctx, "swn")
	wantCode(t, err, errs.NotFound)
	wantCode(t, svc.Delete(ctx, "swn"), errs.NotFound)

	now = now.Add(23 * time.Hour)
	again, err := svc.Checkout(ctx, basket.CheckoutRequest{UserName: "swn"})
	if err != nil || *again != *first {
		t.Fatalf("retry before expiry = %+v, %v; want %+v", again, err, first)
	}
	now = now.Add(2 * time.Hour)
	_, err = svc.Checkout(ctx, basket.CheckoutRequest{UserName: "swn"})
	wantCode(t, err, errs.NotFound)

	v, created, err := svc.Put(ctx, basket.Basket{UserName: "swn", Items: []basket.Item{{ProductID: "p1", Quantity: 4}}})
	if err != nil || !created || v.TotalPrice != 400 {
		t.Fatalf("Put over tombstone = %+v, %v, %v; want created with total 4.00", v, created, err)
	}
	next, err := svc.Checkout(ctx, basket.CheckoutRequest{UserName: "swn"})
	if err != nil || next.CheckoutID == first.CheckoutID {
		t.Fatalf("checkout of the new basket = %+v, %v; want a new checkout id", next, err)
	}
}

func TestPutCreatedThenReplaced(t *testing.T) {
	svc, _ := MustService(t)
	_, created, err := svc.Put(context.Background(), basket.Basket{UserName: "swn"})
	if err != nil || !created {
		t.Fatalf("first Put = %v, %v", created, err)
	}
	_, created, err = svc.Put(context.Background(), basket.Basket{UserName: "swn"})
	if err != nil || created {
		t.Fatalf("second Put = %v, %v", created, err)
	}
	_, _, err = svc.Put(context.Background(), basket.Basket{UserName: "bad name",
		Items: []basket.Item{{Quantity: 1001}}})
	var e *errs.Error
	if !errors.As(err, &e) || e.Fields["userName"] == "" || e.Fields["items[0].productId"] == "" || e.Fields["items[0].quantity"] == "" {
		t.Fatalf("error %v, want userName, productId and quantity named", err)
	}
}

// TestHandleProductEventFailsJunk: an event the basket cannot read is an
// error (so the bus dead-letters it), never silently acknowledged; other
// detail types are not the basket's business and pass.
func TestHandleProductEventFailsJunk(t *testing.T) {
	svc, _ := MustService(t)
	ctx := context.Background()
	for _, e := range []bus.Envelope{
		{ID: "1", DetailType: "ProductCreated", Detail: json.RawMessage(`{"productId":`)},
		{ID: "2", DetailType: "ProductCreated", Detail: json.RawMessage(`{"productId":"p","price":"1.234","version":1}`)},
		{ID: "3", DetailType: "ProductCreated", Detail: json.RawMessage(`{"price":"1.00","version":1}`)},
		{ID: "4", DetailType: "ProductUpdated", Detail: json.RawMessage(`{"productId":"p","price":"1.00","version":0}`)},
	} {
		wantCode(t, svc.HandleProductEvent(ctx, e), errs.Invalid)
	}
	other := bus.Envelope{ID: "5", DetailType: "SomethingElse", Detail: json.RawMessage(`{"productId":"p","price":"1.00","version":1}`)}
	if err := svc.HandleProductEvent(ctx, other); err != nil {
		t.Fatalf("another detail type: %v, want nil", err)
	}
	v := MustPut(t, svc, "swn", basket.Item{ProductID: "p", Quantity: 1})
	if v.Items[0].Status != basket.LinePending {
		t.Fatalf("a junk event changed p: %+v", v.Items[0])
	}
}

// TestMalformedProductEventIsDeadLettered runs the handler behind the real
// local bus: a malformed product event ends among the subscription's dead
// letters after its attempts, and a good one behind it is applied.
func TestMalformedProductEventIsDeadLettered(t *testing.T) {
	svc, _ := MustService(t)
	b, err := localbus.Open(filepath.Join(t.TempDir(), "bus.db"), localbus.WithMaxAttempts(2),
		localbus.WithBackoff(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	bustest.MustSubscribe(t, b, "basket-catalog", basket.ProductEventTypes, svc.HandleProductEvent)
	bustest.MustStart(t, b)
	bad := bustest.NewEvent(t, "com.swn.product", "ProductCreated", map[string]any{"productId": "p", "price": "one", "version": 1})
	good := bustest.NewEvent(t, "com.swn.product", "ProductCreated", map[string]any{"productId": "q", "price": "1.00", "version": 1})
	bustest.MustPublish(t, b, bad, good)
	var dead []localbus.DeadLetter
	bustest.Eventually(t, 10*time.Second, func() bool {
		dead, err = b.DeadLetters(context.Background(), "basket-catalog", 0)
		return err == nil && len(dead) > 0
	}, "the malformed event never reached the dead letters")
	if len(dead) != 1 || dead[0].Envelope.ID != bad.ID || dead[0].Attempts != 2 {
		t.Fatalf("dead letters %+v, want only %s after 2 attempts", dead, bad.ID)
	}
	MustPut(t, svc, "swn", basket.Item{ProductID: "q", Quantity: 1})
	bustest.Eventually(t, 10*time.Second, func() bool {
		v, err := svc.Get(context.Background(), "swn")
		return err == nil && v.Items[0].Status == basket.LinePriced
	}, "the good event behind the malformed one was never applied")
}

// TestPutRejectedLeavesBasket: a replacement the service refuses (its total
// does not fit) must not have replaced the stored basket.
func TestPutRejectedLeavesBasket(t *testing.T) {
	// Events hold prices within money's bounds, under which no basket can
	// overflow; an entry stored before those bounds still could.
	s, err := basketbolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.PutProduct(context.Background(), &basket.Product{ProductID: "p1", Price: amount(t, "999999999999.99"), Version: 1}); err != nil {
		t.Fatal(err)
	}
	svc := basket.NewService(s, basket.DefaultCheckoutSource, basket.DefaultCheckoutDetailType, nil)
	MustPut(t, svc, "swn", basket.Item{ProductID: "p1", Quantity: 1})
	huge := make([]basket.Item, basket.MaxItems)
	for i := range huge {
		huge[i] = basket.Item{ProductID: "p1", Quantity: basket.MaxQuantity}
	}
	_, _, err = svc.Put(context.Background(), basket.Basket{UserName: "swn", Items: huge})
	if !errs.Is(err, errs.Unprocessable) {
		t.Fatalf("Put of an overflowing basket: got %v, want unprocessable", err)
	}
	v, err := svc.Get(context.Background(), "swn")
	if err != nil {
		t.Fatalf("Get after a refused Put: %v", err)
	}
	if len(v.Items) != 1 || v.Items[0].Quantity != 1 {
		t.Fatalf("refused Put replaced the basket: got %+v", v.Items)
	}
}
