// Package errs is the one error vocabulary of the shop: a small error type
// with codes that the HTTP layer maps to statuses in one place.
package errs

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Error codes. Each maps to one HTTP status in platform/httpx.
const (
	Invalid       = "invalid"       // the request is malformed or fails validation
	Unauthorized  = "unauthorized"  // no valid credentials came with the request
	Forbidden     = "forbidden"     // the caller is known but may not do this
	NotFound      = "not_found"     // the resource does not exist
	Conflict      = "conflict"      // the request conflicts with the current state
	Unprocessable = "unprocessable" // well-formed, but the current state forbids it
	Timeout       = "timeout"       // the request body did not arrive in time
	TooLarge      = "too_large"     // the request body is too large
	Unsupported   = "unsupported"   // the request has the wrong content type
	Unavailable   = "unavailable"   // a dependency is not reachable
	Internal      = "internal"      // anything else: logged, never shown to clients
)

// ErrLostRace is what a store returns when a conditional write or a
// transaction lost to a concurrent change of the same item: the version or
// status it was conditioned on no longer holds, or DynamoDB cancelled the
// transaction for a conflict. A service decides what losing means (re-read
// and retry, or tell the client); every adapter maps its own form of the
// failure onto this one error, compared with errors.Is.
var ErrLostRace = &Error{Code: Conflict, Message: "The resource was changed concurrently; retry."}

// Error is an application error with a code safe to show to clients.
type Error struct {
	Code    string
	Message string
	// Fields names the offending input fields of an Invalid error, with why.
	Fields map[string]string
	// RetryAfter, when positive, is how long the client should wait before
	// trying again; the HTTP layer sends it as Retry-After (whole seconds,
	// rounded up) with whatever status the code maps to, such as a 409 for
	// something not ready yet. An Unavailable error without one is sent
	// with DefaultRetryAfter.
	RetryAfter time.Duration
}

// DefaultRetryAfter is the wait suggested with an Unavailable error that
// names none: long enough for a restarted dependency to answer, short
// enough that a client retrying on it loses little.
const DefaultRetryAfter = time.Second

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	names := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + ": " + e.Fields[k]
	}
	return e.Message + " (" + strings.Join(parts, "; ") + ")"
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Fields collects field validation failures into one Invalid error.
type Fields map[string]string

// Add records why field name is invalid; the first reason for a field wins.
func (f Fields) Add(name, reason string) {
	if _, ok := f[name]; !ok {
		f[name] = reason
	}
}

// Err returns an Invalid *Error listing the fields, or nil when there are none.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Message: "Validation failed.", Fields: f}
}

// Code returns the code of the first *Error in err's chain, Unavailable for
// a full disk (ENOSPC, EDQUOT), Internal for any other non-nil error and ""
// for nil. A full disk is told here, once, rather than in each embedded
// adapter: whichever store's write met it, the client may retry once space
// returns, and nothing was written.
func Code(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return Unavailable
	default:
		return Internal
	}
}

// Is reports whether err carries the given code.
func Is(err error, code string) bool { return Code(err) == code }

// RetryAfter returns how long the client should wait before retrying err:
// the RetryAfter of the first *Error in its chain, DefaultRetryAfter for an
// Unavailable error naming none, and 0 when err says nothing of retrying.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter
	}
	if Code(err) == Unavailable {
		return DefaultRetryAfter
	}
	return 0
}
