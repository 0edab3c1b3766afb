package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// TestKeysRefetch drives a remote key set on a fake clock: the first token
// fetches the JWKS; an unknown kid within 30 s of a fetch fetches nothing,
// and after that fetches once and finds the rotated key; keys older than an
// hour are fetched anew, so a withdrawn key stops verifying.
func TestKeysRefetch(t *testing.T) {
	var (
		mu      sync.Mutex
		served  = map[string]*ecdsa.PrivateKey{}
		fetches atomic.Int32
	)
	addKey := func(kid string) *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		served[kid] = k
		mu.Unlock()
		return k
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		mu.Lock()
		defer mu.Unlock()
		set := jwkset.NewMemoryStorage()
		for kid, k := range served {
			jwk, err := jwkset.NewJWKFromKey(&k.PublicKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid}})
			if err != nil {
				t.Error(err)
			}
			_ = set.KeyWrite(r.Context(), jwk)
		}
		b, _ := set.JSONPublic(r.Context())
		_, _ = w.Write(b)
	}))
	defer srv.Close()

	clock := time.Now()
	keys := RemoteKeys(srv.URL, srv.Client())
	keys.now = func() time.Time { return clock }
	found := func(kid string) bool {
		_, err := keys.Keyfunc(&jwt.Token{Method: jwt.SigningMethodES256, Header: map[string]any{"kid": kid}})
		return err == nil
	}
	step := func(name string, kid string, advance time.Duration, wantFound bool, wantFetches int32) {
		t.Helper()
		clock = clock.Add(advance)
		if got := found(kid); got != wantFound {
			t.Errorf("%s: found %s = %v, want %v", name, kid, got, wantFound)
		}
		if got := fetches.Load(); got != wantFetches {
			t.Errorf("%s: %d fetches, want %d", name, got, wantFetches)
		}
	}
	addKey("k1")
	step("first use", "k1", 0, true, 1)
	step("cached", "k1", time.Second, true, 1)
	addKey("k2")
	step("rotated, just fetched", "k2", time.Second, false, 1)
	step("rotated, 30 s on", "k2", 30*time.Second, true, 2)
	step("made up, just fetched", "nope", time.Second, false, 2)
	step("made up, 30 s on: one refetch, refused", "nope", 30*time.Second, false, 3)
	step("made up again: refused without a fetch", "nope", time.Second, false, 3)
	mu.Lock()
	delete(served, "k1")
	mu.Unlock()
	step("withdrawn, still cached", "k1", time.Minute, true, 3)
	step("withdrawn, an hour on", "k1", time.Hour, false, 4)
}
