package basket

import (
	"slices"
	"strings"
	"time"

	"github.com/serverless-shop/shop/platform/errs"
)

// LineStatus says whether a basket line could be priced, and if not, why.
type LineStatus string

// Line states. The price list is fed by product events, so it lags the
// catalog: a product it has not heard of yet is pending (retry shortly),
// one it knows was deleted is unavailable (retrying cannot help).
const (
	LinePriced      LineStatus = "priced"
	LinePending     LineStatus = "pending"
	LineUnavailable LineStatus = "unavailable"
)

// PendingRetryAfter is how long a client is told to wait before retrying a
// checkout refused for a pending line: the price list hears of a new product
// within milliseconds on the local bus (see README, Pending lines) and within
// seconds on AWS, and Retry-After counts whole seconds.
const PendingRetryAfter = time.Second

// PendingError refuses a checkout whose basket holds lines the price list
// has not heard of yet: lag, not absence, so the client should retry after
// PendingRetryAfter. Its code is errs.Conflict; the HTTP layer gives it a
// problem type of its own.
type PendingError struct {
	// ProductIDs are the pending products, each once.
	ProductIDs []string
}

// Error implements the error interface.
func (e *PendingError) Error() string { return e.Unwrap().Error() }

// Unwrap returns the errs.Conflict error that e is, for errs.Code.
func (e *PendingError) Unwrap() error {
	return &errs.Error{Code: errs.Conflict, RetryAfter: PendingRetryAfter,
		Message: "These products are not in the basket's price list yet: " + strings.Join(e.ProductIDs, ", ") + "; retry shortly."}
}

// unpriced returns why lines cannot be checked out, or nil if every line
// is priced. A deleted product is errs.Unprocessable, since retrying cannot
// help, and wins over a pending one, which is a *PendingError.
func unpriced(lines []Line) error {
	var gone, pending []string
	for _, l := range lines {
		switch {
		case l.Status == LineUnavailable && !slices.Contains(gone, l.ProductID):
			gone = append(gone, l.ProductID)
		case l.Status == LinePending && !slices.Contains(pending, l.ProductID):
			pending = append(pending, l.ProductID)
		}
	}
	if len(gone) > 0 {
		return errs.Errorf(errs.Unprocessable, "These products are no longer available: %s.", strings.Join(gone, ", "))
	}
	if len(pending) > 0 {
		return &PendingError{ProductIDs: pending}
	}
	return nil
}
