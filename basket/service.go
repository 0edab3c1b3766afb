package basket

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/page"
)

// Service is the basket's use cases.
type Service struct {
	store              Store
	checkoutSource     string
	checkoutDetailType string
	// committed is called after a write that stored events, to wake the relay.
	committed func()
	now       func() time.Time
}

// NewService returns the basket service over store. Checkout events carry
// checkoutSource and checkoutDetailType; committed runs after every write
// that stored events (it may be nil).
func NewService(store Store, checkoutSource, checkoutDetailType string, committed func()) *Service {
	if committed == nil {
		committed = func() {}
	}
	return &Service{store: store, checkoutSource: checkoutSource, checkoutDetailType: checkoutDetailType,
		committed: committed, now: func() time.Time { return time.Now().UTC() }}
}

// Line is one basket item priced at the catalog's current price.
type Line struct {
	ProductID   string
	ProductName string
	Color       string
	Quantity    int
	UnitPrice   money.Amount
	LineTotal   money.Amount
	// Status is LinePriced when the line has a price; otherwise the line
	// counts for nothing in the total.
	Status LineStatus
	// Available is Status == LinePriced, kept for clients that read it.
	Available bool
}

// View is a basket priced at the catalog's current prices.
type View struct {
	UserName   string
	Items      []Line
	TotalPrice money.Amount
	UpdatedAt  time.Time
}

// Put validates b and creates or replaces its user's basket under a fresh
// checkout id. It reports whether the basket was created. Returns errs.Invalid.
func (s *Service) Put(ctx context.Context, b Basket) (*View, bool, error) {
	if err := b.Validate(); err != nil {
		return nil, false, err
	}
	// Priced before the write: a basket the service refuses (its total does
	// not fit) must not replace the stored one.
	lines, total, err := s.price(ctx, b.Items)
	if err != nil {
		return nil, false, err
	}
	b.Status = StatusOpen
	b.CheckoutID = uuid.Must(uuid.NewV7()).String()
	b.UpdatedAt = s.now()
	b.CheckedOutAt, b.ExpiresAt, b.TotalPrice = time.Time{}, time.Time{}, 0
	created, err := s.store.Put(ctx, &b)
	if err != nil {
		return nil, false, err
	}
	return &View{UserName: b.UserName, Items: lines, TotalPrice: total, UpdatedAt: b.UpdatedAt}, created, nil
}

// Get returns the user's open basket, priced. Returns errs.Invalid or
// errs.NotFound.
func (s *Service) Get(ctx context.Context, userName string) (*View, error) {
	if err := checkUserName(userName); err != nil {
		return nil, err
	}
	b, err := s.open(ctx, userName)
	if err != nil {
		return nil, err
	}
	return s.view(ctx, b)
}

// List returns a page of open baskets as stored, without prices. Returns
// errs.Invalid for a cursor the listing did not issue (CheckCursor).
func (s *Service) List(ctx context.Context, r page.Request) (page.Page[*Basket], error) {
	if err := CheckCursor(r.Cursor); err != nil {
		return page.Page[*Basket]{}, err
	}
	return s.store.List(ctx, r)
}

// Delete removes the user's open basket. Returns errs.Invalid or
// errs.NotFound.
func (s *Service) Delete(ctx context.Context, userName string) error {
	if err := checkUserName(userName); err != nil {
		return err
	}
	return s.store.Delete(ctx, userName)
}

// checkUserName returns an errs.Invalid error unless userName is one.
func checkUserName(userName string) error {
	bad := errs.Fields{}
	ValidateUserName(bad, userName)
	return bad.Err()
}

// Ping reports whether the basket's store is reachable.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// open returns the user's open basket; a tombstone counts as absent.
func (s *Service) open(ctx context.Context, userName string) (*Basket, error) {
	b, err := s.store.Get(ctx, userName)
	if err != nil {
		return nil, err
	}
	if !b.Open() {
		return nil, notFound(userName)
	}
	return b, nil
}

func notFound(userName string) error {
	return errs.Errorf(errs.NotFound, "No open basket for user %s.", userName)
}

func (s *Service) view(ctx context.Context, b *Basket) (*View, error) {
	lines, total, err := s.price(ctx, b.Items)
	if err != nil {
		return nil, err
	}
	return &View{UserName: b.UserName, Items: lines, TotalPrice: total, UpdatedAt: b.UpdatedAt}, nil
}

// price prices items at the catalog read model's prices; the total is
// Σ unit price × quantity over the available lines, exactly.
func (s *Service) price(ctx context.Context, items []Item) ([]Line, money.Amount, error) {
	ids := make([]string, 0, len(items))
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		if !seen[it.ProductID] {
			seen[it.ProductID] = true
			ids = append(ids, it.ProductID)
		}
	}
	products, err := s.store.Products(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	lines := make([]Line, len(items))
	var total money.Amount
	for i, it := range items {
		l := Line{ProductID: it.ProductID, Color: it.Color, Quantity: it.Quantity, Status: LinePending}
		if p, ok := products[it.ProductID]; ok {
			l.ProductName, l.Status = p.Name, LineUnavailable
			if !p.Deleted {
				l.Status, l.Available, l.UnitPrice = LinePriced, true, p.Price
				if l.LineTotal, err = p.Price.Times(int64(it.Quantity)); err == nil {
					total, err = total.Plus(l.LineTotal)
				}
				if err != nil {
					return nil, 0, errs.Errorf(errs.Unprocessable, "The basket's total is too large.")
				}
			}
		}
		lines[i] = l
	}
	return lines, total, nil
}
