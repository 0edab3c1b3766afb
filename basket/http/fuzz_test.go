package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/serverless-shop/shop/basket"
	basketbolt "github.com/serverless-shop/shop/basket/bolt"
	baskethttp "github.com/serverless-shop/shop/basket/http"
	"github.com/serverless-shop/shop/internal/fuzzhttp"
	"github.com/serverless-shop/shop/platform/auth"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/httpx"
)

// fuzzBasket is the basket every checkout fuzz input may start from: two
// lines of products the catalog offers.
var fuzzBasket = basket.Basket{UserName: "swn", Items: []basket.Item{
	{ProductID: "p1", Quantity: 2, Color: "Black"}, {ProductID: "p2", Quantity: 1},
}}

// MustFuzzBaskets serves /basket as cmd/shop mounts it, with the open guard,
// over an embedded store whose catalog offers p1 and p2 (p3 is deleted) and
// which holds open baskets of swn, ada and bob. The store skips fsync and
// batching delays: a fuzz run writes thousands of baskets and durability is
// not what it checks.
func MustFuzzBaskets(tb testing.TB) (http.Handler, *basket.Service) {
	tb.Helper()
	s, err := basketbolt.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	s.DB().NoSync, s.DB().MaxBatchDelay = true, 0
	svc := basket.NewService(s, basket.DefaultCheckoutSource, basket.DefaultCheckoutDetailType, nil)
	ctx := context.Background()
	for _, p := range []struct {
		id, detailType, price string
	}{{"p1", "ProductCreated", "950.40"}, {"p2", "ProductCreated", "840.00"}, {"p3", "ProductDeleted", "1.00"}} {
		e, err := bus.New("e-"+p.id, "com.swn.product", p.detailType, map[string]any{"productId": p.id, "name": "Phone " + p.id, "price": p.price, "version": 1})
		if err != nil {
			tb.Fatal(err)
		}
		if err := svc.HandleProductEvent(ctx, e); err != nil {
			tb.Fatal(err)
		}
	}
	for _, user := range []string{"swn", "ada", "bob"} {
		b := fuzzBasket
		b.UserName = user
		if _, _, err := svc.Put(ctx, b); err != nil {
			tb.Fatal(err)
		}
	}
	r := chi.NewRouter()
	r.NotFound(httpx.NotFound)
	r.MethodNotAllowed(httpx.MethodNotAllowed)
	r.Mount("/basket", baskethttp.NewHandler(svc, auth.OpenGuard()).Routes())
	return r, svc
}

// FuzzBasketBody sends arbitrary bodies to POST /basket: never a 5xx or a
// panic, a 2xx is well-formed JSON, and the basket it answers is what
// GET /basket/{userName} reads back.
func FuzzBasketBody(f *testing.F) {
	h, _ := MustFuzzBaskets(f)
	for _, body := range []string{
		`{"userName":"swn","items":[{"productId":"p1","quantity":2,"color":"Black","price":0,"productName":"?"}]}`,
		`{"userName":"ada","items":[{"productId":"p1","quantity":1},{"productId":"p2","quantity":1000},{"productId":"p3","quantity":1},{"productId":"nope","quantity":1}]}`,
		`{"userName":"new.user@example.com","items":[]}`,
		`{"userName":"swn","items":[{"productId":"p1","quantity":2.5}]}`,
		`{"userName":"swn","items":[{"productId":"p1","quantity":1e3}]}`,
		`{"userName":"swn","items":[{"productId":"p1","quantity":99999999999999999999}]}`,
		`{"userName":"swn","items":[{"productId":"p1","quantity":0}]}`,
		`{"userName":"swn","items":[{"productId":"","quantity":1}]}`,
		`{"userName":"swn","items":[{"PRODUCTID":"p1","Quantity":1}]}`,
		`{"userName":"swn","userName":"ada","items":[]}`,
		`{"userName":"..","items":[]}`,
		`{"userName":"a b","items":[]}`,
		`{"userName":"swn","items":[{"productId":"p1\u0000","quantity":1,"color":"\u001b[31m"}]}`,
		"{\"userName\":\"swn\",\"items\":[{\"productId\":\"\xff\",\"quantity\":1}]}",
		`{"userName":"swn","items":null}`,
		`{"userName":"swn","items":{}}`,
		`{"items":[{"productId":"p1","quantity":1}]}`,
		`{"userName":"swn","items":[],"extra":1}`,
		`[]`,
		``,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		what := "POST /basket " + string(body)
		rec := fuzzhttp.Serve(h, "POST", "/basket", string(body), nil)
		fuzzhttp.CheckAnswer(t, what, rec)
		if rec.Code >= 300 {
			return
		}
		var got map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || (rec.Code != http.StatusOK && rec.Code != http.StatusCreated) {
			t.Fatalf("%s: got %d %s, want 200 or 201 and a basket", what, rec.Code, rec.Body)
		}
		user, _ := got["userName"].(string)
		if loc := rec.Header().Get("Location"); user == "" || loc != "/basket/"+user {
			t.Fatalf("%s: Location %q, want /basket/{userName} of %s", what, loc, rec.Body)
		}
		read := fuzzhttp.Serve(h, "GET", "/basket/"+url.PathEscape(user), "", nil)
		fuzzhttp.CheckAnswer(t, "GET after "+what, read)
		var back map[string]any
		if err := json.Unmarshal(read.Body.Bytes(), &back); err != nil || !reflect.DeepEqual(back, got) {
			t.Fatalf("%s: answered %s, but GET reads %d %s", what, rec.Body, read.Code, read.Body)
		}
	})
}

