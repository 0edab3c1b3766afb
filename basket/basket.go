// Package basket is the shopping basket module: one basket per user, priced
// from the basket's own read model of the catalog (fed by product events),
// and an idempotent checkout that hands the order over to ordering as an
// event.
package basket

import (
	"context"
	"strconv"
	"time"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/page"
	"github.com/serverless-shop/shop/platform/text"
)

// Status is the state of a stored basket.
type Status string

// Basket states. A checked-out basket is a tombstone: it answers retried
// checkouts until it expires and is otherwise treated as absent.
const (
	StatusOpen       Status = "open"
	StatusCheckedOut Status = "checkedOut"
)

// TombstoneTTL is how long a checked-out basket answers retried checkouts.
const TombstoneTTL = 24 * time.Hour

// Limits on a basket. MaxItems and MaxQuantity are money's bounds on lines
// and quantity (platform/money), which keep every total one ordering reads.
const (
	MaxItems     = money.MaxLines
	MaxQuantity  = money.MaxQuantity
	maxProductID = 200
	maxColor     = 100
)

// Item is one line of a basket as the user chose it. Prices and names are
// not stored: they come from the catalog read model when the basket is read.
type Item struct {
	ProductID string
	Quantity  int
	Color     string
}

// Basket is a user's basket, open or checked out.
type Basket struct {
	UserName string
	Items    []Item
	Status   Status
	// CheckoutID is issued on every create or replace; checking out under it
	// twice is one checkout.
	CheckoutID string
	UpdatedAt  time.Time
	// Set once checked out.
	CheckedOutAt time.Time
	ExpiresAt    time.Time
	TotalPrice   money.Amount
}

// Open reports whether b is an open basket (not a tombstone).
func (b *Basket) Open() bool { return b.Status == StatusOpen }

// ValidateUserName records in bad why name is not a user name: the one
// rule of every route, text.ValidUserName (no '#' among its characters).
func ValidateUserName(bad errs.Fields, name string) {
	text.CheckUserName(bad, "userName", name)
}

// Validate checks the fields a client sets: every text is valid UTF-8
// without control characters. It returns an errs.Invalid error naming every
// offending field.
func (b *Basket) Validate() error {
	bad := errs.Fields{}
	ValidateUserName(bad, b.UserName)
	if len(b.Items) > MaxItems {
		bad.Add("items", "must hold at most "+strconv.Itoa(MaxItems)+" items")
	}
	for i, it := range b.Items {
		f := "items[" + strconv.Itoa(i) + "]."
		text.CheckRequired(bad, f+"productId", it.ProductID, maxProductID)
		if it.Quantity < 1 || it.Quantity > MaxQuantity {
			bad.Add(f+"quantity", "must be an integer from 1 to "+strconv.Itoa(MaxQuantity))
		}
		text.Check(bad, f+"color", it.Color, maxColor)
	}
	return bad.Err()
}

// CheckCursor rejects a cursor that the basket listing did not issue: it is
// {"userName"} holding a valid user name. A store must never see a start key
// of another listing, which DynamoDB answers with a validation error. It
// returns an errs.Invalid error.
func CheckCursor(c page.Cursor) error {
	if c == nil {
		return nil
	}
	bad := errs.Fields{}
	ValidateUserName(bad, c["userName"])
	if len(c) != 1 || len(bad) > 0 {
		return errs.Fields{"cursor": "is not a cursor this server issued for this listing"}.Err()
	}
	return nil
}

// Product is the basket's view of one catalog product, kept from product
// events. A deleted product stays as a tombstone so that an older event
// arriving late cannot bring it back.
type Product struct {
	ProductID string
	Name      string
	Price     money.Amount
	Version   int64
	Deleted   bool
}

// Catalog is the basket's read model of the product catalog.
type Catalog interface {
	// PutProduct stores p unless the stored entry has the same or a higher
	// version; it reports whether p was stored.
	PutProduct(ctx context.Context, p *Product) (bool, error)
	// Products returns the entries (tombstones included) of the given ids
	// that are known; unknown ids are absent from the map.
	Products(ctx context.Context, ids []string) (map[string]*Product, error)
}

// Store keeps baskets and the catalog read model. Writes that cause events
// commit them atomically with the change (in the module's outbox).
type Store interface {
	Catalog
	// Put creates or replaces b's user's basket; it reports whether no open
	// basket was there before (a tombstone counts as none).
	Put(ctx context.Context, b *Basket) (created bool, err error)
	// Get returns the user's stored basket, open or tombstone, or
	// errs.NotFound.
	Get(ctx context.Context, userName string) (*Basket, error)
	// List returns a page of open baskets in a stable order (by user name
	// where the backend can; DynamoDB scans in hash order). The cursor
	// is one the service checked (CheckCursor).
	List(ctx context.Context, r page.Request) (page.Page[*Basket], error)
	// Delete removes the user's open basket, or returns errs.NotFound.
	Delete(ctx context.Context, userName string) error
	// CheckOut replaces the user's open basket by the tombstone b and stores
	// events, atomically, only if the stored basket is still open under
	// b.CheckoutID. With a non-nil rec it also records rec under
	// (b.UserName, rec.Key) in the same transaction, only if the record
	// under that key is still the one rec.Replaces names (none for "").
	// Otherwise it returns errs.ErrLostRace and writes nothing.
	CheckOut(ctx context.Context, b *Basket, rec *KeyedReceipt, events []bus.Envelope) error
	// KeyedReceipt returns what CheckOut recorded under the user's
	// idempotency key, expired or not (the caller judges expiry), or
	// errs.NotFound. Records are never visible to Get, List or Delete.
	KeyedReceipt(ctx context.Context, userName, key string) (*KeyedReceipt, error)
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
}
