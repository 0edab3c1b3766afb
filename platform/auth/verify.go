package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Leeway is the clock skew allowed on a token's exp, nbf and iat.
const Leeway = 5 * time.Second

// Algorithms are the only signature algorithms a token may use: never
// "none", never an HMAC whose secret could be the issuer's public key.
var Algorithms = []string{"RS256", "ES256"}

// Config is what a Verifier checks a token against.
type Config struct {
	// Issuer must equal the token's iss.
	Issuer string
	// ClientIDs are the app clients whose tokens are accepted; the token's
	// client_id must be one of them. Cognito access tokens carry no aud.
	ClientIDs []string
	// UserClaim names the claim holding the user name (Cognito: username).
	UserClaim string
	// GroupsClaim names the claim listing the user's groups (Cognito:
	// cognito:groups).
	GroupsClaim string
	// AdminGroup is the group whose members are admins.
	AdminGroup string
}

// Validate reports the first setting that is missing.
func (c Config) Validate() error {
	switch {
	case c.Issuer == "":
		return errors.New("auth: no issuer")
	case len(c.ClientIDs) == 0:
		return errors.New("auth: no client ids")
	case c.UserClaim == "":
		return errors.New("auth: no user claim")
	case c.GroupsClaim == "":
		return errors.New("auth: no groups claim")
	case c.AdminGroup == "":
		return errors.New("auth: no admin group")
	}
	return nil
}

// Verifier checks access tokens: the signature against the issuer's keys,
// the algorithm, iss, exp and nbf, and the rules of Cognito access tokens
// (token_use is "access", client_id is a configured client). It is safe for
// concurrent use.
type Verifier struct {
	cfg     Config
	parser  *jwt.Parser
	keys    jwt.Keyfunc
	clients map[string]struct{}
	cache   verifiedCache
	now     func() time.Time
}

// NewVerifier returns a Verifier of tokens signed by the keys keys finds.
// Tokens of a remote issuer and the binary's own dev tokens differ only in
// keys: see JWKS and DevKey.
func NewVerifier(cfg Config, keys jwt.Keyfunc) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	clients := make(map[string]struct{}, len(cfg.ClientIDs))
	for _, id := range cfg.ClientIDs {
		clients[id] = struct{}{}
	}
	v := &Verifier{cfg: cfg, keys: keys, clients: clients, now: time.Now}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(Algorithms),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithLeeway(Leeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	)
	return v, nil
}

// TokenError is why Verify refused a token.
type TokenError struct {
	// Reason is a short phrase safe to show to the caller: it names the
	// rule the token broke, never a key or the server's internals.
	Reason string
	// Err is the cause, for the server's log; nil when Reason says it all.
	Err error
}

// Error implements the error interface.
func (e *TokenError) Error() string {
	if e.Err == nil {
		return "invalid token: " + e.Reason
	}
	return "invalid token: " + e.Reason + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *TokenError) Unwrap() error { return e.Err }

func refuse(format string, args ...any) *TokenError {
	return &TokenError{Reason: fmt.Sprintf(format, args...)}
}

// Verify checks token and returns its caller. A token it accepted before
// is accepted again from memory until it expires.
func (v *Verifier) Verify(token string) (Caller, error) {
	key := sha256.Sum256([]byte(token))
	if c, ok := v.cache.get(key, v.now()); ok {
		return c, nil
	}
	c, exp, err := v.verify(token)
	if err != nil {
		return Caller{}, err
	}
	v.cache.put(key, verified{caller: c, exp: exp})
	return c, nil
}

// verify checks token in full and returns its caller and expiry.
func (v *Verifier) verify(token string) (Caller, time.Time, error) {
	var claims jwt.MapClaims
	if _, err := v.parser.ParseWithClaims(token, &claims, v.keys); err != nil {
		return Caller{}, time.Time{}, &TokenError{Reason: reason(err), Err: err}
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return Caller{}, time.Time{}, refuse("no expiry")
	}
	c, err := v.caller(claims)
	return c, exp.Time, err
}

// caller reads the caller from verified claims, by the rules of Cognito
// access tokens.
func (v *Verifier) caller(claims jwt.MapClaims) (Caller, error) {
	if use, _ := claims["token_use"].(string); use != "access" {
		return Caller{}, refuse("not an access token")
	}
	clientID, _ := claims["client_id"].(string)
	if _, ok := v.clients[clientID]; !ok {
		return Caller{}, refuse("issued to another client")
	}
	user, _ := claims[v.cfg.UserClaim].(string)
	if user == "" {
		return Caller{}, refuse("no %s claim", v.cfg.UserClaim)
	}
	c := Caller{User: user}
	if raw, ok := claims[v.cfg.GroupsClaim]; ok {
		groups, ok := raw.([]any)
		if !ok {
			return Caller{}, refuse("%s is not a list", v.cfg.GroupsClaim)
		}
		c.Groups = make([]string, 0, len(groups))
		for _, g := range groups {
			s, ok := g.(string)
			if !ok {
				return Caller{}, refuse("%s is not a list of names", v.cfg.GroupsClaim)
			}
			c.Groups = append(c.Groups, s)
			c.Admin = c.Admin || s == v.cfg.AdminGroup
		}
	}
	return c, nil
}

// reason turns a parser error into a short phrase for the caller. The
// parser's own messages can quote a key lookup's cause, which stays in the
// server's log.
func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad signature or algorithm"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "no key to verify it"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "no expiry"
	default:
		return "refused"
	}
}
