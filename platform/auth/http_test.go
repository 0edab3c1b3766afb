package auth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/auth"
)

func TestGuard(t *testing.T) {
	dir := t.TempDir()
	k, err := auth.LoadDevKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := auth.DevConfig("username", "cognito:groups", "admin")
	keys, _ := k.Keys()
	v, _ := auth.NewVerifier(cfg, keys.Keyfunc)
	g := auth.NewGuard(v)
	mint := func(user string, groups ...string) string {
		tok, err := k.Mint(cfg, user, groups, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	other, err := auth.LoadDevKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := other.Mint(cfg, "swn", []string{"admin"}, time.Minute)

	var seen auth.Caller
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen, _ = auth.FromContext(r.Context()) })
	for _, c := range []struct {
		name, authz string
		h           http.Handler
		status      int
		challenge   string
	}{
		{"SignedIn", "Bearer " + mint("swn"), g.SignedIn(ok), 200, ""},
		{"SchemeInAnyCase", "bEaReR " + mint("swn"), g.SignedIn(ok), 200, ""},
		{"NoHeader", "", g.SignedIn(ok), 401, `Bearer realm="shop"`},
		{"BasicScheme", "Basic c3duOnB3", g.SignedIn(ok), 401, `Bearer realm="shop"`},
		{"EmptyToken", "Bearer ", g.SignedIn(ok), 401, `Bearer realm="shop", error="invalid_token", error_description="malformed"`},
		{"AnotherKey", "Bearer " + foreign, g.Admin(ok), 401, `Bearer realm="shop", error="invalid_token", error_description="no key to verify it"`},
		{"AdminRouteNotAdmin", "Bearer " + mint("swn", "staff"), g.Admin(ok), 403, `Bearer realm="shop", error="insufficient_scope"`},
		{"AdminRouteAdmin", "Bearer " + mint("ops", "admin"), g.Admin(ok), 200, ""},
		{"AdminRouteNoToken", "", g.Admin(ok), 401, `Bearer realm="shop"`},
		{"OpenGuard", "", auth.OpenGuard().Admin(ok), 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			seen = auth.Caller{}
			req := httptest.NewRequest("GET", "/x", nil)
			if c.authz != "" {
				req.Header.Set("Authorization", c.authz)
			}
			rec := httptest.NewRecorder()
			c.h.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Fatalf("status %d %s, want %d", rec.Code, rec.Body, c.status)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != c.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, c.challenge)
			}
			if c.status != 200 {
				if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type %q, want application/problem+json", ct)
				}
				return
			}
			if c.name != "OpenGuard" && seen.User == "" {
				t.Error("the handler saw no caller")
			}
		})
	}
}

func TestCallerRules(t *testing.T) {
	swn, admin := auth.Caller{User: "swn"}, auth.Caller{User: "ops", Admin: true}
	for _, c := range []struct {
		name   string
		caller auth.Caller
		user   string
		may    bool
	}{
		{"Own", swn, "swn", true},
		{"Other", swn, "bob", false},
		{"AdminOther", admin, "bob", true},
		{"Anyone", auth.Anyone, "bob", true},
		{"NoCaller", auth.Caller{}, "bob", false},
		{"NoCallerEmptyName", auth.Caller{}, "", false},
	} {
		if got := c.caller.MayAccess(c.user) == nil; got != c.may {
			t.Errorf("%s: MayAccess(%q) = %v, want %v", c.name, c.user, got, c.may)
		}
	}
	for _, c := range []struct {
		name, body, want string
		caller           auth.Caller
		ok               bool
	}{
		{"Omitted", "", "swn", swn, true},
		{"Same", "swn", "swn", swn, true},
		{"Other", "bob", "", swn, false},
		{"AdminForOther", "bob", "", admin, false},
		{"AnyoneTakesTheBody", "bob", "bob", auth.Anyone, true},
	} {
		got, err := c.caller.Owner(c.body)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("%s: Owner(%q) = %q, %v; want %q, ok %v", c.name, c.body, got, err, c.want, c.ok)
		}
	}
}
