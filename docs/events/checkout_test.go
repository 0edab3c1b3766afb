package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"sync/atomic"
	"testing"

	"github.com/serverless-shop/shop/basket"
	basketbolt "github.com/serverless-shop/shop/basket/bolt"
	"github.com/serverless-shop/shop/ordering"
	orderingbolt "github.com/serverless-shop/shop/ordering/bolt"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/page"
	"github.com/serverless-shop/shop/product"
	productbolt "github.com/serverless-shop/shop/product/bolt"
)

// products is a real product store that keeps the events of each create.
type products struct {
	product.Store
	events []bus.Envelope
}

func (p *products) Create(ctx context.Context, pr *product.Product, events []bus.Envelope) error {
	err := p.Store.Create(ctx, pr, events)
	if err == nil {
		p.events = append(p.events, events...)
	}
	return err
}

// baskets is a real basket store that keeps the events of each checkout.
type baskets struct {
	basket.Store
	events []bus.Envelope
}

func (b *baskets) CheckOut(ctx context.Context, bk *basket.Basket, rec *basket.KeyedReceipt, events []bus.Envelope) error {
	err := b.Store.CheckOut(ctx, bk, rec, events)
	if err == nil {
		b.events = append(b.events, events...)
	}
	return err
}

// shop is the three modules in process over their embedded stores, wired
// by hand where cmd/shop wires a bus: the test carries each event across,
// through the JSON the outbox and the local bus keep it in.
type shop struct {
	products *products
	baskets  *baskets
	catalog  *product.Service
	basket   *basket.Service
	ordering *ordering.Service
	users    atomic.Int64
}

func newShop(tb testing.TB) *shop {
	tb.Helper()
	ps, err := productbolt.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ps.Close() })
	bs, err := basketbolt.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { bs.Close() })
	ords, err := orderingbolt.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ords.Close() })
	// Thousands of inputs write here; durability is not what is checked.
	ps.DB().NoSync, bs.DB().NoSync = true, true
	s := &shop{products: &products{Store: ps}, baskets: &baskets{Store: bs}, ordering: ordering.NewService(ords)}
	s.catalog = product.NewService(s.products, product.DefaultSource, nil)
	s.basket = basket.NewService(s.baskets, basket.DefaultCheckoutSource, basket.DefaultCheckoutDetailType, nil)
	return s
}

// travel returns e as it comes out of the JSON it travels in.
func travel(tb testing.TB, e bus.Envelope) bus.Envelope {
	tb.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		tb.Fatalf("encode envelope: %v", err)
	}
	var got bus.Envelope
	if err := json.Unmarshal(b, &got); err != nil {
		tb.Fatalf("decode envelope %s: %v", b, err)
	}
	return got
}

// near folds v into [lo-spread, hi+spread], keeping values already there,
// so that the fuzzer's inputs cluster around the bounds.
func near(v, lo, hi, spread int64) int64 {
	if v >= lo-spread && v <= hi+spread {
		return v
	}
	if v < 0 {
		v = -(v + 1)
	}
	return hi + spread - v%(2*spread+1)
}

// FuzzCheckoutIsOneOrder: whatever checkout the basket accepts, ordering
// turns into exactly one order with the same total, lines and id, also
// when it is delivered twice; whatever it refuses emits nothing and is a
// client's error. Baskets are generated near money's bounds: up to two
// lines more than MaxLines, quantities and three products' prices around
// MaxQuantity and MaxUnitPrice (lines take the products in turn, the
// quantity stepping by dq). Prices are set through the product module, so
// a price it refuses never reaches the basket (its lines stay pending).
func FuzzCheckoutIsOneOrder(f *testing.F) {
	max, maxQ := int64(money.MaxUnitPrice), int64(money.MaxQuantity)
	f.Add(uint8(money.MaxLines), int64(maxQ), int64(0), max, int64(0))   // the largest basket: MaxTotal
	f.Add(uint8(money.MaxLines+1), int64(maxQ), int64(0), max, int64(0)) // one line too many
	f.Add(uint8(money.MaxLines), maxQ+1, int64(0), max, int64(0))        // one piece too many
	f.Add(uint8(money.MaxLines), int64(maxQ), int64(0), max+1, int64(0)) // a cent too dear
	f.Add(uint8(2), int64(1), int64(0), int64(60000000000000), int64(0)) // measured: 2 × 600000000000.00
	f.Add(uint8(9), int64(maxQ), int64(0), int64(100000000000000), int64(0))
	f.Add(uint8(3), int64(2), int64(1), int64(95040), int64(5540))
	f.Add(uint8(1), int64(1), int64(0), int64(0), int64(0))
	f.Add(uint8(0), int64(1), int64(0), int64(1), int64(0))
	f.Add(uint8(37), int64(999), int64(-7), max-1, int64(-3))
	s := newShop(f)
	f.Fuzz(func(t *testing.T, lines uint8, qty, dq, price, dp int64) {
		s.round(t, lines, qty, dq, price, dp)
	})
}

