package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/auth"
)

// benchServer runs the whole program on the embedded store and returns it,
// with a product, a category "Listed" of 51 and a basket of user swn in it,
// and swn's token; m.srv.Handler is the production middleware chain and
// router. The operator listener is on, so requests pay for the metrics as
// they do where someone reads them, and each request writes its log line
// through the buffer stdout has, to nowhere.
func benchServer(b *testing.B) (m *Main, productID, token string) {
	b.Helper()
	dir := b.TempDir()
	cfg, err := LoadConfig([]string{"PORT=0", "SHOP_HOST=127.0.0.1", "SHOP_DATA_DIR=" + dir, "SHOP_ADMIN_ADDR=127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	logs := newLogBuffer(devNull, cfg.LogFlushInterval)
	m = NewMain(cfg, logs)
	if err := m.Run(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Close(); _ = logs.Close(); _ = devNull.Close() })
	key, err := auth.LoadDevKey(dir)
	if err != nil {
		b.Fatal(err)
	}
	admin, _ := key.Mint(cfg.devAuth(), "ops", []string{"admin"}, time.Hour)
	token, _ = key.Mint(cfg.devAuth(), "swn", nil, time.Hour)
	h := m.srv.Handler
	do := func(method, path, token, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := do("POST", "/product", admin, `{"name":"IPhone X","price":950.40,"category":"Phone"}`)
	if rec.Code != http.StatusCreated {
		b.Fatalf("create product: %d %s", rec.Code, rec.Body)
	}
	productID = strings.TrimPrefix(rec.Header().Get("Location"), "/product/")
	// A full page of a category, for the listing.
	for i := range 51 {
		body := fmt.Sprintf(`{"name":"Listed %d","description":"One of a page.","imageFile":"p.png","price":%d.99,"category":"Listed"}`, i, i)
		if rec := do("POST", "/product", admin, body); rec.Code != http.StatusCreated {
			b.Fatalf("create product: %d %s", rec.Code, rec.Body)
		}
	}
	if rec := do("POST", "/basket", token, `{"items":[{"productId":"`+productID+`","quantity":1}]}`); rec.Code != http.StatusCreated {
		b.Fatalf("create basket: %d %s", rec.Code, rec.Body)
	}
	return m, productID, token
}

// BenchmarkRequest measures a request through the production chain: the
// public product read, which must do no token work, a page of 50 of a
// category, and a signed-in basket read, which verifies a token.
func BenchmarkRequest(b *testing.B) {
	m, id, token := benchServer(b)
	h := m.srv.Handler
	for _, c := range []struct {
		name, path, token string
	}{
		{"GetProductPublic", "/product/" + id, ""},
		{"ListProductsPublic", "/product?category=Listed&limit=50", ""},
		{"GetBasketSignedIn", "/basket/swn", token},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", c.path, nil)
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