// receipt is the body of an accepted checkout.
type receipt struct {
	CheckoutID string `json:"checkoutId"`
	UserName   string `json:"userName"`
	OrderDate  string `json:"orderDate"`
	TotalPrice any    `json:"totalPrice"`
	Status     string `json:"status"`
}

// FuzzCheckoutBody sends arbitrary bodies and Idempotency-Key headers to
// POST /basket/checkout, each after swn's basket was filled again or not:
// never a 5xx or a panic, a 2xx is a well-formed receipt, and sending the
// same request again answers the same receipt.
func FuzzCheckoutBody(f *testing.F) {
	h, svc := MustFuzzBaskets(f)
	const ok = `{"userName":"swn","firstName":"Ada","lastName":"Lovelace","email":"ada@example.com","address":"London","paymentMethod":1,"cardInfo":"5554443322","totalPrice":0}`
	f.Add([]byte(ok), "", true)
	f.Add([]byte(ok), "", false)
	f.Add([]byte(ok), "key-1", true)
	f.Add([]byte(ok), "key-1", true)
	f.Add([]byte(ok), " \x7f", true)
	f.Add([]byte(ok), strings.Repeat("k", 256), true)
	for _, body := range []string{
		`{"userName":"swn"}`,
		`{"userName":"ada","cardInfo":"1234"}`,
		`{"userName":"nobody"}`,
		`{"userName":"swn","paymentMethod":1.5}`,
		`{"userName":"swn","paymentMethod":"1"}`,
		`{"userName":"swn","paymentMethod":99999999999999999999}`,
		`{"userName":"swn","paymentMethod":null,"totalPrice":"x"}`,
		`{"userName":"swn","email":"no-at-sign"}`,
		`{"userName":"swn","cardInfo":"12345678901234567890"}`,
		`{"userName":"swn","cardInfo":"12ab"}`,
		`{"userName":"swn","address":"\u0000\r\n"}`,
		`{"userName":"swn","firstName":"` + strings.Repeat("é", 201) + `"}`,
		`{"USERNAME":"swn","FirstName":"x"}`,
		`{"userName":"swn","userName":"ada"}`,
		`{"userName":"swn","colour":1}`,
		`{}`,
		`null`,
		``,
	} {
		f.Add([]byte(body), "", true)
	}
	f.Fuzz(func(t *testing.T, body []byte, key string, refill bool) {
		var header http.Header
		if key != "" {
			header = http.Header{basket.IdempotencyKeyField: {key}}
		}
		fuzzhttp.SkipUnreadable(t, "POST", "/basket/checkout", header)
		if refill {
			if _, _, err := svc.Put(context.Background(), fuzzBasket); err != nil {
				t.Fatal(err)
			}
		}
		what := "POST /basket/checkout " + string(body) + " key " + key
		rec := fuzzhttp.Serve(h, "POST", "/basket/checkout", string(body), header)
		fuzzhttp.CheckAnswer(t, what, rec)
		if rec.Code >= 300 {
			return
		}
		var got receipt
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusAccepted ||
			got.CheckoutID == "" || got.UserName == "" || got.OrderDate == "" || got.TotalPrice == nil || got.Status != "Accepted" {
			t.Fatalf("%s: got %d %s, want 202 and a receipt", what, rec.Code, rec.Body)
		}
		if loc := rec.Header().Get("Location"); loc != "/order/"+got.UserName {
			t.Errorf("%s: Location %q, want /order/%s", what, loc, got.UserName)
		}
		again := fuzzhttp.Serve(h, "POST", "/basket/checkout", string(body), header)
		var retried receipt
		if err := json.Unmarshal(again.Body.Bytes(), &retried); again.Code != http.StatusAccepted || err != nil || retried != got {
			t.Fatalf("%s: first answered %s, the retry %d %s; want the same receipt", what, rec.Body, again.Code, again.Body)
		}
	})
}

// FuzzBasketList sends arbitrary query strings, and cursors of arbitrary
// content, to GET /basket: never a 5xx or a panic, a 200 is a well-formed
// listing, and its next cursor is accepted by the same listing.
func FuzzBasketList(f *testing.F) {
	h, _ := MustFuzzBaskets(f)
	for _, q := range []string{
		"", "limit=1", "limit=2", "limit=0", "limit=1001", "limit=-1", "limit=1.5", "limit=%ZZ", "limit=1&limit=2",
		"cursor=bm90LWEtY3Vyc29y", "cursor=", "cursor=e30", "cursor=eyJ1c2VyTmFtZSI6ImFkYSJ9", "colour=red",
	} {
		f.Add(q, "", "", "", "")
	}
	f.Add("limit=1", "userName", "ada", "", "")
	f.Add("limit=1", "userName", "", "", "")
	f.Add("", "userName", "a b", "", "")
	f.Add("", "userName", "ada", "id", "x")
	f.Add("", "id", "ada", "", "")
	f.Fuzz(func(t *testing.T, query, k1, v1, k2, v2 string) {
		fuzzhttp.CheckList[map[string]any](t, h, "/basket", fuzzhttp.WithCursor(query, k1, v1, k2, v2))
	})
}
