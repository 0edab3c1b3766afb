package http_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/serverless-shop/shop/ordering"
	orderingbolt "github.com/serverless-shop/shop/ordering/bolt"
	orderinghttp "github.com/serverless-shop/shop/ordering/http"
	"github.com/serverless-shop/shop/ordering/storetest"
	"github.com/serverless-shop/shop/platform/auth"
	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/platform/page"
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
		target := path + "?" + withCursor(query, k1, v1, k2, v2)
		skipUnreadable(t, "GET", target)
		rec := serve(h, "GET", target)
		checkAnswer(t, "GET "+target, rec)
		if rec.Code != http.StatusOK {
			return
		}
		// An order or a listing; only a listing has a next cursor.
		var got map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("GET %s: got %s, want an order or a listing", target, rec.Body)
		}
		cursor, _ := got["nextCursor"].(string)
		if cursor == "" {
			return
		}
		next := path + "?" + nextPage(t, target, cursor)
		rec = serve(h, "GET", next)
		checkAnswer(t, "GET "+next, rec)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s (the next page of %s): got %d %s, want 200", next, target, rec.Code, rec.Body)
		}
	})
}

// serve runs one request through h in process, so that a panic in a
// handler reaches the fuzzer instead of net/http's recovery.
func serve(h http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

// skipUnreadable skips a target no server hands to a handler: net/http
// answers a request line it cannot read (a space or a control character
// in the target) with 400 itself. httptest.NewRequest would panic on it.
func skipUnreadable(t *testing.T, method, target string) {
	t.Helper()
	line := method + " " + target + " HTTP/1.1\r\nHost: shop.test\r\n\r\n"
	if _, err := http.ReadRequest(bufio.NewReader(strings.NewReader(line))); err != nil {
		t.Skip("net/http refuses the request line:", err)
	}
}

// checkAnswer fails unless rec is an answer the API promises: never a 5xx;
// a 2xx is application/json holding one well-formed JSON value; anything
// else is an application/problem+json problem carrying its own status.
func checkAnswer(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	body, ct := rec.Body.Bytes(), rec.Header().Get("Content-Type")
	switch {
	case rec.Code >= 500:
		t.Fatalf("%s: got %d %s, want no 5xx", what, rec.Code, body)
	case rec.Code >= 200 && rec.Code < 300:
		if ct != "application/json" || !json.Valid(body) {
			t.Fatalf("%s: got %d %q %q, want well-formed application/json", what, rec.Code, ct, body)
		}
	default:
		var p httpx.Problem
		if err := json.Unmarshal(body, &p); ct != "application/problem+json" || err != nil || p.Status != rec.Code {
			t.Fatalf("%s: got %d %q %q, want an application/problem+json problem with status %d", what, rec.Code, ct, body, rec.Code)
		}
	}
}

// withCursor puts a cursor of the given keys and values in front of query,
// where it wins over a cursor the query itself holds: fuzzing the cursor's
// content directly reaches the store's start keys, which mutating base64
// text rarely does.
func withCursor(query, k1, v1, k2, v2 string) string {
	if k1 == "" {
		return query
	}
	c := page.Cursor{k1: v1}
	if k2 != "" {
		c[k2] = v2
	}
	return "cursor=" + url.QueryEscape(c.Encode()) + "&" + query
}

// nextPage is the query of the page after target's: the same parameters,
// with cursor replaced by next.
func nextPage(t *testing.T, target, next string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("parse %s: %v", target, err)
	}
	q := u.Query()
	q.Set("cursor", next)
	return q.Encode()
}
