package bus

import "time"

// Observer is told what a bus does with events, so that metrics can count
// it. A bus calls it on its publish and delivery paths, from many
// goroutines at once: implementations must be safe for concurrent use and
// cheap, and must not block.
type Observer interface {
	// Published counts one event of detailType that the bus accepted.
	Published(detailType string)
	// Delivered counts a handler call of subscription that succeeded, for an
	// event stamped eventTime (Envelope.Time): the observer measures the
	// delivery lag from it.
	Delivered(subscription string, eventTime time.Time)
	// Failed counts a failed attempt of subscription: a handler error, or a
	// message it could not read or route ("" when the bus could not tell
	// whose message it was).
	Failed(subscription string)
	// DeadLettered counts an event that subscription gave up on after its
	// last attempt.
	DeadLettered(subscription string)
}

// NopObserver observes nothing; it is every bus's default.
type NopObserver struct{}

var _ Observer = NopObserver{}

// Published implements Observer.
func (NopObserver) Published(string) {}

// Delivered implements Observer.
func (NopObserver) Delivered(string, time.Time) {}

// Failed implements Observer.
func (NopObserver) Failed(string) {}

// DeadLettered implements Observer.
func (NopObserver) DeadLettered(string) {}
