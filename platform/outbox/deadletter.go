package outbox

import (
	"context"
	"fmt"
)

// DeadLetters lists up to limit of the events this relay gave up on (all
// of them when limit <= 0), ordered by event ID.
func (r *Relay) DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error) {
	dls, err := r.store.DeadLetters(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox %s: dead letters: %w", r.name, err)
	}
	for i := range dls {
		dls[i].Outbox = r.name
	}
	return dls, nil
}

// Replay moves the dead letter with event ID id back to the outbox with its
// attempts reset and wakes the relay. It returns ErrNotFound when there is
// no such dead letter.
func (r *Relay) Replay(ctx context.Context, id string) error {
	n, err := r.store.Revive(ctx, &id)
	if err != nil {
		return fmt.Errorf("outbox %s: replay %s: %w", r.name, id, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s/%s", ErrNotFound, r.name, id)
	}
	r.Notify()
	return nil
}

// ReplayAll moves every dead letter back, as Replay does, and returns how
// many it moved.
func (r *Relay) ReplayAll(ctx context.Context) (int, error) {
	n, err := r.store.Revive(ctx, nil)
	if err != nil {
		return n, fmt.Errorf("outbox %s: replay: %w", r.name, err)
	}
	if n > 0 {
		r.Notify()
	}
	return n, nil
}

// Name is the outbox's name, as given by WithName.
func (r *Relay) Name() string { return r.name }
