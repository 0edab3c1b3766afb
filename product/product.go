// Package product is the catalog module: products with exact prices, listed
// by category, whose every change is announced on the bus so other modules
// (the basket's price list) can follow.
package product

import (
	"context"
	"time"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/page"
	"github.com/serverless-shop/shop/platform/text"
)

// Product is one catalog entry.
type Product struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	ImageFile   string       `json:"imageFile"`
	Price       money.Amount `json:"price"`
	Category    string       `json:"category"`
	// Version increases by one on every change; writes are conditional on it.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Field length limits.
const (
	maxName        = 200
	maxDescription = 4000
	maxImageFile   = 500
	maxCategory    = 100
)

// Validate checks the fields a client sets: every text is valid UTF-8
// without control characters, the name is not blank, the price is within
// money's bounds. It returns an
// errs.Invalid error naming every offending field.
func (p *Product) Validate() error {
	bad := errs.Fields{}
	text.CheckRequired(bad, "name", p.Name, maxName)
	// The one bound of every module (platform/money): a basket of the
	// largest quantities of this price still has a total ordering can read.
	if p.Price < 0 || p.Price > money.MaxUnitPrice {
		bad.Add("price", "must be from 0 to "+money.MaxUnitPrice.String())
	}
	text.Check(bad, "description", p.Description, maxDescription)
	text.Check(bad, "imageFile", p.ImageFile, maxImageFile)
	text.Check(bad, "category", p.Category, maxCategory)
	return bad.Err()
}

// Filter narrows a listing.
type Filter struct {
	// Category, when set, lists only that category, through an index.
	Category string
}

// Validate checks the filter as a client sent it. It returns an
// errs.Invalid error.
func (f Filter) Validate() error {
	bad := errs.Fields{}
	text.Check(bad, "category", f.Category, maxCategory)
	return bad.Err()
}

// Store keeps products. Writes carry the events they cause, which the store
// commits atomically with the change (in its outbox). A store offers
// storage primitives; what to do when a write loses a race is the
// service's decision.
type Store interface {
	// Create stores a new product if no product has its id. Returns
	// errs.ErrLostRace if one has, or if a concurrent write got in the way.
	Create(ctx context.Context, p *Product, events []bus.Envelope) error
	// Get returns errs.NotFound if there is no such product.
	Get(ctx context.Context, id string) (*Product, error)
	// List returns a page of products, optionally of one category: ordered
	// by id on bbolt, in scan order on DynamoDB; following the cursors visits
	// every product once. The cursor is one a listing with the same filter
	// issued (the service checks its shape).
	List(ctx context.Context, f Filter, r page.Request) (page.Page[*Product], error)
	// Update reads the product, applies fn and stores the result with the
	// events fn returns, once, if the stored product is still the one read.
	// Returns errs.NotFound, fn's error, or errs.ErrLostRace when another
	// write came between the read and the write (nothing is stored then).
	Update(ctx context.Context, id string, fn func(*Product) ([]bus.Envelope, error)) (*Product, error)
	// Delete removes the product and stores the events fn returns, on the
	// same terms as Update. Returns errs.NotFound, fn's error or
	// errs.ErrLostRace.
	Delete(ctx context.Context, id string, fn func(*Product) ([]bus.Envelope, error)) error
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
}
