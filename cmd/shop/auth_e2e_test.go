package main_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/serverless-shop/shop/internal/shoptest"
)

// rule is one request of the access table and the status it must get.
type rule struct {
	who          string // "anonymous", a user name, or "admin"
	method, path string
	body         any
	status       int
}

// TestAccessRules runs every row of the README's access table on the real
// binary with dev tokens, allowed and refused.
func TestAccessRules(t *testing.T) {
	shop := shoptest.Start(t, bin)
	callers := map[string]*shoptest.Shop{"anonymous": shop, "admin": shop.AsAdmin(t),
		"swn": shop.As(t, "swn"), "bob": shop.As(t, "bob")}
	phone := mustProduct(t, shop, "IPhone X", "950.40")
	doomed := mustProduct(t, shop, "Doomed", "1")
	basketOf := func(user string) string {
		return fmt.Sprintf(`{%s"items":[{"productId":%q,"quantity":1}]}`, user, phone)
	}
	checkout := func(user string) string {
		return fmt.Sprintf(`{%s"firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","address":"London","paymentMethod":1,"cardInfo":"5554443322"}`, user)
	}
	run := func(t *testing.T, rules []rule) {
		t.Helper()
		for _, r := range rules {
			got := callers[r.who].Do(t, r.method, r.path, r.body)
			if got.Status != r.status {
				t.Errorf("%s %s %s: got %d %s, want %d", r.who, r.method, r.path, got.Status, got.Body, r.status)
			}
			checkRefusal(t, r, got)
		}
	}

	t.Run("Catalog", func(t *testing.T) {
		run(t, []rule{
			{"anonymous", "GET", "/product", nil, 200},
			{"anonymous", "GET", "/product/" + phone, nil, 200},
			{"anonymous", "GET", "/healthz", nil, 200},
			{"anonymous", "GET", "/readyz", nil, 200},
			{"anonymous", "POST", "/product", `{"name":"x","price":1}`, 401},
			{"swn", "POST", "/product", `{"name":"x","price":1}`, 403},
			{"admin", "POST", "/product", `{"name":"x","price":1}`, 201},
			{"anonymous", "PUT", "/product/" + phone, `{"description":"x"}`, 401},
			{"swn", "PUT", "/product/" + phone, `{"description":"x"}`, 403},
			{"admin", "PUT", "/product/" + phone, `{"description":"Flagship"}`, 200},
			{"anonymous", "DELETE", "/product/" + doomed, nil, 401},
			{"swn", "DELETE", "/product/" + doomed, nil, 403},
			{"admin", "DELETE", "/product/" + doomed, nil, 204},
		})
	})

	t.Run("Baskets", func(t *testing.T) {
		run(t, []rule{
			{"anonymous", "POST", "/basket", basketOf(`"userName":"swn",`), 401},
			{"bob", "POST", "/basket", basketOf(`"userName":"swn",`), 403},
			{"admin", "POST", "/basket", basketOf(`"userName":"swn",`), 403},
			{"swn", "POST", "/basket", basketOf(""), 201}, // the token names the basket
			{"swn", "POST", "/basket", basketOf(`"userName":"swn",`), 200},
			{"bob", "POST", "/basket", basketOf(""), 201},
			{"anonymous", "GET", "/basket/swn", nil, 401},
			{"swn", "GET", "/basket/swn", nil, 200},
			{"bob", "GET", "/basket/swn", nil, 403},
			{"bob", "GET", "/basket/nobody", nil, 403}, // not 404: bob learns nothing of others
			{"admin", "GET", "/basket/swn", nil, 200},
			{"admin", "GET", "/basket/nobody", nil, 404},
			{"anonymous", "GET", "/basket", nil, 401},
			{"swn", "GET", "/basket", nil, 403},
			{"admin", "GET", "/basket", nil, 200},
			{"anonymous", "DELETE", "/basket/bob", nil, 401},
			{"swn", "DELETE", "/basket/bob", nil, 403},
			{"admin", "DELETE", "/basket/bob", nil, 204},
			{"bob", "DELETE", "/basket/bob", nil, 404},
			{"bob", "POST", "/basket", basketOf(""), 201},
			{"bob", "DELETE", "/basket/bob", nil, 204},
		})
		var b basketBody
		callers["swn"].Must(t, 200, "GET", "/basket/swn", nil).Decode(t, &b)
		if b.UserName != "swn" {
			t.Errorf("basket made without a userName belongs to %q, want the token's swn", b.UserName)
		}
	})

	t.Run("Checkout", func(t *testing.T) {
		awaitTotal(t, shop, "swn", "950.4")
		callers["bob"].Must(t, 201, "POST", "/basket", basketOf(""))
		awaitTotal(t, shop, "bob", "950.4")
		run(t, []rule{
			{"anonymous", "POST", "/basket/checkout", checkout(`"userName":"swn",`), 401},
			{"bob", "POST", "/basket/checkout", checkout(`"userName":"swn",`), 403},
			{"admin", "POST", "/basket/checkout", checkout(`"userName":"swn",`), 403},
			{"swn", "POST", "/basket/checkout", checkout(""), 202},
			{"bob", "POST", "/basket/checkout", checkout(`"userName":"bob",`), 202},
		})
	})

	t.Run("Orders", func(t *testing.T) {
		var swnOrders []orderBody
		shoptest.Eventually(t, 30*time.Second, func() bool {
			swnOrders = userOrders(t, shop, "swn")
			return len(swnOrders) == 1 && len(userOrders(t, shop, "bob")) == 1
		}, "the two checkouts did not become orders")
		date := url.QueryEscape(swnOrders[0].OrderDate)
		run(t, []rule{
			{"anonymous", "GET", "/order", nil, 401},
			{"anonymous", "GET", "/order/swn", nil, 401},
			{"swn", "GET", "/order/swn", nil, 200},
			{"swn", "GET", "/order/swn?orderDate=" + date, nil, 200},
			{"bob", "GET", "/order/swn", nil, 403},
			{"bob", "GET", "/order/swn?orderDate=" + date, nil, 403},
			{"bob", "GET", "/order/nobody", nil, 403},
			{"admin", "GET", "/order/swn", nil, 200},
			{"admin", "GET", "/order/swn?orderDate=" + date, nil, 200},
		})
		for who, want := range map[string][]string{"swn": {"swn"}, "bob": {"bob"}, "admin": {"bob", "swn"}} {
			var l list[orderBody]
			callers[who].Must(t, 200, "GET", "/order", nil).Decode(t, &l)
			var users []string
			for _, o := range l.Items {
				users = append(users, o.UserName)
			}
			slices.Sort(users)
			if !slices.Equal(users, want) {
				t.Errorf("%s: GET /order lists the orders of %v, want %v", who, users, want)
			}
		}
	})

	t.Run("Log", func(t *testing.T) {
		// Request lines are buffered for up to SHOP_LOG_FLUSH_INTERVAL.
		shoptest.Eventually(t, 10*time.Second, func() bool { return strings.Contains(shop.Log(), `"user":"swn"`) },
			"no request line names the signed-in user")
		log := shop.Log()
		for _, c := range callers {
			if tok := c.Token(); tok != "" && strings.Contains(log, tok[strings.LastIndexByte(tok, '.')+1:]) {
				t.Fatal("a token's signature appears in the log")
			}
		}
	})
}

