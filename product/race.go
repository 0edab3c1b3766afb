package product

import (
	"context"
	"errors"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/serverless-shop/shop/platform/errs"
)

// MaxRaces bounds the attempts of one write that keeps losing races to
// concurrent writes of the same product; the client is then told to retry
// (errs.ErrLostRace, a 409).
const MaxRaces = 5

// raceBackOff waits a few milliseconds, growing and jittered, between
// attempts: two writers that lost to each other (a DynamoDB transaction
// conflict cancels both) must not meet again at once.
func raceBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = 5*time.Millisecond, 100*time.Millisecond
	return b
}

// retryRaces runs op until it does not lose a race, at most MaxRaces
// times. Any other outcome is final. Losing every time returns the last
// errs.ErrLostRace.
func retryRaces[T any](ctx context.Context, op func() (T, error)) (T, error) {
	return backoff.Retry(ctx, func() (T, error) {
		v, err := op()
		if err != nil && !errors.Is(err, errs.ErrLostRace) {
			return v, backoff.Permanent(err)
		}
		return v, err
	}, backoff.WithBackOff(raceBackOff()), backoff.WithMaxTries(MaxRaces), backoff.WithMaxElapsedTime(0))
}
