package ordering_test

import (
	"context"
	"encoding/json"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/serverless-shop/shop/ordering"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/page"
)

// memStore keeps orders in a map with the put-if-absent Create of every
// store (the storetest suite pins it): the fuzz target checks decoding, not
// storage, and a fresh map per input keeps inputs independent.
type memStore struct {
	orders map[string]ordering.Order
}

var _ ordering.Store = (*memStore)(nil)

func (m *memStore) Create(_ context.Context, o *ordering.Order) (bool, error) {
	k := o.UserName + "\x00" + o.OrderDate
	if _, ok := m.orders[k]; ok {
		return false, nil
	}
	m.orders[k] = *o
	return true, nil
}

func (m *memStore) Get(_ context.Context, userName, orderDate string) (*ordering.Order, error) {
	o, ok := m.orders[userName+"\x00"+orderDate]
	if !ok {
		return nil, errs.Errorf(errs.NotFound, "no order")
	}
	return &o, nil
}

func (m *memStore) ListByUser(context.Context, string, page.Request) (page.Page[*ordering.Order], error) {
	return page.Page[*ordering.Order]{}, nil
}

func (m *memStore) List(context.Context, page.Request) (page.Page[*ordering.Order], error) {
	return page.Page[*ordering.Order]{}, nil
}

func (m *memStore) Ping(context.Context) error { return nil }

// FuzzHandleCheckout hands ordering's checkout handler arbitrary event
// details. Never a panic. A detail that decodes into a valid checkout is
// handled: one order, built from it, whose every line is unit price ×
// quantity and whose total is the exact sum of its lines; a redelivery
// under another envelope ID stores nothing more and is handled too. Any
// other detail is an invalid error (the bus dead-letters it) and stores
// nothing: a malformed checkout is never silently dropped.
func FuzzHandleCheckout(f *testing.F) {
	golden := NewCheckout("ada")
	b, err := json.Marshal(golden)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	// At the bounds: the largest checkout the basket can accept, and the
	// one measured on main before the bounds (two lines at 600000000000.00,
	// a total no decoder could read), which must be refused, not stored.
	largest := NewCheckout("ada")
	largest.Items = nil
	for range money.MaxLines {
		largest.Items = append(largest.Items, ordering.CheckoutItem{ProductID: "p", Quantity: money.MaxQuantity,
			UnitPrice: money.MaxUnitPrice, LineTotal: money.MaxUnitPrice * money.MaxQuantity})
	}
	largest.TotalPrice = money.MaxTotal
	if b, err = json.Marshal(largest); err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	for _, d := range []string{
		`{"checkoutId":"c1","userName":"swn","checkedOutAt":"2026-11-27T08:00:00Z","items":[{"productId":"p1","quantity":2,"unitPrice":600000000000.00,"lineTotal":1200000000000.00}],"totalPrice":1200000000000.00}`,
		`{"checkoutId":"c1","userName":"swn","checkedOutAt":"2026-11-27T08:00:00Z","items":[{"productId":"p1","quantity":1,"unitPrice":10000000.01,"lineTotal":10000000.01}],"totalPrice":10000000.01}`,
		`{"checkoutId":"c1","userName":"swn","checkedOutAt":"2026-11-27T08:00:00Z","items":[{"productId":"p1","quantity":1001,"unitPrice":1,"lineTotal":1001}],"totalPrice":1001}`,
		`{"checkoutId":"c1","userName":"swn","checkedOutAt":"2026-11-27T08:00:00Z","items":[{"productId":"p1","quantity":1,"unitPrice":1000000000000,"lineTotal":1000000000000},{"productId":"p2","quantity":1,"unitPrice":1000000000000,"lineTotal":1000000000000}],"totalPrice":-0.02}`,
		`{"checkoutId":"c1","userName":"swn","checkedOutAt":"2026-11-27T08:00:00.1234Z","firstName":"Ada","lastName":"Lovelace",` +
			`"email":"ada@example.com","address":"London","paymentMethod":1,"cardLast4":"3322",` +
			`"items":[{"productId":"p1","productName":"IPhone X","color":"Black","quantity":2,"unitPrice":950.40,"lineTotal":1900.80},` +
			`{"productId":"p2","quantity":1,"unitPrice":"0.99","lineTotal":0.99}],"totalPrice":1901.79,"extra":"ignored"}`,
		`{"checkoutId":"c1","userName":"swn","checkedOutAt":"2026-11-27T08:00:00+01:00","items":[{"productId":"p1","quantity":1,"unitPrice":0,"lineTotal":0}],"totalPrice":0}`,
		`{"checkoutId":"c1","userName":"swn","checkedOutAt":"2026-11-27T08:00:00Z","items":[{"productId":"p1","quantity":1e30,"unitPrice":1,"lineTotal":1}],"totalPrice":1}`,
		`{"checkoutId":"c1","userName":"swn","checkedOutAt":"2026-11-27T08:00:00Z","items":[{"productId":"p1","quantity":2,"unitPrice":1.005,"lineTotal":2.01}],"totalPrice":2.01}`,
		`{"checkoutId":"c1","userName":"swn","checkedOutAt":"2026-11-27T08:00:00Z","items":[{"productId":"p1","quantity":2,"unitPrice":1,"lineTotal":3}],"totalPrice":3}`,
		`{"checkoutId":"c1","userName":"swn","checkedOutAt":"2026-11-27T08:00:00Z","items":[{"productId":"p1","quantity":1,"unitPrice":1,"lineTotal":1}],"totalPrice":2}`,
		`{"checkoutId":"c1","userName":"swn","checkedOutAt":"2026-11-27T08:00:00Z","items":[{"productId":"p1","quantity":-1,"unitPrice":-1,"lineTotal":1}],"totalPrice":1}`,
		`{"checkoutId":"c1","userName":"swn","checkedOutAt":"2026-11-27T08:00:00Z","items":[],"totalPrice":0}`,
		`{"checkoutId":"c1","userName":"a\u0000b","checkedOutAt":"2026-11-27T08:00:00Z","items":[{"productId":"p1","quantity":1,"unitPrice":1,"lineTotal":1}],"totalPrice":1}`,
		`{"checkoutId":"c1","userName":"swn","checkedOutAt":"0001-01-01T00:00:00Z","items":[{"productId":"p1","quantity":1,"unitPrice":1,"lineTotal":1}],"totalPrice":1}`,
		`{"checkoutId":"c1","userName":"swn","checkedOutAt":"yesterday","items":[],"totalPrice":0}`,
		`{"checkoutId":"c1","userName":"swn","cardLast4":"12a4"}`,
		`{"CHECKOUTID":"c1","USERNAME":"swn"}`,
		`{"checkoutId":1}`,
		`{"checkoutId":"c1",`,
		`null`,
		`[]`,
		``,
	} {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, detail []byte) {
		store := &memStore{orders: map[string]ordering.Order{}}
		svc := ordering.NewService(store)
		e := bus.Envelope{ID: "e1", Source: ordering.DefaultCheckoutSource, DetailType: ordering.DefaultCheckoutDetailType,
			Time: time.Now().UTC(), Detail: json.RawMessage(detail)}
		err := svc.HandleCheckout(context.Background(), e)

		var c ordering.Checkout
		if json.Unmarshal(detail, &c) != nil || c.Validate() != nil {
			if !errs.Is(err, errs.Invalid) || len(store.orders) != 0 {
				t.Fatalf("%s: got %v and %d orders, want an invalid error and none", detail, err, len(store.orders))
			}
			return
		}
		if err != nil || len(store.orders) != 1 {
			t.Fatalf("%s: got %v and %d orders, want it handled into one order", detail, err, len(store.orders))
		}
		var got ordering.Order
		for _, o := range store.orders {
			got = o
		}
		want := *c.Order(got.CreatedAt)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: stored %+v, want %+v", detail, got, want)
		}
		checkTotals(t, detail, &got)
		checkBounds(t, detail, &got)

		e.ID = "e2"
		if err := svc.HandleCheckout(context.Background(), e); err != nil || len(store.orders) != 1 {
			t.Fatalf("%s redelivered: got %v and %d orders, want nil and still one", detail, err, len(store.orders))
		}
	})
}

