package ordering_test

import (
	"context"
	"testing"

	catalog "github.com/serverless-shop/shop/docs/events"
	"github.com/serverless-shop/shop/ordering"
	orderingbolt "github.com/serverless-shop/shop/ordering/bolt"
	"github.com/serverless-shop/shop/platform/events"
	"github.com/serverless-shop/shop/platform/money"
)

// TestConsumesCheckoutGolden: ordering reads the catalog's golden checkout
// event, as the bus delivers it, into exactly one order that is the
// checkout's, at the order date derived from checkedOutAt; a redelivery
// adds none.
func TestConsumesCheckoutGolden(t *testing.T) {
	s, err := orderingbolt.Open(t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	svc := ordering.NewService(s)
	ctx := context.Background()
	e := catalog.GoldenEnvelope(t, events.CheckoutBasket)
	for range 2 {
		if err := svc.HandleCheckout(ctx, e); err != nil {
			t.Fatalf("HandleCheckout(golden): %v", err)
		}
	}
	orders := MustList(t, svc, "swn")
	if len(orders) != 1 {
		t.Fatalf("got %d orders, want 1", len(orders))
	}
	o := orders[0]
	if o.OrderID != "019ac3f0-8a00-7000-8000-00000000c001" || o.OrderDate != "2026-11-27T08:15:00.123456789Z" ||
		o.TotalPrice != money.Amount(274080) || len(o.Items) != 2 || o.CardLast4 != "3322" || o.Status != ordering.StatusSubmitted {
		t.Fatalf("got order %+v, want the golden checkout's", o)
	}
	if l := o.Items[0]; l.ProductName != "IPhone X" || l.Quantity != 2 || l.UnitPrice != 95040 || l.LineTotal != 190080 {
		t.Errorf("got first line %+v, want 2 × IPhone X at 950.40", l)
	}
}
