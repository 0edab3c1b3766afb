package httpx_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/serverless-shop/shop/platform/httpx"
)

// routerUnderTest is set up as cmd/shop sets up its router: a route at the
// root and a module mounted under a prefix.
func routerUnderTest() http.Handler {
	ok := func(w http.ResponseWriter, _ *http.Request) {
		httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}
	r := chi.NewRouter()
	r.Use(middleware.CleanPath, httpx.GetHead)
	r.NotFound(httpx.NotFound)
	r.MethodNotAllowed(httpx.MethodNotAllowed)
	r.Get("/healthz", ok)
	sub := chi.NewRouter()
	sub.Get("/", ok)
	sub.Post("/", ok)
	sub.Post("/checkout", ok)
	sub.Get("/{id}", ok)
	sub.Put("/{id}", ok)
	sub.Delete("/{id}", ok)
	r.Mount("/item", sub)
	return r
}

func TestMethods(t *testing.T) {
	h := routerUnderTest()
	for _, c := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/healthz", 200, ""},
		{"HEAD", "/healthz", 200, ""},
		{"HEAD", "/item/1", 200, ""},
		{"HEAD", "/item/", 200, ""},
		{"POST", "/healthz", 405, "GET, HEAD, OPTIONS"},
		{"OPTIONS", "/healthz", 204, "GET, HEAD, OPTIONS"},
		{"PATCH", "/item", 405, "GET, HEAD, OPTIONS, POST"},
		{"OPTIONS", "/item", 204, "GET, HEAD, OPTIONS, POST"},
		{"OPTIONS", "/item/1", 204, "DELETE, GET, HEAD, OPTIONS, PUT"},
		{"OPTIONS", "//item//1", 204, "DELETE, GET, HEAD, OPTIONS, PUT"},
		{"HEAD", "/item/checkout", 200, ""},
		{"OPTIONS", "/item/checkout", 204, "DELETE, GET, HEAD, OPTIONS, POST, PUT"},
		{"TRACE", "/item/1", 405, "DELETE, GET, HEAD, OPTIONS, PUT"},
		{"FOO", "/item/1", 405, "DELETE, GET, HEAD, OPTIONS, PUT"},
		{"OPTIONS", "/nope", 404, ""},
		{"FOO", "/nope", 404, ""},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
			if rec.Code != c.status || rec.Header().Get("Allow") != c.allow {
				t.Fatalf("got %d Allow %q, want %d Allow %q", rec.Code, rec.Header().Get("Allow"), c.status, c.allow)
			}
			if c.status == 405 || c.status == 404 {
				var p httpx.Problem
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != c.status {
					t.Fatalf("body %q is not a %d problem", rec.Body, c.status)
				}
			}
			if c.status == 204 && rec.Body.Len() != 0 {
				t.Fatalf("204 with a body %q", rec.Body)
			}
		})
	}
}
