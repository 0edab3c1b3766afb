package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/httpx"
)

func TestCheckQuery(t *testing.T) {
	allowed := []string{"category", "limit", "cursor"}
	for _, raw := range []string{"", "limit=10", "category=Phone&limit=10&cursor=abc", "category=A%20B", "category=a+b", "limit=", "&limit=1&"} {
		t.Run("OK "+raw, func(t *testing.T) {
			if err := httpx.CheckQuery(raw, allowed...); err != nil {
				t.Fatalf("CheckQuery(%q) = %v, want nil", raw, err)
			}
		})
	}
	for _, c := range []struct{ raw, field, reason string }{
		{"category=%ZZ", "category", "is not valid percent-encoding"},
		{"limit=%ZZ", "limit", "is not valid percent-encoding"},
		{"limit=%4", "limit", "is not valid percent-encoding"},
		{"colour=red", "colour", "is not a parameter of this route"},
		{"limit=1&limit=2", "limit", "must be given at most once"},
		{"li%6Dit=1&limit=2", "limit", "must be given at most once"},
		{"category=a;b", "category", "is not valid percent-encoding"},
	} {
		t.Run("Err "+c.raw, func(t *testing.T) {
			assertProblem(t, httpx.CheckQuery(c.raw, allowed...), errs.Invalid, c.field, c.reason)
		})
	}
	for _, raw := range []string{"%ZZ=1", "limit;cursor=1"} {
		t.Run("ErrMalformedName "+raw, func(t *testing.T) {
			assertProblem(t, httpx.CheckQuery(raw, allowed...), errs.Invalid, "", "not valid percent-encoding")
		})
	}
	t.Run("ErrAnyOnARouteWithout", func(t *testing.T) {
		assertProblem(t, httpx.CheckQuery("limit=1"), errs.Invalid, "limit", "is not a parameter of this route")
	})
}

func TestParams(t *testing.T) {
	h := httpx.Params("limit")(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for target, want := range map[string]int{
		"/x":                 http.StatusNoContent,
		"/x?limit=5":         http.StatusNoContent,
		"/x?limit=%ZZ":       http.StatusBadRequest,
		"/x?other=1":         http.StatusBadRequest,
		"/x?limit=1&limit=1": http.StatusBadRequest,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		if rec.Code != want {
			t.Errorf("GET %s: got %d, want %d", target, rec.Code, want)
		}
		if want == http.StatusBadRequest && rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s: Content-Type %q, want a problem", target, rec.Header().Get("Content-Type"))
		}
	}
}