// checkRefusal holds a response to the refusal rules: 401 challenges with
// WWW-Authenticate, and every error is an uncacheable problem.
func checkRefusal(t *testing.T, r rule, got shoptest.Response) {
	t.Helper()
	where := r.who + " " + r.method + " " + r.path
	if got.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: no X-Content-Type-Options: nosniff", where)
	}
	private := strings.HasPrefix(r.path, "/basket") || strings.HasPrefix(r.path, "/order")
	if (private || got.Status >= 400) && got.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: Cache-Control %q, want no-store", where, got.Header.Get("Cache-Control"))
	}
	if got.Status < 400 {
		return
	}
	if ct := got.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type %q, want application/problem+json", where, ct)
	}
	if ch := got.Header.Get("WWW-Authenticate"); got.Status == 401 && !strings.HasPrefix(ch, "Bearer") {
		t.Errorf("%s: 401 with WWW-Authenticate %q, want a Bearer challenge", where, ch)
	}
}

// TestBadTokensAre401 sends tokens the server must refuse.
func TestBadTokensAre401(t *testing.T) {
	shop := shoptest.Start(t, bin)
	other := shoptest.DevToken(t, t.TempDir(), "swn", true) // another data directory's key
	good := shoptest.DevToken(t, shop.DataDir(), "swn", false)
	for name, token := range map[string]string{
		"Garbage":     "not-a-token",
		"ForeignKey":  other,
		"Truncated":   good[:len(good)-4],
		"Oversized":   strings.Repeat("a", 9000),
		"WrongFormat": good + ".extra",
	} {
		r := shop.WithToken(token).Do(t, "GET", "/basket/swn", nil)
		ch := r.Header.Get("WWW-Authenticate")
		if r.Status != 401 || !strings.Contains(ch, `error="invalid_token"`) {
			t.Errorf("%s: got %d, WWW-Authenticate %q; want 401 invalid_token", name, r.Status, ch)
		}
	}
	if r := shop.WithToken(other).Do(t, "GET", "/product", nil); r.Status != 200 {
		t.Errorf("a public route refused a request carrying a bad token: %d", r.Status)
	}
}

