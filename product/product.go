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
// commits atomically with the change (in its outbox).
type Store interface {
	// Create stores a new product. Returns errs.Conflict if the id exists.
	Create(ctx context.Context, p *Product, events []bus.Envelope) error
	// Get returns errs.NotFound if there is no such product.
	Get(ctx context.Context, id string) (*Product, error)
	// List returns a page of products, optionally of one category: ordered
	// by id on bbolt, in scan order on DynamoDB; following the cursors visits
	// every product once. Returns errs.Invalid for a cursor the same listing
	// did not issue (see CheckCursor).
	List(ctx context.Context, f Filter, r page.Request) (page.Page[*Product], error)
	// Update applies fn to the stored product and saves the result with the
	// events fn returns, only if nobody changed it in between; it retries fn
	// on such a race. Returns errs.NotFound, or fn's error.
	Update(ctx context.Context, id string, fn func(*Product) ([]bus.Envelope, error)) (*Product, error)
	// Delete removes the product and stores the events fn returns.
	// Returns errs.NotFound.
	Delete(ctx context.Context, id string, fn func(*Product) ([]bus.Envelope, error)) error
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
}

// maxCursorID bounds the id a cursor may hold; product ids are server-issued
// UUIDs, and DynamoDB rejects longer keys outright.
const maxCursorID = 1024

// CheckCursor rejects a cursor that the listing under f did not issue: every
// listing's cursor is {"id"}, plus "category" (equal to f's) for a category.
// A store must never see a start key of another listing, which DynamoDB
// answers with a validation error. It returns an errs.Invalid error.
func CheckCursor(f Filter, c page.Cursor) error {
	if c == nil {
		return nil
	}
	id, want := c["id"], 1
	if f.Category != "" {
		want = 2
	}
	if len(c) != want || id == "" || len(id) > maxCursorID || (f.Category != "" && c["category"] != f.Category) {
		return errs.Fields{"cursor": "is not a cursor this server issued for this listing"}.Err()
	}
	return nil
}
