package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/serverless-shop/shop/platform/auth"
)

const (
	issuer   = "https://issuer.test/pool-1"
	clientID = "client-1"
)

// issuerServer plays an OIDC issuer: it holds signing keys, serves their
// public halves as a JWKS document and counts how often it is fetched.
type issuerServer struct {
	srv     *httptest.Server
	fetches atomic.Int32
	mu      sync.Mutex
	keys    map[string]any // kid → private key
}

func newIssuer(t *testing.T) *issuerServer {
	t.Helper()
	is := &issuerServer{keys: map[string]any{}}
	is.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		is.fetches.Add(1)
		is.mu.Lock()
		defer is.mu.Unlock()
		set := jwkset.NewMemoryStorage()
		for kid, k := range is.keys {
			var pub any
			alg := jwkset.AlgRS256
			switch k := k.(type) {
			case *rsa.PrivateKey:
				pub = &k.PublicKey
			case *ecdsa.PrivateKey:
				pub, alg = &k.PublicKey, jwkset.AlgES256
			}
			jwk, err := jwkset.NewJWKFromKey(pub, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid, ALG: alg, USE: jwkset.UseSig}})
			if err != nil {
				t.Error(err)
			}
			_ = set.KeyWrite(t.Context(), jwk)
		}
		b, err := set.JSONPublic(t.Context())
		if err != nil {
			t.Error(err)
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuerServer) addRSA(t *testing.T, kid string) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is.mu.Lock()
	is.keys[kid] = k
	is.mu.Unlock()
	return k
}

func (is *issuerServer) addEC(t *testing.T, kid string) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is.mu.Lock()
	is.keys[kid] = k
	is.mu.Unlock()
	return k
}

func (is *issuerServer) verifier(t *testing.T) *auth.Verifier {
	t.Helper()
	keys := auth.RemoteKeys(is.srv.URL, is.srv.Client())
	v, err := auth.NewVerifier(auth.Config{Issuer: issuer, ClientIDs: []string{"other-client", clientID},
		UserClaim: "username", GroupsClaim: "cognito:groups", AdminGroup: "admin"}, keys.Keyfunc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// accessClaims are the claims of a good Cognito access token.
func accessClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": issuer, "sub": "b1f3c2a0", "username": "swn", "token_use": "access", "client_id": clientID,
		"cognito:groups": []string{"admin", "staff"}, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func sign(t *testing.T, m jwt.SigningMethod, kid string, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifierAccepts(t *testing.T) {
	is := newIssuer(t)
	rsaKey, ecKey := is.addRSA(t, "rsa-1"), is.addEC(t, "ec-1")
	v := is.verifier(t)
	now := time.Now()
	for name, token := range map[string]string{
		"RS256": sign(t, jwt.SigningMethodRS256, "rsa-1", rsaKey, accessClaims(now)),
		"ES256": sign(t, jwt.SigningMethodES256, "ec-1", ecKey, accessClaims(now)),
		"ExpiredWithinLeeway": sign(t, jwt.SigningMethodRS256, "rsa-1", rsaKey, with(accessClaims(now),
			"exp", now.Add(-2*time.Second).Unix())),
	} {
		t.Run(name, func(t *testing.T) {
			c, err := v.Verify(token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if c.User != "swn" || !c.Admin || !slices.Equal(c.Groups, []string{"admin", "staff"}) {
				t.Errorf("got %+v, want swn in admin and staff", c)
			}
		})
	}
	t.Run("NoGroups", func(t *testing.T) {
		c, err := v.Verify(sign(t, jwt.SigningMethodRS256, "rsa-1", rsaKey, without(accessClaims(now), "cognito:groups")))
		if err != nil || c.User != "swn" || c.Admin || len(c.Groups) != 0 {
			t.Errorf("got %+v, %v; want swn, not admin", c, err)
		}
	})
	if got := is.fetches.Load(); got != 1 {
		t.Errorf("JWKS fetched %d times, want once (cached)", got)
	}
}

func TestVerifierRefuses(t *testing.T) {
	is := newIssuer(t)
	rsaKey := is.addRSA(t, "rsa-1")
	v := is.verifier(t)
	now := time.Now()
	good := func() jwt.MapClaims { return accessClaims(now) }
	rs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodRS256, "rsa-1", rsaKey, c) }

	pubDER, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name, token, reason string
	}{
		{"Expired", rs(with(good(), "exp", now.Add(-10*time.Second).Unix())), "expired"},
		{"NotYetValid", rs(with(good(), "nbf", now.Add(10*time.Second).Unix())), "not valid yet"},
		{"IssuedInTheFuture", rs(with(good(), "iat", now.Add(time.Minute).Unix())), "not valid yet"},
		{"NoExpiry", rs(without(good(), "exp")), "no expiry"},
		{"WrongIssuer", rs(with(good(), "iss", "https://issuer.test/pool-2")), "wrong issuer"},
		{"WrongClient", rs(with(good(), "client_id", "someone-else")), "issued to another client"},
		{"IDToken", rs(with(good(), "token_use", "id")), "not an access token"},
		{"NoTokenUse", rs(without(good(), "token_use")), "not an access token"},
		{"NoUserClaim", rs(without(good(), "username")), "no username claim"},
		{"EmptyUserClaim", rs(with(good(), "username", "")), "no username claim"},
		{"UserClaimNotAString", rs(with(good(), "username", 42)), "no username claim"},
		{"GroupsNotAList", rs(with(good(), "cognito:groups", "admin")), "cognito:groups is not a list"},
		{"GroupsNotNames", rs(with(good(), "cognito:groups", []any{1})), "cognito:groups is not a list of names"},
		{"AlgNone", sign(t, jwt.SigningMethodNone, "rsa-1", jwt.UnsafeAllowNoneSignatureType, good()), "bad signature or algorithm"},
		{"HS256WithPublicKeyAsSecret", sign(t, jwt.SigningMethodHS256, "rsa-1", pubPEM, good()), "bad signature or algorithm"},
		{"RS512", sign(t, jwt.SigningMethodRS512, "rsa-1", rsaKey, good()), "bad signature or algorithm"},
		{"SignedByAnotherKey", sign(t, jwt.SigningMethodRS256, "rsa-1", otherKey, good()), "bad signature or algorithm"},
		{"TamperedPayload", tamper(t, rs(good())), "bad signature or algorithm"},
		{"NoKid", sign(t, jwt.SigningMethodRS256, "", rsaKey, good()), "no key to verify it"},
		{"ES256UnderAnRSAKid", sign(t, jwt.SigningMethodES256, "rsa-1", mustEC(t), good()), "no key to verify it"},
		{"Malformed", "not.a.token", "malformed"},
		{"Empty", "", "malformed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := v.Verify(c.token)
			var te *auth.TokenError
			if !errors.As(err, &te) {
				t.Fatalf("Verify = %+v, %v; want a refusal", got, err)
			}
			if te.Reason != c.reason {
				t.Errorf("reason %q, want %q (%v)", te.Reason, c.reason, err)
			}
		})
	}
}

