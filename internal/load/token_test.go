package load

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/auth"
)

// mustTokens returns tokens signed with a fresh key, and a verifier of them
// as the shop would configure it.
func mustTokens(tb testing.TB) (*tokens, *auth.Verifier) {
	tb.Helper()
	key, err := auth.LoadDevKey(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := key.Keys()
	if err != nil {
		tb.Fatal(err)
	}
	cfg := devConfig(nil)
	v, err := auth.NewVerifier(cfg, keys.Keyfunc)
	if err != nil {
		tb.Fatal(err)
	}
	return &tokens{key: key, cfg: cfg, ttl: time.Hour}, v
}

// TestRequestsAreSentAsTheirOwner runs every iteration of the mix against a
// fake shop and checks who each request was sent as: nobody on the public
// catalog reads, the admin on catalog writes, the user concerned on baskets
// and orders.
func TestRequestsAreSentAsTheirOwner(t *testing.T) {
	tok, verifier := mustTokens(t)
	var mu sync.Mutex
	var problems []string
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ UserName string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		route, owner := r.Method+" "+r.URL.Path, ""
		switch {
		case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/product"):
			route = "GET /product"
		case r.URL.Path == "/product":
			owner = asAdmin
		case r.URL.Path == "/basket" || r.URL.Path == "/basket/checkout":
			owner = body.UserName
		default: // /basket/{user}, /order/{user}
			parts := strings.Split(r.URL.Path, "/")
			route, owner = r.Method+" /"+parts[1]+"/{user}", parts[2]
		}
		problem := ""
		authz := r.Header.Get("Authorization")
		if owner == "" {
			if authz != "" {
				problem = "sent a token"
			}
		} else if c, err := verifier.Verify(strings.TrimPrefix(authz, "Bearer ")); err != nil {
			problem = err.Error()
		} else if owner == asAdmin && !c.Admin || owner != asAdmin && (c.User != owner || c.Admin) {
			problem = fmt.Sprintf("sent as %+v, want %s", c, owner)
		}
		mu.Lock()
		seen[route] = true
		if problem != "" {
			problems = append(problems, route+": "+problem)
		}
		mu.Unlock()
		switch route {
		case "POST /product", "POST /basket":
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id":"p1"}`)
		case "POST /basket/checkout":
			w.WriteHeader(http.StatusAccepted)
			fmt.Fprint(w, `{"checkoutId":"c1","orderDate":"2025-01-01","totalPrice":1}`)
		case "GET /order/{user}":
			fmt.Fprint(w, `{"orderId":"c1"}`)
		default:
			fmt.Fprint(w, `{}`)
		}
	}))
	defer srv.Close()

	ctx := context.Background()
	tr := &target{base: srv.URL, client: srv.Client(), rec: NewRecorder(time.Now()), tokens: tok}
	sh := &shop{t: tr, runID: "load-test", users: 3, products: []product{{ID: "p1", Price: 1}}}
	sh.basket = sh.products
	sh.orders = &tracker{t: tr, pollCtx: ctx, deadline: func() time.Time { return time.Now().Add(time.Second) }}
	if _, err := sh.seed(ctx, 1, 1, time.Second); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, fn := range []op{sh.getProduct, sh.listProducts, sh.createProduct, sh.putBasket, sh.getBasket, sh.checkout, sh.getOrders} {
		fn(ctx, rnd, time.Now())
	}
	sh.orders.wg.Wait()

	for _, p := range problems {
		t.Error(p)
	}
	for _, want := range []string{"GET /product", "POST /product", "POST /basket", "GET /basket/{user}", "POST /basket/checkout", "GET /order/{user}"} {
		if !seen[want] {
			t.Errorf("no %s request: saw %v", want, seen)
		}
	}
}

func TestTokensAreMintedOncePerUser(t *testing.T) {
	tok, _ := mustTokens(t)
	first, minted, err := tok.authorization("ada")
	if err != nil || minted <= 0 {
		t.Fatalf("first authorization: minted %v, err %v; want a mint", minted, err)
	}
	again, minted, err := tok.authorization("ada")
	if err != nil || again != first || minted != 0 {
		t.Errorf("second authorization: same %v, minted %v, err %v; want the cached token", again == first, minted, err)
	}
	if h, _, _ := tok.authorization(anonymous); h != "" {
		t.Errorf("anonymous authorization = %q, want none", h)
	}
}

func TestDevConfigFollowsTheEnvironment(t *testing.T) {
	got := devConfig([]string{"SHOP_AUTH_ADMIN_GROUP=ops", "SHOP_AUTH_USER_CLAIM=email", "SHOP_AUTH_ADMIN_GROUP=root"})
	if got.AdminGroup != "root" || got.UserClaim != "email" || got.GroupsClaim != "cognito:groups" {
		t.Errorf("devConfig = %+v, want admin group root (the last), user claim email, default groups claim", got)
	}
}

// BenchmarkMint is the cost of a user's first request's token: 94 µs on a
// 2-vCPU Oxide Turin-like VM.
func BenchmarkMint(b *testing.B) {
	tok, _ := mustTokens(b)
	i := 0
	for b.Loop() {
		i++
		if _, _, err := tok.authorization(fmt.Sprintf("load-bench-c%d", i)); err != nil {
			b.Fatal(err)
		}
	}
}
