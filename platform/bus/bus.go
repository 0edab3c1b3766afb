// Package bus is the contract between modules: an event envelope, a publisher
// side and a subscriber side. Modules import only this package; they never
// import each other or a bus implementation.
//
// Guarantees every implementation gives (and platform/bus/bustest checks):
//   - Publish returns nil only once every event is durably accepted: a crash
//     after a nil return loses nothing.
//   - Delivery is at-least-once. A handler can see the same event (same ID)
//     more than once, so handlers must be idempotent.
//   - Ordering between events is not guaranteed.
//   - A handler that returns an error gets the event again later, with
//     backoff; after a bounded number of attempts the event is dead-lettered.
//   - All methods are safe for concurrent use.
//   - Close stops delivery, cancels the context of running handlers, waits for
//     them to return and releases resources; events not yet delivered (or
//     whose handler was cancelled) stay stored for the next start.
package bus

import (
	"context"
	"encoding/json"
	"time"
)

// Envelope is one event. Its fields map one-to-one onto an EventBridge event:
// Source ↔ source, DetailType ↔ detail-type, Time ↔ time, Detail ↔ detail,
// and ID ↔ an entry of resources (EventBridge assigns its own id, so the
// AWS bus carries ours as "urn:shop:event-id:<ID>"; see platform/bus/awsbus).
//
// TraceParent and TraceState are the W3C trace context (the traceparent and
// tracestate headers) of the span the event belongs to, empty when nothing
// was traced. Every bus delivers them with the event, so that a consumer's
// span joins the producer's trace (platform/tracing); the AWS bus carries
// them as resources too.
type Envelope struct {
	ID          string          `json:"id"`
	Source      string          `json:"source"`
	DetailType  string          `json:"detail-type"`
	Time        time.Time       `json:"time"`
	Detail      json.RawMessage `json:"detail"`
	TraceParent string          `json:"traceparent,omitempty"`
	TraceState  string          `json:"tracestate,omitempty"`
}

// Handler processes one event. Returning an error asks for redelivery. Its
// context carries the bus's logger with the subscription and event fields
// (zerolog.Ctx(ctx)): that is how a handler gets its logger, on every bus.
type Handler func(ctx context.Context, e Envelope) error

// Publisher accepts events for delivery.
type Publisher interface {
	// Publish durably accepts events; on a nil return none of them can be lost.
	Publish(ctx context.Context, events ...Envelope) error
}

// Subscriber registers handlers for detail types.
type Subscriber interface {
	// Subscribe registers h under a stable subscription name for events whose
	// DetailType is one of detailTypes. Subscriptions are made before the bus
	// starts delivering.
	Subscribe(name string, detailTypes []string, h Handler) error
}

// New returns an envelope with a fresh ID and the current time, detail
// marshalled from v.
func New(id, source, detailType string, v any) (Envelope, error) {
	detail, err := json.Marshal(v)
	if err != nil {
		return Envelope{}, err
	}
	return Envelope{ID: id, Source: source, DetailType: detailType, Time: time.Now().UTC(), Detail: detail}, nil
}
