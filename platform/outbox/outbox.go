// Package outbox makes a state change and the events it causes atomic: a
// module writes its events into an outbox in the same transaction as its
// state, and a Relay moves them to the bus afterwards. A crash between the
// two loses nothing; at worst an event is published twice, which the bus
// contract already allows.
//
// An event the bus refuses is retried with backoff, its attempts counted
// with it in the outbox; after the last attempt it moves to the outbox's own
// dead letters, from where an operator replays it. A refused event never
// holds back the events behind it: consumers keep the highest version of an
// aggregate and de-duplicate by event, so they rely on no order.
package outbox

import (
	"context"
	"errors"
	"time"

	"github.com/serverless-shop/shop/platform/bus"
)

// Store is a module's outbox, read by the Relay. Stores offer primitives;
// the Relay decides when an event is retried or given up on.
type Store interface {
	// Pending returns up to limit events not yet published, oldest first.
	Pending(ctx context.Context, limit int) ([]bus.Envelope, error)
	// Scan returns up to limit waiting records whose ID sorts after after
	// ("" for the first page), in ID order, with their attempts so far.
	Scan(ctx context.Context, after string, limit int) ([]Record, error)
	// Remove forgets published events; unknown ids are ignored.
	Remove(ctx context.Context, ids ...string) error
	// Fail stores each failure's attempt count, last error and next attempt
	// time with its waiting event, or moves the event to the dead letters
	// when Dead is set; a failure whose event is no longer waiting is ignored.
	Fail(ctx context.Context, failures ...Failure) error
	// DeadLetters returns up to limit dead letters (all when limit <= 0),
	// in ID order.
	DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error)
	// Revive moves the dead letter id, or every dead letter when id is nil,
	// back to the waiting events with no attempts, and returns how many it moved.
	Revive(ctx context.Context, id *string) (int, error)
}

// Record is a waiting event and what the relay has tried with it.
type Record struct {
	bus.Envelope
	// Attempts is how many times the bus refused the event.
	Attempts int `json:"outbox_attempts,omitempty"`
	// LastError is why the bus last refused it.
	LastError string `json:"outbox_last_error,omitempty"`
	// NextAt is the earliest time of the next attempt; zero means now.
	NextAt time.Time `json:"outbox_next_at,omitzero"`
}

// Failure is one refused attempt of the event ID, as the Relay records it.
type Failure struct {
	ID        string
	Attempts  int
	LastError string
	NextAt    time.Time
	// Dead moves the event to the dead letters instead.
	Dead bool
	// At is when the attempt failed.
	At time.Time
}

// DeadLetter is an event the relay gave up on after its last attempt; its
// fields match the local bus's dead letters, so an operator reads both alike.
type DeadLetter struct {
	Envelope  bus.Envelope
	Outbox    string
	Attempts  int
	LastError string
	FailedAt  time.Time
}

// Stats is what an outbox holds at one moment, for metrics.
type Stats struct {
	// Depth is how many events wait to be published.
	Depth int
	// Oldest is the Time of the oldest waiting event; zero when none waits.
	Oldest time.Time
	// DeadLetters is how many events the relay gave up on.
	DeadLetters int
}

// ErrNotFound is returned by Relay.Replay for an id that is no dead letter.
var ErrNotFound = errors.New("outbox: no such dead letter")

// deadRecord is how both stores keep a dead letter.
type deadRecord struct {
	Record
	FailedAt time.Time `json:"outbox_failed_at"`
}

func (d deadRecord) letter(outbox string) DeadLetter {
	return DeadLetter{Envelope: d.Envelope, Outbox: outbox, Attempts: d.Attempts, LastError: d.LastError, FailedAt: d.FailedAt}
}
