package main_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/serverless-shop/shop/internal/cognitotest"
	"github.com/serverless-shop/shop/internal/shoptest"
	"github.com/serverless-shop/shop/platform/testenv"
)

// TestCognitoOwnership runs the ownership rules with tokens of a real
// Cognito emulator: users created and signed in through its API, the
// binary verifying against the pool's JWKS (SHOP_AUTH=oidc).
func TestCognitoOwnership(t *testing.T) {
	endpoint := testenv.CognitoEndpoint(t)
	pool, other := cognitotest.NewPool(t, endpoint), cognitotest.NewPool(t, endpoint)
	const password = "Correct-Horse-9"
	ada := pool.User(t, "ada@example.com", password, true)
	bob := pool.User(t, "bob@example.com", password, false)
	eve := other.User(t, "eve@example.com", password, true) // an admin, of another pool

	shop := shoptest.Start(t, bin, "SHOP_AUTH=oidc", "SHOP_AUTH_ISSUER="+pool.Issuer, "SHOP_AUTH_CLIENT_IDS="+pool.ClientID)
	asAda, asBob := shop.WithToken(ada.AccessToken), shop.WithToken(bob.AccessToken)

	var p productBody
	asAda.Must(t, http.StatusCreated, "POST", "/product", `{"name":"IPhone X","price":950.40}`).Decode(t, &p)
	asBob.Must(t, http.StatusForbidden, "POST", "/product", `{"name":"x","price":1}`)

	var b basketBody
	asBob.Must(t, http.StatusCreated, "POST", "/basket", fmt.Sprintf(`{"items":[{"productId":%q,"quantity":2}]}`, p.ID)).Decode(t, &b)
	if b.UserName != bob.Username {
		t.Fatalf("basket belongs to %q, want the token's username %q", b.UserName, bob.Username)
	}
	asBob.Must(t, http.StatusForbidden, "POST", "/basket", fmt.Sprintf(`{"userName":%q,"items":[]}`, ada.Username))
	asBob.Must(t, http.StatusForbidden, "GET", "/basket/"+ada.Username, nil)
	asAda.Must(t, http.StatusOK, "GET", "/basket/"+bob.Username, nil)
	asBob.Must(t, http.StatusForbidden, "GET", "/basket", nil)
	asAda.Must(t, http.StatusOK, "GET", "/basket", nil)

	shoptest.Eventually(t, 30*time.Second, func() bool {
		r := asBob.Do(t, "GET", "/basket/"+bob.Username, nil)
		return r.Status == http.StatusOK && decodes(r, &b) && fmt.Sprint(b.TotalPrice) == "1900.8"
	}, "bob's basket was never priced")
	asBob.Must(t, http.StatusAccepted, "POST", "/basket/checkout", checkoutRequest(bob.Username))
	shoptest.Eventually(t, 30*time.Second, func() bool {
		var l list[orderBody]
		asBob.Must(t, http.StatusOK, "GET", "/order", nil).Decode(t, &l)
		return len(l.Items) == 1 && l.Items[0].UserName == bob.Username
	}, "bob's order did not appear in his own list")
	asAda.Must(t, http.StatusOK, "GET", "/order/"+bob.Username, nil)
	shop.WithToken(ada.AccessToken).Must(t, http.StatusOK, "GET", "/order", nil)
	asBob.Must(t, http.StatusForbidden, "GET", "/order/"+ada.Username, nil)

	for name, c := range map[string]struct{ token, reason string }{
		"AnotherPoolsAdmin": {eve.AccessToken, "wrong issuer"},
		"IDToken":           {bob.IDToken, "not an access token"},
		"None":              {"", ""},
	} {
		r := shop.WithToken(c.token).Do(t, "GET", "/basket/"+bob.Username, nil)
		ch := r.Header.Get("WWW-Authenticate")
		if r.Status != http.StatusUnauthorized || !strings.Contains(ch, c.reason) {
			t.Errorf("%s: got %d, WWW-Authenticate %q; want 401 naming %q", name, r.Status, ch, c.reason)
		}
	}
}
