package basket

import (
	"time"

	"github.com/serverless-shop/shop/platform/money"
)

// Defaults of the checkout event's envelope; both are configurable.
const (
	DefaultCheckoutSource     = "com.swn.basket.checkoutbasket"
	DefaultCheckoutDetailType = "CheckoutBasket"
)

// Detail types of the product events the catalog read model follows.
const (
	productCreated = "ProductCreated"
	productUpdated = "ProductUpdated"
	productDeleted = "ProductDeleted"
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
