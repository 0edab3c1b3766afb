package http_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/serverless-shop/shop/internal/fuzzhttp"
	"github.com/serverless-shop/shop/platform/auth"
	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/product"
	"github.com/serverless-shop/shop/product/bolt"
	producthttp "github.com/serverless-shop/shop/product/http"
)

// MustFuzzCatalog serves /product as cmd/shop mounts it, with the open
// guard, over an embedded store holding three products; it returns the
// handler and the first product's id. The store skips fsync and batching
// delays: a fuzz run writes thousands of products and durability is not
// what it checks.
func MustFuzzCatalog(tb testing.TB) (http.Handler, string) {
	tb.Helper()
	s, err := bolt.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	s.DB().NoSync, s.DB().MaxBatchDelay = true, 0
	r := chi.NewRouter()
	r.NotFound(httpx.NotFound)
	r.MethodNotAllowed(httpx.MethodNotAllowed)
	r.Mount("/product", producthttp.NewHandler(product.NewService(s, product.DefaultSource, nil), auth.OpenGuard()).Routes())
	var first string
	for _, body := range []string{
		`{"name":"IPhone X","description":"Flagship","imageFile":"product-1.png","price":950.40,"category":"Phone"}`,
		`{"name":"Samsung 10","price":840,"category":"Phone"}`,
		`{"name":"Huawei Plus","price":650.5,"category":"TV"}`,
	} {
		rec := fuzzhttp.Serve(r, "POST", "/product", body, nil)
		if rec.Code != http.StatusCreated {
			tb.Fatalf("seed product: %d %s", rec.Code, rec.Body)
		}
		if first == "" {
			first = strings.TrimPrefix(rec.Header().Get("Location"), "/product/")
		}
	}
	return r, first
}

// FuzzProductBody sends arbitrary bodies to POST /product and
// PUT /product/{id}: never a 5xx or a panic, a 2xx is well-formed JSON, and
// the product it answers is what GET /product/{id} reads back.
func FuzzProductBody(f *testing.F) {
	h, existing := MustFuzzCatalog(f)
	for _, body := range []string{
		`{"name":"IPhone X","description":"Flagship","imageFile":"product-1.png","price":950.40,"category":"Phone"}`,
		`{"name":"a","price":0}`,
		`{"name":"a","price":1.999}`,
		`{"name":"a","price":"950.40"}`,
		`{"name":"a","price":-1}`,
		`{"name":"a","price":1e2}`,
		`{"name":"a","price":92233720368547758.07}`,
		`{"name":"a","price":1,"colour":"red"}`,
		`{"NAME":"upper","PRICE":3}`,
		`{"name":"a","name":"b","price":1,"price":2}`,
		`{"name":"\u0000\u001b\u0007\r\n","price":1}`,
		"{\"name\":\"\xff\xfe\",\"price\":1}",
		`{"name":"   ","price":1}`,
		`{"id":"mine","name":"a","price":1}`,
		`{"name":"a","price":1,"version":1}`,
		`{"name":"a","price":1} {}`,
		`[1,2]`,
		`null`,
		``,
	} {
		f.Add(false, "", []byte(body))
	}
	for _, body := range []string{
		`{"price":899.99}`,
		`{"price":1,"version":1}`,
		`{"category":"TV","name":"renamed"}`,
		`{"id":"other"}`,
		`{"version":-1}`,
		`{"price":null,"name":null}`,
		`{}`,
	} {
		f.Add(true, "", []byte(body))
	}
	f.Add(true, "no-such-product", []byte(`{"price":1}`))
	f.Add(true, "%2F..%00", []byte(`{"price":1}`))
	f.Fuzz(func(t *testing.T, update bool, id string, body []byte) {
		method, target := "POST", "/product"
		if update {
			if id == "" {
				id = existing
			}
			method, target = "PUT", "/product/"+url.PathEscape(id)
		}
		what := method + " " + target + " " + string(body)
		fuzzhttp.SkipUnreadable(t, method, target, nil)
		rec := fuzzhttp.Serve(h, method, target, string(body), nil)
		fuzzhttp.CheckAnswer(t, what, rec)
		if rec.Code >= 300 {
			return
		}
		wantStatus := http.StatusCreated
		if update {
			wantStatus = http.StatusOK
		}
		var got product.Product
		if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != wantStatus || err != nil || got.ID == "" {
			t.Fatalf("%s: got %d %s, want %d and a product", what, rec.Code, rec.Body, wantStatus)
		}
		if loc := rec.Header().Get("Location"); !update && loc != "/product/"+got.ID {
			t.Errorf("%s: Location %q, want /product/%s", what, loc, got.ID)
		}
		read := fuzzhttp.Serve(h, "GET", "/product/"+url.PathEscape(got.ID), "", nil)
		fuzzhttp.CheckAnswer(t, "GET after "+what, read)
		var back product.Product
		if err := json.Unmarshal(read.Body.Bytes(), &back); err != nil || !reflect.DeepEqual(back, got) {
			t.Fatalf("%s: answered %s, but GET reads %s", what, rec.Body, read.Body)
		}
	})
}

// FuzzProductList sends arbitrary query strings, and cursors of arbitrary
// content, to GET /product: never a 5xx or a panic, a 200 is a well-formed
// listing, and its next cursor is accepted by the same listing.
func FuzzProductList(f *testing.F) {
	h, existing := MustFuzzCatalog(f)
	for _, q := range []string{
		"", "limit=1", "limit=2&category=Phone", "category=Phone&limit=1", "category=TV", "limit=0", "limit=1001",
		"limit=-1", "limit=1e3", "limit=%ZZ", "category=%ZZ", "category=%00", "limit=1&limit=2", "cursor=bm90LWEtY3Vyc29y",
		"cursor=", "cursor=e30", "colour=red", "limit=99999999999999999999", "category=" + strings.Repeat("x", 200),
	} {
		f.Add(q, "", "", "", "")
	}
	f.Add("limit=1", "id", existing, "", "")
	f.Add("limit=1&category=Phone", "id", existing, "category", "Phone")
	f.Add("category=Phone", "id", existing, "category", "TV")
	f.Add("", "id", "", "", "")
	f.Add("", "id", "\x00", "category", "")
	f.Add("", "userName", "ada", "", "")
	f.Fuzz(func(t *testing.T, query, k1, v1, k2, v2 string) {
		fuzzhttp.CheckList[product.Product](t, h, "/product", fuzzhttp.WithCursor(query, k1, v1, k2, v2))
	})
}
