package ordering

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/page"
	"github.com/serverless-shop/shop/platform/text"
)

// Service is the ordering module's use cases.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns the ordering service over store.
func NewService(store Store) *Service {
	return &Service{store: store, now: time.Now}
}

// HandleCheckout is the bus handler of the checkout event: it stores the
// order the checkout describes, logging through the logger the bus puts in
// ctx (with the subscription and event fields). Delivery is at-least-once, so a checkout
// whose order is already stored (a redelivery, even under another envelope
// ID) stores nothing and returns nil. Store errors are returned so the bus
// redelivers.
func (s *Service) HandleCheckout(ctx context.Context, e bus.Envelope) error {
	log := zerolog.Ctx(ctx)
	c, err := decodeCheckout(e.Detail)
	if err != nil {
		// Retrying cannot fix a malformed detail, but dropping it would lose a
		// checkout the basket already accepted. Returning the error lets the
		// bus dead-letter it after its attempts, where an operator can read
		// and replay it; the log carries no customer data.
		log.Error().Err(err).Msg("malformed checkout event")
		return fmt.Errorf("malformed checkout event %s: %w", e.ID, err)
	}
	o := c.Order(s.now())
	created, err := s.create(ctx, o)
	if err != nil {
		return err
	}
	log.Info().Str("order_id", o.OrderID).Str("user_name", o.UserName).Str("order_date", o.OrderDate).
		Bool("duplicate", !created).Msg("checkout ordered")
	return nil
}

// create stores o unless its checkout is already ordered. The order's key
// is the user and the checkout time, so a redelivered checkout finds its
// key taken; what tells a duplicate from another checkout of the same user
// at the same instant is the order ID, which is the checkout ID. It returns
// errs.Conflict for another checkout at o's key, which no redelivery can
// resolve, so the bus dead-letters it for an operator.
func (s *Service) create(ctx context.Context, o *Order) (created bool, err error) {
	created, err = s.store.Create(ctx, o)
	if err != nil || created {
		return created, wrap(err, "create order", o)
	}
	old, err := s.store.Get(ctx, o.UserName, o.OrderDate)
	if err != nil {
		// Orders are never deleted, so a taken key that reads as absent is
		// a store fault: retried by the bus like any other.
		return false, wrap(err, "read order at taken key", o)
	}
	if old.OrderID != o.OrderID {
		return false, errs.Errorf(errs.Conflict, "Checkout %s of %s at %s: the user already has order %s at that time.",
			o.OrderID, o.UserName, o.OrderDate, old.OrderID)
	}
	return false, nil
}

// wrap names the operation and the order's key and ID in err.
func wrap(err error, op string, o *Order) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s (user %s at %s): %w", op, o.OrderID, o.UserName, o.OrderDate, err)
}

// decodeCheckout reads and validates a checkout detail. Unknown fields are
// accepted so that the producer can add fields without breaking ordering.
func decodeCheckout(detail []byte) (*Checkout, error) {
	var c Checkout
	if err := json.Unmarshal(detail, &c); err != nil {
		return nil, errs.Errorf(errs.Invalid, "decode checkout detail: %v", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Get returns the user's order at orderDate, an RFC 3339 timestamp with any
// fraction. Returns errs.Invalid or errs.NotFound.
func (s *Service) Get(ctx context.Context, userName, orderDate string) (*Order, error) {
	if err := checkUser(userName); err != nil {
		return nil, err
	}
	date, err := ParseDate(orderDate)
	if err != nil {
		return nil, err
	}
	return s.store.Get(ctx, userName, date)
}

// ListByUser returns a page of the user's orders, newest first.
// Returns errs.Invalid for a cursor of another listing.
func (s *Service) ListByUser(ctx context.Context, userName string, r page.Request) (page.Page[*Order], error) {
	if err := checkUser(userName); err != nil {
		return page.Page[*Order]{}, err
	}
	if err := checkCursor(r.Cursor, userName); err != nil {
		return page.Page[*Order]{}, err
	}
	return s.store.ListByUser(ctx, userName, r)
}

// List returns a page of all orders. Returns errs.Invalid for a bad cursor.
func (s *Service) List(ctx context.Context, r page.Request) (page.Page[*Order], error) {
	if err := checkCursor(r.Cursor, ""); err != nil {
		return page.Page[*Order]{}, err
	}
	return s.store.List(ctx, r)
}

// Ping reports whether the order store is reachable.
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// checkUser holds a user name asked for to the rule of every route.
func checkUser(userName string) error {
	bad := errs.Fields{}
	text.CheckUserName(bad, "userName", userName)
	return bad.Err()
}
