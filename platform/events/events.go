// Package events names the events that cross a module boundary: their
// sources, detail types, the bus they travel on and the layout of the order
// date derived from a checkout. docs/events holds their schemas and golden
// examples; this package holds only the strings.
//
// The names live here, on the shared floor, because both sides of each
// event need them and a module never imports another module: the producer
// stamps them, the consumer subscribes to them and cmd/shop and the AWS bus
// use them as defaults. Defined once, they cannot drift apart. It is not
// docs/events itself, so the binary does not carry the catalog's files.
package events

// The product module publishes these; the basket's price list consumes them.
const (
	// ProductSource is the source of every product event.
	ProductSource = "com.swn.product"
	// ProductCreated announces a new product.
	ProductCreated = "ProductCreated"
	// ProductUpdated announces a changed product.
	ProductUpdated = "ProductUpdated"
	// ProductDeleted announces a removed product.
	ProductDeleted = "ProductDeleted"
)

// The basket module publishes the checkout event; ordering consumes it.
const (
	// CheckoutSource is the source of the checkout event.
	CheckoutSource = "com.swn.basket.checkoutbasket"
	// CheckoutBasket is the detail type of the checkout event.
	CheckoutBasket = "CheckoutBasket"
)

// EventBusName is the EventBridge bus every event travels on.
const EventBusName = "SwnEventBus"

// OrderDateLayout is the fixed-width UTC layout of an order date, which
// ordering derives from the checkout's checkedOutAt and the basket's
// checkout answer quotes. Every date has nine fraction digits, so dates sort
// chronologically as strings (the order stores list newest first by it).
const OrderDateLayout = "2006-01-02T15:04:05.000000000Z"
