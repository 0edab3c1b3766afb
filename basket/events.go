package basket

import (
	"fmt"
	"time"

	"github.com/serverless-shop/shop/platform/events"
	"github.com/serverless-shop/shop/platform/money"
)

// Defaults of the checkout event's envelope, named once in platform/events;
// both are configurable. docs/events holds the event's schema and golden
// example.
const (
	DefaultCheckoutSource     = events.CheckoutSource
	DefaultCheckoutDetailType = events.CheckoutBasket
)

// Detail types of the product events the catalog read model follows.
const (
	productCreated = events.ProductCreated
	productUpdated = events.ProductUpdated
	productDeleted = events.ProductDeleted
)

// ProductEventTypes are the detail types HandleProductEvent consumes.
var ProductEventTypes = []string{productCreated, productUpdated, productDeleted}

// CheckoutEvent is the detail of the checkout event, consumed by ordering.
// Its CheckoutID is the order's id; ordering dedupes on it.
type CheckoutEvent struct {
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

// CheckoutItem is one priced line of a checkout.
type CheckoutItem struct {
	ProductID   string       `json:"productId"`
	ProductName string       `json:"productName"`
	Color       string       `json:"color"`
	Quantity    int          `json:"quantity"`
	UnitPrice   money.Amount `json:"unitPrice"`
	LineTotal   money.Amount `json:"lineTotal"`
}

// productEvent is the detail of a product event, declared here because
// modules never import each other. Price is a two-decimal string.
type productEvent struct {
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	Price     string `json:"price"`
	Version   int64  `json:"version"`
	Deleted   bool   `json:"deleted"`
}

// unitPrice reads the event's price within money's one bound on a price, so
// that every basket priced from it has a total ordering can read: a price
// beyond money.MaxUnitPrice is refused like a malformed one.
func (d *productEvent) unitPrice() (money.Amount, error) {
	p, err := money.Parse(d.Price)
	if err != nil {
		return 0, err
	}
	if p < 0 || p > money.MaxUnitPrice {
		return 0, fmt.Errorf("must be from 0 to %s", money.MaxUnitPrice)
	}
	return p, nil
}
