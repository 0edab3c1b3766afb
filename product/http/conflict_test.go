package http_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/serverless-shop/shop/platform/auth"
	"github.com/serverless-shop/shop/product"
	producthttp "github.com/serverless-shop/shop/product/http"
	"github.com/serverless-shop/shop/product/storetest"
)

// TestTransactionConflict: a DynamoDB transaction conflict (injected; see
// storetest.ConflictingDB) was answered 500. Now a passing one is retried
// unseen by the client, and one that persists is a 409 problem telling the
// client to retry, for every write.
func TestTransactionConflict(t *testing.T) {
	b, db := storetest.MustConflicting(t)
	srv := httptest.NewServer(producthttp.NewHandler(product.NewService(b.Store, product.DefaultSource, nil), auth.OpenGuard()).Routes())
	t.Cleanup(srv.Close)

	db.Conflicts.Store(1)
	p := mustCreate(t, srv.URL, `{"name":"IPhone X","price":950.40,"category":"Phone"}`)
	db.Conflicts.Store(1)
	if res, body := do(t, "PUT", srv.URL+"/"+p.ID, "application/json", `{"price": 899.99}`); res.StatusCode != http.StatusOK {
		t.Fatalf("PUT through one conflict: got %d %s, want 200", res.StatusCode, body)
	}

	db.Conflicts.Store(1 << 20)
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/", `{"name":"Other","price":1}`},
		{"PUT", "/" + p.ID, `{"price": 1}`},
		{"DELETE", "/" + p.ID, ""},
	} {
		t.Run(c.method, func(t *testing.T) {
			ct := ""
			if c.body != "" {
				ct = "application/json"
			}
			res, body := do(t, c.method, srv.URL+c.path, ct, c.body)
			if res.StatusCode != http.StatusConflict || res.Header.Get("Content-Type") != "application/problem+json" ||
				!strings.Contains(string(body), "urn:shop:problem:conflict") {
				t.Fatalf("got %d %s %s, want a 409 conflict problem", res.StatusCode, res.Header.Get("Content-Type"), body)
			}
		})
	}
}