// checkBounds fails unless o is within money's bounds, which every
// producer keeps: an order beyond them was decoded from something no
// producer may send.
func checkBounds(t *testing.T, detail []byte, o *ordering.Order) {
	t.Helper()
	if len(o.Items) > money.MaxLines || o.TotalPrice < 0 || o.TotalPrice > money.MaxTotal {
		t.Fatalf("%s: order of %d lines totalling %s is beyond the bounds", detail, len(o.Items), o.TotalPrice)
	}
	for i, it := range o.Items {
		if it.Quantity < 1 || it.Quantity > money.MaxQuantity || it.UnitPrice < 0 || it.UnitPrice > money.MaxUnitPrice {
			t.Fatalf("%s: line %d (%d × %s) is beyond the bounds", detail, i, it.Quantity, it.UnitPrice)
		}
	}
}

// checkTotals fails unless every line of o is exactly unit price ×
// quantity and the total is exactly the sum of the lines, in arithmetic
// that cannot overflow.
func checkTotals(t *testing.T, detail []byte, o *ordering.Order) {
	t.Helper()
	sum := new(big.Int)
	for i, it := range o.Items {
		line := new(big.Int).Mul(big.NewInt(int64(it.UnitPrice)), big.NewInt(it.Quantity))
		if line.Cmp(big.NewInt(int64(it.LineTotal))) != 0 {
			t.Fatalf("%s: line %d totals %d, but %d × %d is %s", detail, i, it.LineTotal, it.UnitPrice, it.Quantity, line)
		}
		sum.Add(sum, line)
	}
	if sum.Cmp(big.NewInt(int64(o.TotalPrice))) != 0 {
		t.Fatalf("%s: the order totals %d, but its lines sum to %s", detail, o.TotalPrice, sum)
	}
}
