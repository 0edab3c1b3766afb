// Package auth says who calls the API and what they may do: it verifies
// bearer tokens (RFC 6750) issued by an OpenID Connect provider such as
// Cognito, or minted locally by the binary itself, and carries the caller
// through the request's context to the handlers that decide.
//
// The rules live here, once: a signed-in caller may act on their own
// basket and orders; the admin group may read everyone's and change the
// catalog. With authentication off (SHOP_AUTH=none) every caller may do
// everything, as before this package existed.
package auth

import (
	"context"

	"github.com/serverless-shop/shop/platform/errs"
)

// Caller is who makes a request.
type Caller struct {
	// User is the signed-in user's name; "" when authentication is off.
	User string
	// Groups are the groups the token names.
	Groups []string
	// Admin is whether the caller is in the admin group.
	Admin bool
	// open marks the caller of an API without authentication.
	open bool
}

// Anyone is the caller of an API without authentication: every rule lets
// it through, and it has no user name of its own.
var Anyone = Caller{Admin: true, open: true}

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// FromContext returns the caller a guard put in ctx, and whether there is one.
func FromContext(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// MayAccess returns nil if c may read or change what belongs to userName,
// and a Forbidden error otherwise. It does not look at whether anything of
// userName's exists, so a refused caller learns nothing about another user.
func (c Caller) MayAccess(userName string) error {
	if c.Admin || (c.User != "" && c.User == userName) {
		return nil
	}
	return forbidden()
}

// Owner resolves the userName a request body names for something the
// caller creates for themselves (a basket, a checkout): the caller's own
// name when the body leaves it out, the given one when it is the caller's,
// and a Forbidden error otherwise. Admins get no exception: nobody fills a
// basket or checks out in someone else's name. Without authentication the
// body's name is taken as it is.
func (c Caller) Owner(userName string) (string, error) {
	switch {
	case c.open:
		return userName, nil
	case userName == "" || userName == c.User:
		return c.User, nil
	default:
		return "", forbidden()
	}
}

// SeesAll reports whether c may list everyone's records rather than only
// their own.
func (c Caller) SeesAll() bool { return c.Admin }

func forbidden() error {
	return errs.Errorf(errs.Forbidden, "This belongs to another user.")
}
