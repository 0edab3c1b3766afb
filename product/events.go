package product

// Detail types of the events the product module publishes.
const (
	EventCreated = "ProductCreated"
	EventUpdated = "ProductUpdated"
	EventDeleted = "ProductDeleted"
)

// DefaultSource is the source of product events.
const DefaultSource = "com.swn.product"

// Event is the detail of every product event. Consumers keep the one with the
// highest Version: delivery order is not guaranteed.
type Event struct {
	ProductID string `json:"productId"`
	Name      string `json:"name"`
	Category  string `json:"category"`
	// Price is in the same two-decimal form as the API's price.
	Price   string `json:"price"`
	Version int64  `json:"version"`
	Deleted bool   `json:"deleted,omitempty"`
}
