package product

import "github.com/serverless-shop/shop/platform/events"

// Detail types of the events the product module publishes, named once in
// platform/events; docs/events holds their schema and golden examples.
const (
	EventCreated = events.ProductCreated
	EventUpdated = events.ProductUpdated
	EventDeleted = events.ProductDeleted
)

// DefaultSource is the source of product events.
const DefaultSource = events.ProductSource

// Event is the detail of every product event. Consumers keep the one with the
// highest Version: delivery order is not guaranteed.
type Event struct {
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	Category  string `json:"category"`
	// Price is in the same two-decimal form as the API's price, at most
	// money.MaxUnitPrice.
	Price   string `json:"price"`
	Version int64  `json:"version"`
	Deleted bool   `json:"deleted,omitempty"`
}
