package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// Timings of a remote key set.
const (
	// refetchAfter is the least time between two fetches of the JWKS: a
	// token with an unknown kid triggers at most one fetch in that time, so
	// made-up kids cannot turn every request into a call to the issuer.
	refetchAfter = 30 * time.Second
	// maxKeyAge is how long fetched keys are trusted before the next token
	// fetches them anew, so a key the issuer withdrew stops working.
	maxKeyAge = time.Hour
	// fetchTimeout bounds one fetch of the JWKS.
	fetchTimeout = 5 * time.Second
	// maxJWKSBytes bounds the JWKS document read.
	maxJWKSBytes = 1 << 20
)

// Keys finds the public key that verifies a token, by the token's kid. A
// fixed set serves the binary's own dev key; a remote set is an issuer's
// JWKS document, fetched on the first token rather than at start (a cold
// start waits on nothing), cached, and fetched again at most once per 30 s
// when a token names a kid it does not hold (the issuer rotated its keys).
//
// It is written on jwkset's JWK parsing rather than on keyfunc: keyfunc
// fetches when it is built and bounds an unknown kid's fetch by the same
// deadline as its rate limiter's wait.
type Keys struct {
	url    string
	client *http.Client
	now    func() time.Time

	set atomic.Pointer[keySet]
	// mu serialises fetches.
	mu sync.Mutex
}

// keySet is one immutable snapshot of the keys.
type keySet struct {
	keys    map[string]jwkset.JWK
	fetched time.Time
	// err is why the last fetch failed, for the log of the refused token.
	err error
}

// StaticKeys returns a fixed set of keys, by kid.
func StaticKeys(keys map[string]jwkset.JWK) *Keys {
	k := &Keys{now: time.Now}
	k.set.Store(&keySet{keys: keys})
	return k
}

// RemoteKeys returns the keys of the JWKS document at jwksURL, fetched with
// client (http.DefaultClient if nil).
func RemoteKeys(jwksURL string, client *http.Client) *Keys {
	if client == nil {
		client = http.DefaultClient
	}
	k := &Keys{url: jwksURL, client: client, now: time.Now}
	k.set.Store(&keySet{})
	return k
}

// Keyfunc returns the key for t; it is a jwt.Keyfunc.
func (k *Keys) Keyfunc(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	if kid == "" {
		return nil, errors.New("token has no kid")
	}
	s := k.set.Load()
	jwk, ok := s.keys[kid]
	if k.url != "" && (!ok || k.now().Sub(s.fetched) > maxKeyAge) {
		s = k.refetch(s)
		jwk, ok = s.keys[kid]
	}
	if !ok && s.err != nil {
		return nil, fmt.Errorf("no key with kid %q: last JWKS fetch failed: %w", kid, s.err)
	}
	if !ok {
		return nil, fmt.Errorf("no key with kid %q", kid)
	}
	if alg := jwk.Marshal().ALG.String(); alg != "" && alg != t.Method.Alg() {
		return nil, fmt.Errorf("key %q is for %s, token is %s", kid, alg, t.Method.Alg())
	}
	return jwk.Key(), nil
}

// refetch fetches the document unless another caller did since seen was
// loaded or the last fetch is too recent, and returns the newest set. A
// failed fetch keeps the keys there were.
func (k *Keys) refetch(seen *keySet) *keySet {
	k.mu.Lock()
	defer k.mu.Unlock()
	cur := k.set.Load()
	if cur != seen || (!cur.fetched.IsZero() && k.now().Sub(cur.fetched) < refetchAfter) {
		return cur
	}
	keys, err := k.fetch()
	next := &keySet{keys: keys, fetched: k.now(), err: err}
	if err != nil {
		next.keys = cur.keys
	}
	k.set.Store(next)
	return next
}

func (k *Keys) fetch() (map[string]jwkset.JWK, error) {
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: %s answered %d", k.url, resp.StatusCode)
	}
	var doc jwkset.JWKSMarshal
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJWKSBytes)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys := make(map[string]jwkset.JWK, len(doc.Keys))
	for _, m := range doc.Keys {
		jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil || m.KID == "" || (m.USE != "" && m.USE != jwkset.UseSig) {
			continue // a key this verifier cannot use verifies nothing
		}
		keys[m.KID] = jwk
	}
	return keys, nil
}