// TestVerifierUnknownKid: a kid the cached set lacks right after a fetch
// fetches nothing (at most one fetch per 30 s) and is refused. The refetch
// that finds a rotated key is TestKeysRefetch, on a clock of its own.
func TestVerifierUnknownKid(t *testing.T) {
	is := newIssuer(t)
	k := is.addRSA(t, "rsa-1")
	v := is.verifier(t)
	now := time.Now()
	if _, err := v.Verify(sign(t, jwt.SigningMethodRS256, "rsa-1", k, accessClaims(now))); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		_, err := v.Verify(sign(t, jwt.SigningMethodRS256, "made-up", k, accessClaims(now)))
		var te *auth.TokenError
		if !errors.As(err, &te) || te.Reason != "no key to verify it" {
			t.Fatalf("made-up kid: %v, want refused for want of a key", err)
		}
	}
	if got := is.fetches.Load(); got != 1 {
		t.Errorf("fetches = %d, want 1: made-up kids must not each call the issuer", got)
	}
}

// TestVerifierIssuerDown: a JWKS that cannot be fetched refuses tokens, and
// the refusal's cause, for the log, says why.
func TestVerifierIssuerDown(t *testing.T) {
	is := newIssuer(t)
	k := is.addRSA(t, "rsa-1")
	v := is.verifier(t)
	is.srv.Close()
	_, err := v.Verify(sign(t, jwt.SigningMethodRS256, "rsa-1", k, accessClaims(time.Now())))
	if err == nil || !strings.Contains(err.Error(), "JWKS fetch failed") {
		t.Fatalf("got %v, want a refusal naming the failed fetch", err)
	}
}

func TestNewVerifierWantsEverySetting(t *testing.T) {
	good := auth.Config{Issuer: issuer, ClientIDs: []string{clientID}, UserClaim: "u", GroupsClaim: "g", AdminGroup: "a"}
	for name, c := range map[string]auth.Config{
		"NoIssuer":  func(c auth.Config) auth.Config { c.Issuer = ""; return c }(good),
		"NoClients": func(c auth.Config) auth.Config { c.ClientIDs = nil; return c }(good),
		"NoUser":    func(c auth.Config) auth.Config { c.UserClaim = ""; return c }(good),
	} {
		if _, err := auth.NewVerifier(c, nil); err == nil {
			t.Errorf("%s: NewVerifier accepted %+v", name, c)
		}
	}
}

func with(c jwt.MapClaims, k string, v any) jwt.MapClaims { c[k] = v; return c }

func without(c jwt.MapClaims, k string) jwt.MapClaims { delete(c, k); return c }

func mustEC(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// tamper makes the token's user an admin named root, keeping its signature.
func tamper(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatal(err)
	}
	claims["username"] = "root"
	b, _ = json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}
