// Package ordering is the order module: it turns the basket's checkout events
// into stored orders, one per checkout, and serves them by user and date.
package ordering

import (
	"context"
	"time"

	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/events"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/page"
)

// DateLayout is the fixed-width UTC layout of an order date. Every date has
// the same length and nine fraction digits, so dates sort chronologically as
// strings: the stores rely on that for newest-first listings. It is named
// once in platform/events, since the basket quotes the same date.
const DateLayout = events.OrderDateLayout

// StatusSubmitted is the status of a newly created order.
const StatusSubmitted = "Submitted"

// Order is one checked-out basket. It is keyed by UserName and OrderDate.
type Order struct {
	UserName      string       `json:"userName"`
	OrderDate     string       `json:"orderDate"`
	OrderID       string       `json:"orderId"`
	Items         []Item       `json:"items"`
	TotalPrice    money.Amount `json:"totalPrice"`
	FirstName     string       `json:"firstName"`
	LastName      string       `json:"lastName"`
	Email         string       `json:"email"`
	Address       string       `json:"address"`
	PaymentMethod int          `json:"paymentMethod"`
	CardLast4     string       `json:"cardLast4"`
	Status        string       `json:"status"`
	CreatedAt     time.Time    `json:"createdAt"`
}

// Item is one line of an order, priced when the basket was checked out.
type Item struct {
	ProductID   string       `json:"productId"`
	ProductName string       `json:"productName"`
	Color       string       `json:"color"`
	Quantity    int64        `json:"quantity"`
	UnitPrice   money.Amount `json:"unitPrice"`
	LineTotal   money.Amount `json:"lineTotal"`
}

// FormatDate renders t as an order date in DateLayout.
func FormatDate(t time.Time) string { return t.UTC().Format(DateLayout) }

// ParseDate reads an RFC 3339 timestamp with any (or no) fraction and any
// offset and returns it normalised to DateLayout. It returns an errs.Invalid
// error naming the field orderDate.
func ParseDate(s string) (string, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", errs.Fields{"orderDate": "must be an RFC 3339 timestamp, e.g. 2026-11-27T08:00:00.123456789Z"}.Err()
	}
	return FormatDate(t), nil
}

// Store keeps orders. It offers storage primitives; whether a checkout is
// a duplicate is the service's decision (HandleCheckout).
type Store interface {
	// Create stores o if no order has its key (UserName, OrderDate) and
	// reports whether it did; a taken key stores nothing and is not an error.
	Create(ctx context.Context, o *Order) (created bool, err error)
	// Get returns errs.NotFound if the user has no order at that date.
	Get(ctx context.Context, userName, orderDate string) (*Order, error)
	// ListByUser returns a page of the user's orders, newest first.
	ListByUser(ctx context.Context, userName string, r page.Request) (page.Page[*Order], error)
	// List returns a page of all orders, in no particular order.
	List(ctx context.Context, r page.Request) (page.Page[*Order], error)
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
}

// Cursor keys: every listing's cursor is the key of the last order returned.
const (
	CursorUser = "userName"
	CursorDate = "orderDate"
)

// checkCursor holds a cursor to the shape of an order key (page.Check),
// the listed user's when userName is set, with a date in DateLayout.
// Returns errs.Invalid.
func checkCursor(c page.Cursor, userName string) error {
	var err error
	if userName == "" {
		err = page.Check(c, nil, CursorUser, CursorDate)
	} else {
		err = page.Check(c, map[string]string{CursorUser: userName}, CursorDate)
	}
	if err != nil || c == nil {
		return err
	}
	if _, err := time.Parse(DateLayout, c[CursorDate]); err != nil {
		return page.Foreign()
	}
	return nil
}