// TestCheckoutAtTheBounds: the largest basket the bounds allow is checked
// out into one order of MaxTotal; the basket measured on main before the
// bounds (two pieces at 600000000000.00, accepted, then never an order)
// no longer gets a price, so its checkout is refused up front.
func TestCheckoutAtTheBounds(t *testing.T) {
	s := newShop(t)
	max := int64(money.MaxUnitPrice)
	if rc := s.round(t, money.MaxLines, money.MaxQuantity, 0, max, 0); rc == nil || rc.TotalPrice != money.MaxTotal {
		t.Errorf("largest basket: got receipt %+v, want one of MaxTotal %s", rc, money.MaxTotal)
	}
	if rc := s.round(t, 2, 1, 0, 60000000000000, 0); rc != nil {
		t.Errorf("two pieces at 600000000000.00: got receipt %+v, want the checkout refused", rc)
	}
	if rc := s.round(t, 3, 2, 1, 95040, 5540); rc == nil || rc.TotalPrice != 2*95040+3*89500+4*83960 {
		t.Errorf("a small basket: got receipt %+v, want 7944.20", rc)
	}
}

// round runs one basket through the shop and checks the property; it
// returns the checkout's receipt, or nil when the basket or its checkout
// was refused.
func (s *shop) round(t *testing.T, lines uint8, qty, dq, price, dp int64) *basket.Receipt {
	t.Helper()
	max, maxQ := int64(money.MaxUnitPrice), int64(money.MaxQuantity)
	{
		ctx := context.Background()
		user := fmt.Sprint("u", s.users.Add(1))
		n := int(lines) % (money.MaxLines + 3)

		var ids [3]string
		s.products.events = nil
		for j := range ids {
			p := near(price-int64(j)*dp, 0, max, 1000)
			created, err := s.catalog.Create(ctx, product.Product{Name: fmt.Sprint("P", j), Price: money.Amount(p)})
			switch {
			case err == nil:
				ids[j] = created.ID
			case errs.Is(err, errs.Invalid) && (p < 0 || p > max):
				ids[j] = fmt.Sprint(user, "-never-announced-", j)
			default:
				t.Fatalf("Create at %s: %v", money.Amount(p), err)
			}
		}
		for _, e := range s.products.events {
			if err := s.basket.HandleProductEvent(ctx, travel(t, e)); err != nil {
				t.Fatalf("the basket refused a product event the catalog emitted: %v\n%s", err, e.Detail)
			}
		}

		items := make([]basket.Item, n)
		for i := range items {
			items[i] = basket.Item{ProductID: ids[i%3], Quantity: int(near(qty+int64(i)*dq, 1, maxQ, 2))}
		}
		if _, _, err := s.basket.Put(ctx, basket.Basket{UserName: user, Items: items}); err != nil {
			// Within the limits, no price the catalog accepts makes a
			// total the basket must refuse.
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("Put of %d lines: got %v, want it stored or invalid", n, err)
			}
			return nil
		}

		s.baskets.events = nil
		rc, err := s.basket.Checkout(ctx, basket.CheckoutRequest{UserName: user, FirstName: "Ada", CardInfo: "4111111111113322"})
		if err != nil {
			if c := errs.Code(err); c != errs.Unprocessable && c != errs.Conflict || len(s.baskets.events) != 0 {
				t.Fatalf("refused checkout: got %v (code %s) and %d events, want a client error and none", err, c, len(s.baskets.events))
			}
			return nil
		}
		if len(s.baskets.events) != 1 {
			t.Fatalf("accepted checkout emitted %d events, want 1", len(s.baskets.events))
		}
		e := travel(t, s.baskets.events[0])
		for delivery := range 2 {
			if err := s.ordering.HandleCheckout(ctx, e); err != nil {
				t.Fatalf("delivery %d: ordering refused an accepted checkout of %s: %v\n%s", delivery+1, rc.TotalPrice, err, e.Detail)
			}
		}
		pg, err := s.ordering.ListByUser(ctx, user, page.Request{Limit: page.MaxLimit})
		if err != nil {
			t.Fatalf("ListByUser: %v", err)
		}
		if len(pg.Items) != 1 {
			t.Fatalf("an accepted checkout made %d orders, want exactly 1", len(pg.Items))
		}
		o := pg.Items[0]
		if o.OrderID != rc.CheckoutID || o.TotalPrice != rc.TotalPrice || len(o.Items) != n {
			t.Fatalf("order %s of %d lines totalling %s; want %s of %d lines totalling %s",
				o.OrderID, len(o.Items), o.TotalPrice, rc.CheckoutID, n, rc.TotalPrice)
		}
		sum := new(big.Int)
		for i, it := range o.Items {
			if it.Quantity != int64(items[i].Quantity) || it.ProductID != items[i].ProductID {
				t.Fatalf("order line %d is %d × %s, want %d × %s", i, it.Quantity, it.ProductID, items[i].Quantity, items[i].ProductID)
			}
			sum.Add(sum, new(big.Int).Mul(big.NewInt(int64(it.UnitPrice)), big.NewInt(it.Quantity)))
		}
		if sum.Cmp(big.NewInt(int64(rc.TotalPrice))) != 0 {
			t.Fatalf("accepted total %s, but the lines sum to %s cents", rc.TotalPrice, sum)
		}
		return rc
	}
}
