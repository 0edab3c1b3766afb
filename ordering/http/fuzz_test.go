package http_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/serverless-shop/shop/internal/fuzzhttp"
	"github.com/serverless-shop/shop/ordering"
	orderingbolt "github.com/serverless-shop/shop/ordering/bolt"
	orderinghttp "github.com/serverless-shop/shop/ordering/http"
	"github.com/serverless-shop/shop/ordering/storetest"
	"github.com/serverless-shop/shop/platform/auth"
	"github.com/serverless-shop/shop/platform/httpx"
)

// MustFuzzOrders serves /order as cmd/shop mounts it, with the open guard,
// over an embedded store holding three orders of ada, one of "ada lovelace"
// and one of bob.
func MustFuzzOrders(tb testing.TB) http.Handler {
	tb.Helper()
	s, err := orderingbolt.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	for _, o := range []*ordering.Order{
		storetest.NewOrder("ada", t0, "a1"), storetest.NewOrder("ada", t0.Add(time.Minute), "a2"),
		storetest.NewOrder("ada", t0.Add(time.Hour), "a3"), storetest.NewOrder("ada lovelace", t0, "al1"),
		storetest.NewOrder("bob", t0, "b1"),
	} {
		storetest.MustCreate(tb, s, o)
	}
	r := chi.NewRouter()
	r.NotFound(httpx.NotFound)
	r.MethodNotAllowed(httpx.MethodNotAllowed)
	r.Mount("/order", orderinghttp.NewHandler(ordering.NewService(s), auth.OpenGuard()).Routes())
	return r
}

// FuzzOrderQuery sends arbitrary users, query strings and cursors of
// arbitrary content to GET /order and GET /order/{userName}: never a 5xx or
// a panic, a 200 is well-formed JSON, and a listing's next cursor is
// accepted by the same listing.
func FuzzOrderQuery(f *testing.F) {
	h := MustFuzzOrders(f)
	date := ordering.FormatDate(t0)
	for _, c := range []struct{ user, query string }{
		{"", ""}, {"", "limit=1"}, {"", "limit=2"}, {"ada", ""}, {"ada", "limit=1"}, {"ada lovelace", "limit=1"},
		{"ada", "orderDate=" + date}, {"ada", "orderDate=2026-11-27T09:00:00.123456789%2B01:00"}, {"ada", "orderDate="},
		{"ada", "orderDate=yesterday"}, {"ada", "orderDate=%ZZ"}, {"ada", "orderDate=" + date + "&limit=0"},
		{"ada", "limit=0"}, {"ada", "limit=1001"}, {"ada", "limit=%ZZ"}, {"ada", "cursor=bm90LWEtY3Vyc29y"},
		{"", "cursor=e30"}, {"carol", ""}, {"..", ""}, {".", ""}, {"a/b", ""}, {"a\x00b", ""}, {strings.Repeat("a", 800), ""},
		{"ada", "colour=red"},
	} {
		f.Add(c.user, c.query, "", "", "", "")
	}
	f.Add("", "limit=1", "userName", "ada", "orderDate", date)
	f.Add("ada", "limit=1", "userName", "ada", "orderDate", date)
	f.Add("ada", "", "userName", "bob", "orderDate", date)
	f.Add("ada", "", "userName", "ada", "orderDate", "2026-11-27")
	f.Add("", "", "userName", "a\x00", "orderDate", date)
	f.Add("", "", "orderDate", date, "", "")
	f.Fuzz(func(t *testing.T, user, query, k1, v1, k2, v2 string) {
		path := "/order"
		if user != "" {
			path += "/" + url.PathEscape(user)
		}
		fuzzhttp.CheckPages(t, h, path, fuzzhttp.WithCursor(query, k1, v1, k2, v2), func(t *testing.T, target string, body []byte) string {
			// An order or a listing; only a listing has a next cursor.
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("GET %s: got %s, want an order or a listing", target, body)
			}
			cursor, _ := got["nextCursor"].(string)
			return cursor
		})
	})
}
