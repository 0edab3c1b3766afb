package auth

import (
	"net/http"
	"strings"

	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/httpx"
)

// maxTokenBytes bounds the bearer token a guard reads; Cognito's access
// tokens are about 1 KiB.
const maxTokenBytes = 8 << 10

// realm names the protection space in WWW-Authenticate.
const realm = `Bearer realm="shop"`

// Guard admits requests to the routes it wraps. Public routes are not
// wrapped, so they do no token work at all.
type Guard struct {
	// verifier is nil when authentication is off.
	verifier *Verifier
}

// NewGuard returns a guard admitting callers with a token v accepts.
func NewGuard(v *Verifier) *Guard { return &Guard{verifier: v} }

// OpenGuard returns a guard that admits everyone as Anyone: the API
// without authentication (SHOP_AUTH=none).
func OpenGuard() *Guard { return &Guard{} }

// SignedIn admits a request that carries a valid bearer token, and puts its
// caller in the request's context. A request without one is answered 401.
func (g *Guard) SignedIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := g.authenticate(w, r)
		if !ok {
			return
		}
		next.ServeHTTP(w, r.WithContext(WithCaller(r.Context(), c)))
	})
}

// Admin admits a signed-in member of the admin group; other signed-in
// callers are answered 403.
func (g *Guard) Admin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := g.authenticate(w, r)
		if !ok {
			return
		}
		if !c.Admin {
			w.Header().Set("WWW-Authenticate", realm+`, error="insufficient_scope"`)
			httpx.Error(w, r, errs.Errorf(errs.Forbidden, "Only the admin group may do this."))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithCaller(r.Context(), c)))
	})
}

// authenticate returns the request's caller, or answers 401 and false.
func (g *Guard) authenticate(w http.ResponseWriter, r *http.Request) (Caller, bool) {
	if g.verifier == nil {
		return Anyone, true
	}
	token, sent := bearer(r)
	if !sent {
		w.Header().Set("WWW-Authenticate", realm)
		httpx.Error(w, r, errs.Errorf(errs.Unauthorized, "Sign in: send an access token as Authorization: Bearer <token>."))
		return Caller{}, false
	}
	var c Caller
	err := error(refuse("too long"))
	if len(token) <= maxTokenBytes {
		c, err = g.verifier.Verify(token)
	}
	if err != nil {
		reason := "refused"
		if te, ok := err.(*TokenError); ok {
			reason = te.Reason
		}
		zerolog.Ctx(r.Context()).Info().Err(err).Str("request_id", httpx.RequestID(r.Context())).Msg("token refused")
		w.Header().Set("WWW-Authenticate", realm+`, error="invalid_token", error_description="`+quotable(reason)+`"`)
		httpx.Error(w, r, errs.Errorf(errs.Unauthorized, "The access token is invalid: %s.", reason))
		return Caller{}, false
	}
	httpx.SetUser(r.Context(), c.User)
	return c, true
}

// bearer returns the request's bearer token and whether one was sent: a
// single Authorization header with the Bearer scheme, in any letter case.
// An empty or repeated one counts as sent, and fails verification.
func bearer(r *http.Request) (string, bool) {
	vs := r.Header.Values("Authorization")
	if len(vs) == 0 {
		return "", false
	}
	scheme, token, _ := strings.Cut(vs[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	if len(vs) > 1 {
		return "", true
	}
	return strings.TrimSpace(token), true
}

// quotable keeps only the characters RFC 6750 allows in error_description.
func quotable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, s)
}
