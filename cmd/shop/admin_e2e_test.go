package main_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/serverless-shop/shop/internal/shoptest"
)

// TestAdminListener checks the operator's endpoints live on their own
// listener, not on the public port.
func TestAdminListener(t *testing.T) {
	shop := shoptest.Start(t, bin, "SHOP_DATA_DIR="+t.TempDir(), "SHOP_ADMIN_ADDR=127.0.0.1:0")
	if shop.AdminURL == "" {
		t.Fatal("no admin listener announced")
	}
	for _, c := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/deadletters/ordering", http.StatusOK, `{"items":[]}`},
		{"GET", "/deadletters/basket", http.StatusOK, `{"items":[]}`},
		{"POST", "/deadletters/ordering/replay", http.StatusOK, `{"replayed":0}`},
		{"POST", "/deadletters/ordering/nope/replay", http.StatusNotFound, ""},
		{"GET", "/deadletters/nobody", http.StatusNotFound, ""},
		{"GET", "/outbox/deadletters/product", http.StatusOK, `{"items":[]}`},
		{"GET", "/outbox/deadletters/basket?limit=5", http.StatusOK, `{"items":[]}`},
		{"POST", "/outbox/deadletters/basket/replay", http.StatusOK, `{"replayed":0}`},
		{"POST", "/outbox/deadletters/product/nope/replay", http.StatusNotFound, ""},
		{"GET", "/outbox/deadletters/ordering", http.StatusNotFound, ""},
		{"GET", "/debug/pprof/", http.StatusOK, ""},
	} {
		req, _ := http.NewRequest(c.method, shop.AdminURL+c.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.status || (c.body != "" && strings.TrimSpace(string(b)) != c.body) {
			t.Errorf("%s %s: got %d %s, want %d %s", c.method, c.path, res.StatusCode, b, c.status, c.body)
		}
	}
	for _, path := range []string{"/deadletters/ordering", "/outbox/deadletters/basket"} {
		if r := shop.Do(t, "GET", path, nil); r.Status != http.StatusNotFound {
			t.Errorf("%s on the public port: got %d, want 404", path, r.Status)
		}
	}
}
