package http_test

import (
	"context"
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
)

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 123456789, time.UTC)

// MustServer serves /order over a fresh embedded store holding orders.
func MustServer(tb testing.TB, orders ...*ordering.Order) *httptest.Server {
	tb.Helper()
	s, err := orderingbolt.Open(tb.TempDir())
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	for _, o := range orders {
		storetest.MustCreate(tb, s, o)
	}
	r := chi.NewRouter()
	r.NotFound(httpx.NotFound)
	r.MethodNotAllowed(httpx.MethodNotAllowed)
	r.Mount("/order", orderinghttp.NewHandler(ordering.NewService(s), auth.OpenGuard()).Routes())
	srv := httptest.NewServer(r)
	tb.Cleanup(srv.Close)
	return srv
}

// MustGet requests path and decodes the body into v, failing unless the
// status and content type are the wanted ones.
func MustGet(tb testing.TB, srv *httptest.Server, path string, status int, contentType string, v any) {
	tb.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+path, nil)
	if err != nil {
		tb.Fatalf("request: %v", err)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != status || res.Header.Get("Content-Type") != contentType {
		tb.Fatalf("GET %s = %d %s, want %d %s", path, res.StatusCode, res.Header.Get("Content-Type"), status, contentType)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		tb.Fatalf("GET %s: decode: %v", path, err)
	}
}

type list struct {
	Items      []ordering.Order `json:"items"`
	NextCursor string           `json:"nextCursor"`
}

func TestGetOrder(t *testing.T) {
	want := storetest.NewOrder("ada@lovelace", t0, "o1")
	srv := MustServer(t, want, storetest.NewOrder("ada@lovelace", t0.Add(time.Hour), "o2"))
	t.Run("OK", func(t *testing.T) {
		for _, date := range []string{want.OrderDate, "2026-11-27T09:00:00.123456789+01:00"} {
			var got ordering.Order
			MustGet(t, srv, "/order/ada%40lovelace?orderDate="+url.QueryEscape(date), http.StatusOK, "application/json", &got)
			storetest.AssertEqual(t, &got, want)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		var p httpx.Problem
		MustGet(t, srv, "/order/ada%40lovelace?orderDate=2026-11-27T08:00:00Z", http.StatusNotFound, "application/problem+json", &p)
		if p.Status != http.StatusNotFound || p.Type != httpx.ProblemType+"not_found" {
			t.Errorf("problem = %+v", p)
		}
	})
	for name, date := range map[string]string{"ErrInvalidDate": "27.11.2026", "ErrEmptyDate": ""} {
		t.Run(name, func(t *testing.T) {
			var p httpx.Problem
			MustGet(t, srv, "/order/ada?orderDate="+url.QueryEscape(date), http.StatusBadRequest, "application/problem+json", &p)
			if len(p.Errors) != 1 || p.Errors[0].Field != "orderDate" {
				t.Errorf("problem errors = %+v, want one naming orderDate", p.Errors)
			}
		})
	}
}

func TestListUserOrders(t *testing.T) {
	var orders []*ordering.Order
	for i := range 3 {
		orders = append(orders, storetest.NewOrder("ada", t0.Add(time.Duration(i)*time.Minute), string(rune('a'+i))))
	}
	srv := MustServer(t, append(orders, storetest.NewOrder("bob", t0, "b"))...)
	var first, second list
	MustGet(t, srv, "/order/ada?limit=2", http.StatusOK, "application/json", &first)
	if len(first.Items) != 2 || first.Items[0].OrderID != "c" || first.Items[1].OrderID != "b" || first.NextCursor == "" {
		t.Fatalf("first page = %+v, want orders c, b and a cursor", first)
	}
	MustGet(t, srv, "/order/ada?limit=2&cursor="+first.NextCursor, http.StatusOK, "application/json", &second)
	if len(second.Items) != 1 || second.Items[0].OrderID != "a" || second.NextCursor != "" {
		t.Fatalf("second page = %+v, want order a and no cursor", second)
	}
	t.Run("Empty", func(t *testing.T) {
		var l list
		MustGet(t, srv, "/order/carol", http.StatusOK, "application/json", &l)
		if l.Items == nil || len(l.Items) != 0 {
			t.Errorf("items = %v, want []", l.Items)
		}
	})
	t.Run("ErrInvalidCursor", func(t *testing.T) {
		var p httpx.Problem
		// A cursor of another user's listing is not accepted here.
		MustGet(t, srv, "/order/bob?cursor="+first.NextCursor, http.StatusBadRequest, "application/problem+json", &p)
		if len(p.Errors) != 1 || p.Errors[0].Field != "cursor" {
			t.Errorf("problem errors = %+v, want one naming cursor", p.Errors)
		}
	})
	t.Run("ErrInvalidLimit", func(t *testing.T) {
		var p httpx.Problem
		MustGet(t, srv, "/order/ada?limit=0", http.StatusBadRequest, "application/problem+json", &p)
		if len(p.Errors) != 1 || p.Errors[0].Field != "limit" {
			t.Errorf("problem errors = %+v, want one naming limit", p.Errors)
		}
	})
}

func TestListAllOrders(t *testing.T) {
	srv := MustServer(t,
		storetest.NewOrder("ada", t0, "a1"), storetest.NewOrder("bob", t0, "b1"), storetest.NewOrder("ada", t0.Add(time.Hour), "a2"))
	seen := map[string]bool{}
	path := "/order?limit=2"
	for pages := 1; ; pages++ {
		var l list
		MustGet(t, srv, path, http.StatusOK, "application/json", &l)
		for _, o := range l.Items {
			seen[o.OrderID] = true
		}
		if l.NextCursor == "" {
			break
		}
		if pages > 3 {
			t.Fatal("too many pages")
		}
		path = "/order?limit=2&cursor=" + l.NextCursor
	}
	if len(seen) != 3 || !seen["a1"] || !seen["a2"] || !seen["b1"] {
		t.Errorf("listed %v, want a1, a2, b1", seen)
	}
}

func TestStrictInput(t *testing.T) {
	srv := MustServer(t, storetest.NewOrder("ada", t0, "o1"))
	for _, c := range []struct{ name, path, field string }{
		{"ErrLongUserName", "/order/" + strings.Repeat("a", 800), "userName"},
		{"ErrDotDotUserName", "/order/%2E%2E", "userName"},
		{"ErrUserNameCharacters", "/order/ada%20lovelace", "userName"},
		{"ErrUnknownParameter", "/order/ada?status=open", "status"},
		{"ErrUnknownParameterOfAll", "/order?user=ada", "user"},
		{"ErrRepeatedParameter", "/order/ada?limit=1&limit=2", "limit"},
		{"ErrMalformedLimit", "/order?limit=%ZZ", "limit"},
		{"ErrMalformedOrderDate", "/order/ada?orderDate=%ZZ", "orderDate"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p httpx.Problem
			MustGet(t, srv, c.path, http.StatusBadRequest, "application/problem+json", &p)
			if len(p.Errors) != 1 || p.Errors[0].Field != c.field {
				t.Errorf("problem errors = %+v, want one naming %s", p.Errors, c.field)
			}
		})
	}
	t.Run("ErrOrderDateWithLimit", func(t *testing.T) {
		var p httpx.Problem
		MustGet(t, srv, "/order/ada?orderDate="+url.QueryEscape(t0.Format(time.RFC3339Nano))+"&limit=1", http.StatusBadRequest, "application/problem+json", &p)
		if p.Type != httpx.ProblemType+"invalid" {
			t.Errorf("problem = %+v", p)
		}
	})
}
