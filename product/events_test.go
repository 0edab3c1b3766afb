package product_test

import (
	"context"
	"errors"
	"testing"

	catalog "github.com/serverless-shop/shop/docs/events"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/product"
	productbolt "github.com/serverless-shop/shop/product/bolt"
)

// capture is a real store that also keeps the events the service wrote
// with each change, as the outbox receives them.
type capture struct {
	product.Store
	events []bus.Envelope
}

func (c *capture) Create(ctx context.Context, p *product.Product, events []bus.Envelope) error {
	err := c.Store.Create(ctx, p, events)
	if err == nil {
		c.events = append(c.events, events...)
	}
	return err
}

func (c *capture) Update(ctx context.Context, id string, fn func(*product.Product) ([]bus.Envelope, error)) (*product.Product, error) {
	var last []bus.Envelope
	p, err := c.Store.Update(ctx, id, func(p *product.Product) ([]bus.Envelope, error) {
		es, err := fn(p)
		last = es
		return es, err
	})
	if err == nil {
		c.events = append(c.events, last...)
	}
	return p, err
}

func (c *capture) Delete(ctx context.Context, id string, fn func(*product.Product) ([]bus.Envelope, error)) error {
	var last []bus.Envelope
	err := c.Store.Delete(ctx, id, func(p *product.Product) ([]bus.Envelope, error) {
		es, err := fn(p)
		last = es
		return es, err
	})
	if err == nil {
		c.events = append(c.events, last...)
	}
	return err
}

// MustCapturingService returns the product service over a real embedded
// store that captures the events the service writes.
func MustCapturingService(tb testing.TB) (*product.Service, *capture) {
	tb.Helper()
	s, err := productbolt.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	c := &capture{Store: s}
	return product.NewService(c, product.DefaultSource, nil), c
}

// TestEventsMeetCatalog: what the product module emits for a create, an
// update and a delete meets the catalog's schema of each event, and,
// delivered through the real AWS bus, its envelope schema and golden
// example (docs/events), ids and times aside.
func TestEventsMeetCatalog(t *testing.T) {
	svc, c := MustCapturingService(t)
	ctx := context.Background()
	p, err := svc.Create(ctx, product.Product{Name: "IPhone X", Category: "Phone", Description: "Not in the event", Price: 95040})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	price := money.Amount(89999)
	if _, err := svc.Update(ctx, p.ID, product.Patch{Price: &price}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := svc.Delete(ctx, p.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	want := []string{product.EventCreated, product.EventUpdated, product.EventDeleted}
	if len(c.events) != len(want) {
		t.Fatalf("got %d events, want %d (%v)", len(c.events), len(want), want)
	}
	for i, e := range c.events {
		if e.DetailType != want[i] || e.Source != product.DefaultSource {
			t.Fatalf("event %d is %s from %s, want %s from %s", i, e.DetailType, e.Source, want[i], product.DefaultSource)
		}
		catalog.Validate(t, e.DetailType, e.Detail)
	}

	t.Run("Delivered", func(t *testing.T) {
		for i, body := range catalog.Deliver(t, c.events...) {
			catalog.Validate(t, catalog.Envelope, body)
			catalog.AssertGolden(t, want[i], body, "/id", "/time", "/resources", "/detail/productId")
		}
	})
}

// TestPriceBound: a price beyond money.MaxUnitPrice is refused as invalid
// on create and update, so no product event ever carries one.
func TestPriceBound(t *testing.T) {
	svc, c := MustCapturingService(t)
	ctx := context.Background()
	p, err := svc.Create(ctx, product.Product{Name: "Most", Price: money.MaxUnitPrice})
	if err != nil {
		t.Fatalf("Create at MaxUnitPrice: %v", err)
	}
	over := money.MaxUnitPrice + 1
	if _, err := svc.Create(ctx, product.Product{Name: "Over", Price: over}); !isInvalidPrice(err) {
		t.Errorf("Create at MaxUnitPrice + 0.01: got %v, want invalid price", err)
	}
	if _, err := svc.Update(ctx, p.ID, product.Patch{Price: &over}); !isInvalidPrice(err) {
		t.Errorf("Update to MaxUnitPrice + 0.01: got %v, want invalid price", err)
	}
	if len(c.events) != 1 {
		t.Errorf("got %d events, want only the first create's", len(c.events))
	}
}

func isInvalidPrice(err error) bool {
	var e *errs.Error
	return errors.As(err, &e) && e.Code == errs.Invalid && e.Fields["price"] != ""
}
