package cognitotest_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/serverless-shop/shop/internal/cognitotest"
	"github.com/serverless-shop/shop/platform/testenv"
)

const password = "Correct-horse-1"

// TestPool proves that the tokens cognito-local issues carry what the shop's
// verifier relies on, and that the pool's JWKS holds the key they name.
func TestPool(t *testing.T) {
	t.Parallel()
	endpoint := testenv.CognitoEndpoint(t)
	pool := cognitotest.NewPool(t, endpoint)
	if got, want := pool.Issuer, endpoint+"/"+pool.ID; got != want {
		t.Fatalf("Issuer = %q, want %q", got, want)
	}
	admin := pool.User(t, "ada@example.com", password, true)
	shopper := pool.User(t, "bob@example.com", password, false)

	for _, tc := range []struct {
		name       string
		user       cognitotest.User
		wantGroups []any
	}{
		{"Admin", admin, []any{cognitotest.AdminGroup}},
		{"NotAdmin", shopper, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			header, claims := cognitotest.DecodeUnverified(t, tc.user.AccessToken)
			if got, want := header["alg"], "RS256"; got != want {
				t.Errorf("header alg = %v, want %v", got, want)
			}
			for claim, want := range map[string]any{
				"iss":       pool.Issuer,
				"token_use": "access",
				"client_id": pool.ClientID,
				"username":  tc.user.Username,
			} {
				if got := claims[claim]; got != want {
					t.Errorf("claim %s = %v, want %v", claim, got, want)
				}
			}
			if tc.user.Username == "" || tc.user.Username == tc.user.Email {
				t.Errorf("Username = %q, want the generated name, not empty nor the email", tc.user.Username)
			}
			groups, _ := claims["cognito:groups"].([]any)
			if !reflect.DeepEqual(groups, tc.wantGroups) {
				t.Errorf("claim cognito:groups = %v, want %v", claims["cognito:groups"], tc.wantGroups)
			}
			if !slices.Contains(jwksKids(t, pool.JWKSURL), header["kid"]) {
				t.Errorf("JWKS at %s has no key with the token's kid %v", pool.JWKSURL, header["kid"])
			}

			_, idClaims := cognitotest.DecodeUnverified(t, tc.user.IDToken)
			if got, want := idClaims["token_use"], "id"; got != want {
				t.Errorf("ID token claim token_use = %v, want %v", got, want)
			}
		})
	}

	t.Run("SignIn", func(t *testing.T) {
		again := pool.SignIn(t, shopper.Email, password)
		_, claims := cognitotest.DecodeUnverified(t, again.AccessToken)
		if got, want := claims["username"], shopper.Username; got != want {
			t.Errorf("claim username = %v, want %v", got, want)
		}
	})

	t.Run("SecondPool", func(t *testing.T) {
		other := cognitotest.NewPool(t, endpoint)
		if other.Issuer == pool.Issuer {
			t.Fatalf("two pools share the issuer %q, want distinct", pool.Issuer)
		}
		u := other.User(t, "ada@example.com", password, true)
		_, claims := cognitotest.DecodeUnverified(t, u.AccessToken)
		if got, want := claims["iss"], other.Issuer; got != want {
			t.Errorf("claim iss = %v, want %v", got, want)
		}
		// cognito-local signs every pool's tokens with one key, so a token of
		// this pool verifies against the first pool's JWKS: only the issuer
		// check keeps a verifier from accepting it. Pinned so that a change in
		// the emulator is noticed.
		if got, want := jwks(t, other.JWKSURL), jwks(t, pool.JWKSURL); !reflect.DeepEqual(got, want) {
			t.Errorf("JWKS of the second pool = %v, want the first pool's %v (cognito-local shares one key)", got, want)
		}
	})
}

// jwks fetches a JSON Web Key Set and returns its keys.
func jwks(t *testing.T, url string) []map[string]any {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", url, resp.StatusCode)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if len(set.Keys) == 0 {
		t.Fatalf("GET %s: no keys", url)
	}
	return set.Keys
}

// jwksKids returns the kid of every key in the set at url.
func jwksKids(t *testing.T, url string) []any {
	t.Helper()
	var kids []any
	for _, k := range jwks(t, url) {
		kids = append(kids, k["kid"])
	}
	return kids
}
