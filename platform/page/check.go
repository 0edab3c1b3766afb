package page

import (
	"strings"

	"github.com/serverless-shop/shop/platform/errs"
)

// MaxKeyBytes is the longest value a cursor may hold: the longest key value
// any store can keep (a DynamoDB sort key). Longer values cannot come from a
// stored item, and DynamoDB would answer them with a validation error.
const MaxKeyBytes = 1024

// Check is the one rule of what cursor a client may send back to a listing:
// nil, or exactly the key attributes of the listing's items, fixed and free.
// Fixed keys must hold the given value (the user or category the listing is
// about, so a cursor of another listing is refused); free keys may hold any
// value a key can hold: not empty, no NUL (the embedded stores' separator),
// at most MaxKeyBytes. A store therefore never sees a start key it cannot
// use. It returns an errs.Invalid error naming the field cursor.
func Check(c Cursor, fixed map[string]string, free ...string) error {
	if c == nil {
		return nil
	}
	if len(c) != len(fixed)+len(free) {
		return Foreign()
	}
	for k, want := range fixed {
		if v, ok := c[k]; !ok || v != want || !keyValue(v) {
			return Foreign()
		}
	}
	for _, k := range free {
		if v, ok := c[k]; !ok || !keyValue(v) {
			return Foreign()
		}
	}
	return nil
}

// keyValue reports whether v can be the value of a stored key.
func keyValue(v string) bool {
	return v != "" && len(v) <= MaxKeyBytes && !strings.ContainsRune(v, 0)
}

// Foreign returns the errs.Invalid error of a cursor that the listing did not
// issue, for a listing that checks more than Check does.
func Foreign() error {
	return errs.Fields{"cursor": "is not a cursor this server issued for this listing"}.Err()
}
