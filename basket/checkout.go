package basket

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/text"
)

// maxRaces bounds how often a checkout re-reads a basket changed under it.
const maxRaces = 10

// CheckoutRequest is what a user sends to check out. CardInfo is used only
// for its last four digits and is never stored.
type CheckoutRequest struct {
	UserName      string
	FirstName     string
	LastName      string
	Email         string
	Address       string
	PaymentMethod int
	CardInfo      string
	// IdempotencyKey, when set, names this checkout for the client: every
	// request with the same user and key within IdempotencyTTL answers the
	// first one's receipt, even after a new basket was created.
	IdempotencyKey string
}

// Validate checks the request: every text is valid UTF-8 without control
// characters. It returns an errs.Invalid error naming every offending field.
func (r *CheckoutRequest) Validate() error {
	bad := errs.Fields{}
	ValidateUserName(bad, r.UserName)
	text.CheckName(bad, "firstName", r.FirstName, 200)
	text.CheckName(bad, "lastName", r.LastName, 200)
	text.Check(bad, "email", r.Email, 200)
	text.Check(bad, "address", r.Address, 1000)
	if r.Email != "" && !strings.Contains(r.Email, "@") {
		bad.Add("email", "must be an email address")
	}
	// The reference's own sample card is ten digits, so only the shape is
	// checked: no card data is ever charged or kept beyond its last four.
	if c := r.CardInfo; c != "" && (len(c) < 4 || len(c) > 19 || strings.Trim(c, "0123456789") != "") {
		bad.Add("cardInfo", "must be 4 to 19 digits")
	}
	ValidateIdempotencyKey(bad, r.IdempotencyKey)
	return bad.Err()
}

// cardLast4 is all that is kept of the card number.
func (r *CheckoutRequest) cardLast4() string {
	if len(r.CardInfo) < 4 {
		return ""
	}
	return r.CardInfo[len(r.CardInfo)-4:]
}

// Receipt is the answer to a checkout, the same for every retry of it.
type Receipt struct {
	CheckoutID string
	UserName   string
	// CheckedOutAt is when the checkout was accepted; ordering derives the
	// order date from it.
	CheckedOutAt time.Time
	TotalPrice   money.Amount
}

func receipt(b *Basket) *Receipt {
	return &Receipt{CheckoutID: b.CheckoutID, UserName: b.UserName, CheckedOutAt: b.CheckedOutAt, TotalPrice: b.TotalPrice}
}

// Checkout prices the user's open basket, turns it into a tombstone and
// emits the checkout event, atomically. A retry that finds the live
// tombstone gets the same receipt and emits nothing. With an idempotency
// key, the receipt is also recorded under the key in the same transaction,
// and a request whose key is recorded and live gets that receipt and writes
// nothing, whatever the basket's state. Returns errs.Invalid,
// errs.NotFound, errs.Conflict for a basket with a pending line (see
// ErrPending) or one changed concurrently too often, or errs.Unprocessable
// for an empty basket or one holding products the catalog no longer offers.
func (s *Service) Checkout(ctx context.Context, req CheckoutRequest) (*Receipt, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	for range maxRaces {
		b, err := s.store.Get(ctx, req.UserName)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return nil, err
		}
		now := s.now()
		var prev *KeyedReceipt
		if req.IdempotencyKey != "" {
			// Read after the basket: a tombstone that this key wrote is then
			// always matched by its record, so a request that lost a race to
			// its own twin answers the winner's receipt.
			prev, err = s.store.KeyedReceipt(ctx, req.UserName, req.IdempotencyKey)
			if err != nil && !errs.Is(err, errs.NotFound) {
				return nil, err
			}
			if prev != nil && prev.Live(now) {
				r := prev.Receipt
				return &r, nil
			}
		}
		if b == nil {
			return nil, notFound(req.UserName)
		}
		if !b.Open() {
			if tombstoneLive(b, now) {
				return receipt(b), nil
			}
			return nil, notFound(req.UserName)
		}
		tomb, events, err := s.checkout(ctx, b, &req, now)
		if err != nil {
			return nil, err
		}
		err = s.store.CheckOut(ctx, tomb, keyedReceipt(&req, tomb, prev), events)
		if errors.Is(err, errs.ErrLostRace) {
			// Replaced or checked out meanwhile, or the key was recorded by a
			// concurrent twin: read both again.
			continue
		}
		if err != nil {
			return nil, err
		}
		s.committed()
		return receipt(tomb), nil
	}
	return nil, errs.Errorf(errs.Conflict, "The basket of %s is being changed concurrently; retry.", req.UserName)
}

// tombstoneLive is the tombstone rule: a checked-out basket answers retried
// checkouts until it expires and is otherwise treated as absent.
func tombstoneLive(b *Basket, now time.Time) bool { return now.Before(b.ExpiresAt) }

// checkout returns the tombstone of b and its checkout event.
func (s *Service) checkout(ctx context.Context, b *Basket, req *CheckoutRequest, now time.Time) (*Basket, []bus.Envelope, error) {
	if len(b.Items) == 0 {
		return nil, nil, errs.Errorf(errs.Unprocessable, "The basket of %s is empty.", b.UserName)
	}
	lines, total, err := s.price(ctx, b.Items)
	if err != nil {
		return nil, nil, err
	}
	items := make([]CheckoutItem, len(lines))
	for i, l := range lines {
		items[i] = CheckoutItem{ProductID: l.ProductID, ProductName: l.ProductName, Color: l.Color,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, LineTotal: l.LineTotal}
	}
	if err := unpriced(lines); err != nil {
		return nil, nil, err
	}
	tomb := *b
	tomb.Status, tomb.UpdatedAt = StatusCheckedOut, now
	tomb.CheckedOutAt, tomb.ExpiresAt, tomb.TotalPrice = now, Expiry(now, TombstoneTTL), total
	e, err := bus.New(uuid.Must(uuid.NewV7()).String(), s.checkoutSource, s.checkoutDetailType, CheckoutEvent{
		CheckoutID: b.CheckoutID, UserName: b.UserName, CheckedOutAt: now,
		FirstName: req.FirstName, LastName: req.LastName, Email: req.Email, Address: req.Address,
		PaymentMethod: req.PaymentMethod, CardLast4: req.cardLast4(), Items: items, TotalPrice: total,
	})
	if err != nil {
		return nil, nil, errs.Errorf(errs.Internal, "encode event: %v", err)
	}
	e.Time = now
	return &tomb, []bus.Envelope{e}, nil
}