// TestTokenCommand mints tokens with the binary itself, as the README does.
func TestTokenCommand(t *testing.T) {
	shop := shoptest.Start(t, bin)
	mint := func(args ...string) (string, error) {
		cmd := exec.Command(bin, append([]string{"token"}, args...)...)
		cmd.Env = append(os.Environ(), "SHOP_DATA_DIR="+shop.DataDir())
		out, err := cmd.Output()
		return strings.TrimSpace(string(out)), err
	}
	admin, err := mint("-user", "ops", "-admin")
	if err != nil {
		t.Fatal(err)
	}
	user, err := mint("-user", "swn", "-ttl", "5m")
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(admin, " \n") || strings.Count(admin, ".") != 2 {
		t.Fatalf("stdout is not one token: %q", admin)
	}
	shop.WithToken(admin).Must(t, http.StatusCreated, "POST", "/product", `{"name":"x","price":1}`)
	shop.WithToken(user).Must(t, http.StatusForbidden, "POST", "/product", `{"name":"x","price":1}`)
	shop.WithToken(user).Must(t, http.StatusCreated, "POST", "/basket", `{"items":[]}`)

	for _, args := range [][]string{{}, {"-user"}, {"-user", "x", "-ttl", "0s"}, {"-user", "x", "extra"}} {
		if _, err := mint(args...); err == nil {
			t.Errorf("shop token %v succeeded", args)
		}
	}
	cmd := exec.Command(bin, "token", "-user", "x")
	cmd.Env = append(os.Environ(), "SHOP_DATA_DIR="+shop.DataDir(), "SHOP_AUTH=oidc", "SHOP_AUTH_ISSUER=https://issuer.test", "SHOP_AUTH_CLIENT_IDS=c")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "SHOP_AUTH=oidc") {
		t.Errorf("shop token under SHOP_AUTH=oidc: %v %s, want a refusal naming it", err, out)
	}
}

// TestAuthNone is the explicitly open API: it works without tokens and
// says at start that it is open.
func TestAuthNone(t *testing.T) {
	shop := shoptest.Start(t, bin, "SHOP_AUTH=none")
	id := mustProduct(t, shop.WithToken(""), "Open", "1")
	shop.Must(t, http.StatusCreated, "POST", "/basket", fmt.Sprintf(`{"userName":"anyone","items":[{"productId":%q,"quantity":1}]}`, id))
	shop.Must(t, http.StatusOK, "GET", "/basket", nil)
	shop.Must(t, http.StatusOK, "GET", "/order", nil)
	if !strings.Contains(shop.Log(), "anyone who reaches this port can read and change every basket, order and product") {
		t.Error("no warning that the API is open")
	}
}

// TestRequestIDs keeps a client's sane X-Request-Id and replaces any other.
func TestRequestIDs(t *testing.T) {
	shop := shoptest.Start(t, bin)
	host, _ := os.Hostname()
	for id, keep := range map[string]bool{
		"abc-123":               true,
		strings.Repeat("x", 64): true,
		strings.Repeat("x", 65): false,
		"has space":             false,
		"tab\there":             false,
		"caf\u00e9":             false,
		"quote\"and<angle>":     true,
		"":                      false,
	} {
		req, _ := http.NewRequest("GET", shop.URL+"/healthz", nil)
		req.Header.Set("X-Request-Id", id)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		got := res.Header.Get("X-Request-Id")
		if (got == id) != keep || got == "" {
			t.Errorf("sent %q, got %q; kept %v, want %v", id, got, got == id, keep)
		}
		if !keep && host != "" && strings.Contains(got, host) {
			t.Errorf("generated id %q names the host", got)
		}
	}
}
