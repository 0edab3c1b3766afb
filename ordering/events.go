package ordering

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/events"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/text"
)

// Defaults of the checkout event this module consumes, named once in
// platform/events; cmd/shop may configure others. docs/events holds the
// event's schema and golden example.
const (
	DefaultCheckoutSource     = events.CheckoutSource
	DefaultCheckoutDetailType = events.CheckoutBasket
)

// Checkout is ordering's own reading of the basket's checkout event detail
// (the basket declares its type in its own module; modules never import each
// other, so this struct is the consumer's half of the contract).
type Checkout struct {
	CheckoutID    string         `json:"checkoutId"`
	UserName      string         `json:"userName"`
	CheckedOutAt  time.Time      `json:"checkedOutAt"`
	FirstName     string         `json:"firstName"`
	LastName      string         `json:"lastName"`
	Email         string         `json:"email"`
	Address       string         `json:"address"`
	PaymentMethod int            `json:"paymentMethod"`
	CardLast4     string         `json:"cardLast4"`
	Items         []CheckoutItem `json:"items"`
	TotalPrice    money.Amount   `json:"totalPrice"`
}

// CheckoutItem is one line of a Checkout.
type CheckoutItem struct {
	ProductID   string       `json:"productId"`
	ProductName string       `json:"productName"`
	Color       string       `json:"color"`
	Quantity    int64        `json:"quantity"`
	UnitPrice   money.Amount `json:"unitPrice"`
	LineTotal   money.Amount `json:"lineTotal"`
}

// maxKey bounds the key fields, well under DynamoDB's key size limits.
const maxKey = 200

// Validate checks the detail is one an order can be built from: keys present,
// one to money.MaxLines lines, each within money's bounds, and every total
// exact (a line is unit price × quantity, the order is the sum of its lines,
// summed with overflow checks). It returns an errs.Invalid error.
func (c *Checkout) Validate() error {
	bad := errs.Fields{}
	switch {
	case c.CheckoutID == "":
		bad.Add("checkoutId", "is required")
	case utf8.RuneCountInString(c.CheckoutID) > maxKey:
		bad.Add("checkoutId", "is too long")
	}
	// The rule of every route, so that every order can be asked for; it
	// also keeps out NUL, which separates the user from the date in the
	// embedded store's keys.
	text.CheckUserName(bad, "userName", c.UserName)
	if c.CheckedOutAt.IsZero() {
		bad.Add("checkedOutAt", "is required")
	}
	if c.CardLast4 != "" && (len(c.CardLast4) != 4 || strings.Trim(c.CardLast4, "0123456789") != "") {
		bad.Add("cardLast4", "must be four digits")
	}
	if len(c.Items) == 0 || len(c.Items) > money.MaxLines {
		bad.Add("items", fmt.Sprintf("must hold 1 to %d lines", money.MaxLines))
	}
	sum, sumErr := money.Amount(0), error(nil)
	for i, it := range c.Items {
		f := fmt.Sprintf("items[%d].", i)
		if it.ProductID == "" {
			bad.Add(f+"productId", "is required")
		}
		if it.Quantity < 1 || it.Quantity > money.MaxQuantity {
			bad.Add(f+"quantity", fmt.Sprintf("must be from 1 to %d", money.MaxQuantity))
		}
		if it.UnitPrice < 0 || it.UnitPrice > money.MaxUnitPrice {
			bad.Add(f+"unitPrice", "must be from 0 to "+money.MaxUnitPrice.String())
		}
		if line, err := it.UnitPrice.Times(it.Quantity); err != nil || line != it.LineTotal {
			bad.Add(f+"lineTotal", "must be unitPrice × quantity")
		}
		if sumErr == nil {
			sum, sumErr = sum.Plus(it.LineTotal)
		}
	}
	if sumErr != nil || sum != c.TotalPrice {
		bad.Add("totalPrice", "must be the sum of the line totals")
	}
	return bad.Err()
}

// Order builds the submitted order for the checkout, created at now.
func (c *Checkout) Order(now time.Time) *Order {
	items := make([]Item, len(c.Items))
	for i, it := range c.Items {
		items[i] = Item(it)
	}
	return &Order{
		UserName: c.UserName, OrderDate: FormatDate(c.CheckedOutAt), OrderID: c.CheckoutID,
		Items: items, TotalPrice: c.TotalPrice,
		FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Address: c.Address,
		PaymentMethod: c.PaymentMethod, CardLast4: c.CardLast4,
		Status: StatusSubmitted, CreatedAt: now.UTC(),
	}
}
