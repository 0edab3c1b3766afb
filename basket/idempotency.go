package basket

import (
	"time"

	"github.com/serverless-shop/shop/platform/errs"
)

// IdempotencyTTL is how long a checkout stays recorded under the client's
// idempotency key, as long as its tombstone answers plain retries.
const IdempotencyTTL = TombstoneTTL

// IdempotencyKeyField names the idempotency key in validation errors: it
// travels as the Idempotency-Key header, not in the body.
const IdempotencyKeyField = "Idempotency-Key"

// maxIdempotencyKey is the longest idempotency key, in bytes.
const maxIdempotencyKey = 255

// ValidateIdempotencyKey checks a client's idempotency key: 1–255 visible
// ASCII characters (0x21–0x7E). The empty key means "no key" and is left to
// the caller, which alone knows whether the client sent one.
func ValidateIdempotencyKey(bad errs.Fields, key string) {
	if key == "" {
		return
	}
	if len(key) > maxIdempotencyKey {
		bad.Add(IdempotencyKeyField, "must be at most 255 characters")
		return
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			bad.Add(IdempotencyKeyField, "may hold only visible ASCII characters")
			return
		}
	}
}

// KeyedReceipt is a checkout's receipt recorded under the idempotency key
// its request carried, scoped to the user. Until ExpiresAt, a checkout with
// the same user and key answers Receipt and writes nothing, whatever the
// user's basket has become since.
type KeyedReceipt struct {
	Key       string
	Receipt   Receipt
	ExpiresAt time.Time
	// Replaces is the CheckoutID of the expired record under the same key
	// that this one replaces, "" when the key has none. It is the version a
	// store's write is conditioned on: the store records this receipt only
	// if the record under the key is still that one (absent for ""), and
	// otherwise returns errs.ErrLostRace. Whether a record has expired is
	// the service's decision, never the store's.
	Replaces string
}

// Live reports whether r still answers requests at now.
func (r *KeyedReceipt) Live(now time.Time) bool { return now.Before(r.ExpiresAt) }

// Expiry is the one expiry rule of tombstones and idempotency records: ttl
// after from, in whole seconds. DynamoDB's TTL attribute holds epoch
// seconds, so every backend keeps the same instant and judges it alike.
func Expiry(from time.Time, ttl time.Duration) time.Time {
	return from.Add(ttl).Truncate(time.Second)
}

// keyedReceipt is what a checkout of tomb records under req's idempotency
// key in place of prev (expired, or nil), or nil for a request without key.
func keyedReceipt(req *CheckoutRequest, tomb *Basket, prev *KeyedReceipt) *KeyedReceipt {
	if req.IdempotencyKey == "" {
		return nil
	}
	rec := &KeyedReceipt{Key: req.IdempotencyKey, Receipt: *receipt(tomb), ExpiresAt: Expiry(tomb.CheckedOutAt, IdempotencyTTL)}
	if prev != nil {
		rec.Replaces = prev.Receipt.CheckoutID
	}
	return rec
}
