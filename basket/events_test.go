package basket_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/serverless-shop/shop/basket"
	basketbolt "github.com/serverless-shop/shop/basket/bolt"
	catalog "github.com/serverless-shop/shop/docs/events"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/events"
	"github.com/serverless-shop/shop/platform/money"
)

// capturingStore is a real store that also keeps the events each
// successful checkout wrote, as the outbox receives them.
type capturingStore struct {
	basket.Store
	events []bus.Envelope
}

func (c *capturingStore) CheckOut(ctx context.Context, b *basket.Basket, rec *basket.KeyedReceipt, events []bus.Envelope) error {
	err := c.Store.CheckOut(ctx, b, rec, events)
	if err == nil {
		c.events = append(c.events, events...)
	}
	return err
}

// MustCapturingService returns the basket service over a real embedded
// store that captures the checkout events it writes.
func MustCapturingService(tb testing.TB) (*basket.Service, *capturingStore) {
	tb.Helper()
	s, err := basketbolt.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	c := &capturingStore{Store: s}
	return basket.NewService(c, basket.DefaultCheckoutSource, basket.DefaultCheckoutDetailType, nil), c
}

// MustHandleGolden hands the service a catalog event: the named golden
// example, as the bus delivers it, after edit (when not nil) of its detail.
func MustHandleGolden(tb testing.TB, svc *basket.Service, name string, edit func(d map[string]any)) {
	tb.Helper()
	e := catalog.GoldenEnvelope(tb, name)
	if edit != nil {
		var d map[string]any
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			tb.Fatal(err)
		}
		edit(d)
		e.Detail, _ = json.Marshal(d)
	}
	if err := svc.HandleProductEvent(context.Background(), e); err != nil {
		tb.Fatalf("HandleProductEvent(%s): %v", name, err)
	}
}

// TestConsumesProductGoldens: the basket's price list reads each golden
// product event of the catalog and acts on it: created prices the line,
// updated reprices it, deleted makes it unavailable.
func TestConsumesProductGoldens(t *testing.T) {
	svc, _ := MustCapturingService(t)
	id := catalog.GoldenEnvelope(t, events.ProductCreated)
	var d struct {
		ProductID string `json:"productId"`
	}
	if err := json.Unmarshal(id.Detail, &d); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		event     string
		available bool
		price     money.Amount
	}{
		{events.ProductCreated, true, 95040},
		{events.ProductUpdated, true, 89999},
		{events.ProductDeleted, false, 0},
	} {
		t.Run(c.event, func(t *testing.T) {
			MustHandleGolden(t, svc, c.event, nil)
			v := MustPut(t, svc, "swn", basket.Item{ProductID: d.ProductID, Quantity: 2})
			l := v.Items[0]
			if l.Available != c.available || l.UnitPrice != c.price || l.ProductName != "IPhone X" || v.TotalPrice != 2*c.price {
				t.Errorf("after the golden %s: line %+v, total %s; want available %v at %s named IPhone X",
					c.event, l, v.TotalPrice, c.available, c.price)
			}
		})
	}
}

// TestCheckoutMeetsCatalog: the checkout event the basket emits meets the
// catalog's schema and, delivered through the real AWS bus, its envelope
// schema and golden example (docs/events), ids and times aside.
func TestCheckoutMeetsCatalog(t *testing.T) {
	svc, c := MustCapturingService(t)
	// The golden checkout's products, as the product module announces them.
	MustHandleGolden(t, svc, events.ProductCreated, nil)
	MustHandleGolden(t, svc, events.ProductCreated, func(d map[string]any) {
		d["productId"], d["name"], d["price"] = "019ac3f0-8a00-7000-8000-000000000002", "Samsung 10", "840.00"
	})
	MustPut(t, svc, "swn",
		basket.Item{ProductID: "019ac3f0-8a00-7000-8000-000000000001", Quantity: 2, Color: "Black"},
		basket.Item{ProductID: "019ac3f0-8a00-7000-8000-000000000002", Quantity: 1, Color: "Red"})
	rc, err := svc.Checkout(context.Background(), basket.CheckoutRequest{UserName: "swn", FirstName: "Ada", LastName: "Lovelace",
		Email: "ada@example.com", Address: "12 St James's Square, London", PaymentMethod: 1, CardInfo: "4111111111113322"})
	if err != nil {
		t.Fatalf("Checkout: %v", err)
	}
	if len(c.events) != 1 {
		t.Fatalf("got %d checkout events, want 1", len(c.events))
	}
	e := c.events[0]
	if e.Source != events.CheckoutSource || e.DetailType != events.CheckoutBasket {
		t.Fatalf("checkout event from %s of type %s, want %s, %s", e.Source, e.DetailType, events.CheckoutSource, events.CheckoutBasket)
	}
	catalog.Validate(t, events.CheckoutBasket, e.Detail)
	if rc.TotalPrice != 274080 {
		t.Errorf("receipt total %s, want 2740.80", rc.TotalPrice)
	}

	t.Run("Delivered", func(t *testing.T) {
		body := catalog.Deliver(t, e)[0]
		catalog.Validate(t, catalog.Envelope, body)
		catalog.AssertGolden(t, events.CheckoutBasket, body, "/id", "/time", "/resources", "/detail/checkoutId", "/detail/checkedOutAt")
	})
}
