package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// devVerifier returns a verifier of a fresh dev key's tokens that counts
// its key lookups (one per full verification), and the key.
func devVerifier(tb testing.TB) (*Verifier, *DevKey, *atomic.Int32) {
	tb.Helper()
	k, err := LoadDevKey(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := k.Keys()
	if err != nil {
		tb.Fatal(err)
	}
	var lookups atomic.Int32
	v, err := NewVerifier(DevConfig("username", "cognito:groups", "admin"), func(t *jwt.Token) (any, error) {
		lookups.Add(1)
		return keys.Keyfunc(t)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return v, k, &lookups
}

func TestVerifierCache(t *testing.T) {
	v, k, lookups := devVerifier(t)
	clock := time.Now()
	v.now = func() time.Time { return clock }
	token, err := k.Mint(v.cfg, "swn", []string{"admin"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if c, err := v.Verify(token); err != nil || c.User != "swn" || !c.Admin {
			t.Fatalf("Verify = %+v, %v", c, err)
		}
	}
	if got := lookups.Load(); got != 1 {
		t.Errorf("%d full verifications of one token, want 1", got)
	}

	// A token differing in one byte is verified in full, and refused.
	parts := strings.Split(token, ".")
	flip := map[byte]string{'e': "f"}[parts[1][0]] // a payload starts with e ("{")
	parts[1] = flip + parts[1][1:]
	if _, err := v.Verify(strings.Join(parts, ".")); err == nil {
		t.Error("an altered token was accepted")
	}

	// Once it expires, the cached token is verified again, and refused.
	clock = clock.Add(time.Minute + Leeway + time.Second)
	if _, err := v.Verify(token); err == nil {
		t.Error("an expired token was accepted from the cache")
	}
}

func TestVerifierCacheIsBounded(t *testing.T) {
	var c verifiedCache
	exp := time.Now().Add(time.Hour)
	key := func(i int) [32]byte { return [32]byte{byte(i), byte(i >> 8), byte(i >> 16)} }
	const n = 3 * cacheSize
	for i := range n {
		c.put(key(i), verified{exp: exp})
	}
	if got := len(c.cur) + len(c.prev); got > 2*cacheSize {
		t.Errorf("cache holds %d entries, want at most %d", got, 2*cacheSize)
	}
	if _, ok := c.get(key(n-1), time.Now()); !ok {
		t.Error("the newest entry is gone")
	}
}

// TestVerifierCacheExpiry: an entry is served while now is before its
// expiry and never at or after it.
func TestVerifierCacheExpiry(t *testing.T) {
	exp := time.Unix(1_900_000_000, 0) // a JWT's exp: whole seconds
	for _, tc := range []struct {
		name string
		exp  time.Time
		now  time.Time
		want bool
	}{
		{"Before", exp, exp.Add(-time.Nanosecond), true},
		{"At", exp, exp, false},
		{"After", exp, exp.Add(time.Nanosecond), false},
		{"FractionalAfter", exp.Add(500 * time.Millisecond), exp.Add(600 * time.Millisecond), false},
		{"LongBefore", exp, exp.Add(-time.Hour), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c verifiedCache
			key := [32]byte{1}
			c.put(key, verified{caller: Caller{User: "swn"}, exp: tc.exp})
			got, ok := c.get(key, tc.now)
			if ok != tc.want || (ok && got.User != "swn") {
				t.Errorf("get at %v of an entry expiring %v = %+v, %v; want hit %v", tc.now, tc.exp, got, ok, tc.want)
			}
		})
	}
}

// BenchmarkVerify is the cost a signed-in request pays for its token: in
// full (signature, claims) the first time, from the cache after.
func BenchmarkVerify(b *testing.B) {
	v, k, _ := devVerifier(b)
	es256, err := k.Mint(v.cfg, "swn", []string{"admin"}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	jwk, err := jwkset.NewJWKFromKey(&rsaKey.PublicKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: "rsa-1"}})
	if err != nil {
		b.Fatal(err)
	}
	rv, err := NewVerifier(Config{Issuer: "https://issuer.test", ClientIDs: []string{"c"}, UserClaim: "username",
		GroupsClaim: "cognito:groups", AdminGroup: "admin"}, StaticKeys(map[string]jwkset.JWK{"rsa-1": jwk}).Keyfunc)
	if err != nil {
		b.Fatal(err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": "https://issuer.test", "client_id": "c",
		"token_use": "access", "username": "swn", "exp": time.Now().Add(time.Hour).Unix()})
	tok.Header["kid"] = "rsa-1"
	rs256, err := tok.SignedString(rsaKey)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		v     *Verifier
		token string
	}{{"ES256", v, es256}, {"RS256", rv, rs256}} {
		b.Run(c.name+"/Full", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := c.v.verify(c.token); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/Cached", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.v.Verify(c.token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
