package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/serverless-shop/shop/basket"
	basketbolt "github.com/serverless-shop/shop/basket/bolt"
	baskethttp "github.com/serverless-shop/shop/basket/http"
	"github.com/serverless-shop/shop/platform/auth"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/platform/outbox"
)

type env struct {
	srv *httptest.Server
	svc *basket.Service
	ob  *outbox.BoltStore
	dir string
}

// MustServer serves /basket over a fresh embedded store, mounted as cmd/shop does.
func MustServer(tb testing.TB) *env {
	tb.Helper()
	dir := tb.TempDir()
	s, err := basketbolt.Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	svc := basket.NewService(s, basket.DefaultCheckoutSource, basket.DefaultCheckoutDetailType, nil)
	r := chi.NewRouter()
	r.NotFound(httpx.NotFound)
	r.MethodNotAllowed(httpx.MethodNotAllowed)
	r.Mount("/basket", baskethttp.NewHandler(svc, auth.OpenGuard()).Routes())
	srv := httptest.NewServer(r)
	tb.Cleanup(srv.Close)
	return &env{srv: srv, svc: svc, ob: outbox.NewBoltStore(s.DB()), dir: dir}
}

func (e *env) product(tb testing.TB, id, price string) {
	tb.Helper()
	e.event(tb, "ProductCreated", id, price, 1)
}

// event feeds the basket's price list one product event.
func (e *env) event(tb testing.TB, detailType, id, price string, version int64) {
	tb.Helper()
	ev, _ := bus.New(uuid.Must(uuid.NewV7()).String(), "com.swn.product", detailType,
		map[string]any{"productId": id, "name": "IPhone X", "price": price, "version": version,
			"deleted": detailType == "ProductDeleted"})
	if err := e.svc.HandleProductEvent(context.Background(), ev); err != nil {
		tb.Fatal(err)
	}
}

// do sends a request and returns the status, headers and decoded body.
func (e *env) do(tb testing.TB, method, path, body string) (int, http.Header, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			tb.Fatalf("%s %s: body %q is not JSON: %v", method, path, b, err)
		}
	}
	return res.StatusCode, res.Header, out
}

const swnBasket = `{"userName":"swn","items":[{"productId":"p1","quantity":2,"color":"Black","price":1,"productName":"hint"}]}`

func TestBasketLifecycle(t *testing.T) {
	e := MustServer(t)
	e.product(t, "p1", "950.40")
	status, h, body := e.do(t, "POST", "/basket", swnBasket)
	if status != http.StatusCreated || h.Get("Location") != "/basket/swn" {
		t.Fatalf("create: %d %v", status, body)
	}
	if body["totalPrice"] != 1900.8 {
		t.Fatalf("create body %v, want totalPrice 1900.80", body)
	}
	item := body["items"].([]any)[0].(map[string]any)
	if item["productName"] != "IPhone X" || item["price"] != 950.4 || item["lineTotal"] != 1900.8 || item["available"] != true {
		t.Fatalf("item %v: the catalog's name and price must replace the hints", item)
	}
	if status, _, body = e.do(t, "POST", "/basket", swnBasket); status != http.StatusOK {
		t.Fatalf("replace: %d %v", status, body)
	}
	if status, _, body = e.do(t, "GET", "/basket/swn", ""); status != http.StatusOK || body["userName"] != "swn" {
		t.Fatalf("get: %d %v", status, body)
	}
	if status, _, body = e.do(t, "GET", "/basket?limit=1", ""); status != http.StatusOK || len(body["items"].([]any)) != 1 {
		t.Fatalf("list: %d %v", status, body)
	}
	if status, _, _ = e.do(t, "DELETE", "/basket/swn", ""); status != http.StatusNoContent {
		t.Fatalf("delete: %d", status)
	}
}

func TestCheckout(t *testing.T) {
	e := MustServer(t)
	e.product(t, "p1", "950.40")
	e.do(t, "POST", "/basket", swnBasket)
	const req = `{"userName":"swn","firstName":"Ada","lastName":"Lovelace","email":"ada@example.com",
		"address":"London","paymentMethod":1,"cardInfo":"5554443322112233","totalPrice":0}`
	status, h, first := e.do(t, "POST", "/basket/checkout", req)
	if status != http.StatusAccepted || h.Get("Location") != "/order/swn" {
		t.Fatalf("checkout: %d %v %v", status, h, first)
	}
	if first["status"] != "Accepted" || first["totalPrice"] != 1900.8 || first["checkoutId"] == "" || first["orderDate"] == "" {
		t.Fatalf("checkout body %v", first)
	}
	status, _, again := e.do(t, "POST", "/basket/checkout", req)
	if status != http.StatusAccepted || again["checkoutId"] != first["checkoutId"] || again["orderDate"] != first["orderDate"] {
		t.Fatalf("retry: %d %v, want %v", status, again, first)
	}
	if pending, _ := e.ob.Pending(context.Background(), 10); len(pending) != 1 {
		t.Fatalf("outbox holds %d events, want 1", len(pending))
	}
	if status, _, _ := e.do(t, "GET", "/basket/swn", ""); status != http.StatusNotFound {
		t.Fatalf("get after checkout: %d, want 404", status)
	}
	raw, err := os.ReadFile(filepath.Join(e.dir, "basket.db"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("5554443322112233")) {
		t.Fatal("the full card number was stored")
	}
}

func TestProblems(t *testing.T) {
	e := MustServer(t)
	e.product(t, "p1", "1.00")
	e.do(t, "POST", "/basket", `{"userName":"empty","items":[]}`)
	e.product(t, "gone", "2.00")
	e.event(t, "ProductDeleted", "gone", "2.00", 2)
	e.do(t, "POST", "/basket", `{"userName":"ghosts","items":[{"productId":"p1","quantity":1},{"productId":"gone","quantity":1}]}`)
	many := `{"userName":"swn","items":[` + strings.Repeat(`{"productId":"p1","quantity":1},`, 100) + `{"productId":"p1","quantity":1}]}`
	for _, c := range []struct {
		name, method, path, body string
		status                   int
		field, detail            string
	}{
		{"MalformedJSON", "POST", "/basket", `{"userName":`, 400, "", ""},
		{"UnknownField", "POST", "/basket", `{"userName":"swn","x":1}`, 400, "x", ""},
		{"NoUserName", "POST", "/basket", `{"items":[]}`, 400, "userName", ""},
		{"BadUserName", "POST", "/basket", `{"userName":"a b"}`, 400, "userName", ""},
		{"LongUserName", "POST", "/basket", `{"userName":"` + strings.Repeat("a", 129) + `"}`, 400, "userName", ""},
		{"NoProductID", "POST", "/basket", `{"userName":"swn","items":[{"quantity":1}]}`, 400, "items[0].productId", ""},
		{"ZeroQuantity", "POST", "/basket", `{"userName":"swn","items":[{"productId":"p1","quantity":0}]}`, 400, "items[0].quantity", ""},
		{"HugeQuantity", "POST", "/basket", `{"userName":"swn","items":[{"productId":"p1","quantity":1001}]}`, 400, "items[0].quantity", ""},
		{"FractionalQuantity", "POST", "/basket", `{"userName":"swn","items":[{"productId":"p1","quantity":1.5}]}`, 400, "items[0].quantity", ""},
		{"TooManyItems", "POST", "/basket", many, 400, "items", ""},
		{"BadLimit", "GET", "/basket?limit=0", "", 400, "limit", ""},
		{"BadCursor", "GET", "/basket?cursor=zz", "", 400, "cursor", ""},
		{"GetNone", "GET", "/basket/nobody", "", 404, "", ""},
		{"DeleteNone", "DELETE", "/basket/nobody", "", 404, "", ""},
		{"WrongMethod", "PUT", "/basket/swn", `{}`, 405, "", ""},
		{"CheckoutNoUserName", "POST", "/basket/checkout", `{"firstName":"Ada"}`, 400, "userName", ""},
		{"CheckoutPaymentMethod", "POST", "/basket/checkout", `{"userName":"swn","paymentMethod":"card"}`, 400, "paymentMethod", ""},
		{"CheckoutPaymentFraction", "POST", "/basket/checkout", `{"userName":"swn","paymentMethod":1.5}`, 400, "paymentMethod", ""},
		{"CheckoutCardInfo", "POST", "/basket/checkout", `{"userName":"swn","cardInfo":"1234-5678-9012"}`, 400, "cardInfo", ""},
		{"CheckoutEmail", "POST", "/basket/checkout", `{"userName":"swn","email":"ada"}`, 400, "email", ""},
		{"CheckoutNoBasket", "POST", "/basket/checkout", `{"userName":"nobody"}`, 404, "", ""},
		{"CheckoutEmpty", "POST", "/basket/checkout", `{"userName":"empty"}`, 422, "", "empty"},
		{"CheckoutUnavailable", "POST", "/basket/checkout", `{"userName":"ghosts"}`, 422, "", "gone"},
		{"DotDotUserName", "POST", "/basket", `{"userName":".."}`, 400, "userName", ""},
		{"DotUserName", "POST", "/basket", `{"userName":"."}`, 400, "userName", ""},
		{"GetDotDot", "GET", "/basket/%2E%2E", "", 400, "userName", ""},
		{"DeleteDotDot", "DELETE", "/basket/%2E%2E", "", 400, "userName", ""},
		{"GetLongUserName", "GET", "/basket/" + strings.Repeat("a", 800), "", 400, "userName", ""},
		{"NamesInOtherCase", "POST", "/basket", `{"USERNAME":"swn"}`, 400, "USERNAME", ""},
		{"DuplicateNames", "POST", "/basket", `{"userName":"swn","userName":"bob"}`, 400, "userName", ""},
		{"UnknownFieldInItem", "POST", "/basket", `{"userName":"swn","items":[{"productId":"p1","quantity":1},{"productId":"p1","qty":1}]}`, 400, "items[1].qty", ""},
		{"StringQuantity", "POST", "/basket", `{"userName":"swn","items":[{"productId":"p1","quantity":"1"}]}`, 400, "items[0].quantity", ""},
		{"ControlInColor", "POST", "/basket", `{"userName":"swn","items":[{"productId":"p1","quantity":1,"color":"a\u0007"}]}`, 400, "items[0].color", ""},
		{"BlankProductID", "POST", "/basket", `{"userName":"swn","items":[{"productId":"   ","quantity":1}]}`, 400, "items[0].productId", ""},
		{"ParameterOnPut", "POST", "/basket?userName=swn", `{"userName":"swn"}`, 400, "userName", ""},
		{"UnknownParameter", "GET", "/basket?sort=asc", "", 400, "sort", ""},
		{"MalformedLimit", "GET", "/basket?limit=%ZZ", "", 400, "limit", ""},
		{"CheckoutNULInAddress", "POST", "/basket/checkout", `{"userName":"swn","address":"London\u0000"}`, 400, "address", ""},
		{"CheckoutLFInAddress", "POST", "/basket/checkout", `{"userName":"swn","address":"1 Main St\nLondon"}`, 400, "address", ""},
		{"CheckoutESCInFirstName", "POST", "/basket/checkout", `{"userName":"swn","firstName":"\u001b[31mAda"}`, 400, "firstName", ""},
		{"CheckoutBlankLastName", "POST", "/basket/checkout", `{"userName":"swn","lastName":"   "}`, 400, "lastName", ""},
		{"CheckoutInvalidUTF8", "POST", "/basket/checkout", "{\"userName\":\"swn\",\"address\":\"\xff\"}", 400, "", "address"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, e.srv.URL+c.path, strings.NewReader(c.body))
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var p httpx.Problem
			if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
				t.Fatalf("body is not a problem: %v", err)
			}
			if res.StatusCode != c.status || p.Status != c.status || res.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("got %d %s %+v, want %d problem+json", res.StatusCode, res.Header.Get("Content-Type"), p, c.status)
			}
			if c.field != "" && !hasField(p, c.field) {
				t.Fatalf("problem %+v does not name field %q", p, c.field)
			}
			if !strings.Contains(p.Detail, c.detail) {
				t.Fatalf("detail %q does not mention %q", p.Detail, c.detail)
			}
		})
	}
}

func TestUnsupportedMediaType(t *testing.T) {
	e := MustServer(t)
	res, err := http.Post(e.srv.URL+"/basket", "text/plain", strings.NewReader(swnBasket))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnsupportedMediaType || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %s, want 415 problem+json", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func hasField(p httpx.Problem, name string) bool {
	for _, f := range p.Errors {
		if f.Field == name {
			return true
		}
	}
	return false
}

// TestEscapedUserName: a client that percent-encodes the path (as
// encodeURIComponent does with "@") reaches the same basket.
func TestEscapedUserName(t *testing.T) {
	e := MustServer(t)
	e.product(t, "p1", "1.00")
	if status, _, body := e.do(t, "POST", "/basket", `{"userName":"ada@example.com","items":[{"productId":"p1","quantity":1}]}`); status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, body)
	}
	if status, _, body := e.do(t, "GET", "/basket/ada%40example.com", ""); status != http.StatusOK || body["userName"] != "ada@example.com" {
		t.Fatalf("get escaped: %d %v", status, body)
	}
	if status, _, body := e.do(t, "DELETE", "/basket/ada%40example.com", ""); status != http.StatusNoContent {
		t.Fatalf("delete escaped: %d %v", status, body)
	}
}

// TestCheckoutPending: a line whose product the price list has not heard of
// yet reads "pending" (a deleted one "unavailable"); checkout answers 409
// with Retry-After and the basket_pending problem type, and goes through
// once the product event arrived.
func TestCheckoutPending(t *testing.T) {
	e := MustServer(t)
	e.product(t, "p1", "1.00")
	e.product(t, "gone", "2.00")
	e.event(t, "ProductDeleted", "gone", "2.00", 2)
	status, _, body := e.do(t, "POST", "/basket", `{"userName":"swn","items":[{"productId":"p1","quantity":1},{"productId":"new","quantity":2},{"productId":"gone","quantity":1}]}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, body)
	}
	items := body["items"].([]any)
	for i, want := range []struct {
		status    string
		available bool
	}{{"priced", true}, {"pending", false}, {"unavailable", false}} {
		l := items[i].(map[string]any)
		if l["status"] != want.status || l["available"] != want.available {
			t.Fatalf("line %d = %v, want status %s, available %v", i, l, want.status, want.available)
		}
	}
	e.do(t, "POST", "/basket", `{"userName":"swn","items":[{"productId":"p1","quantity":1},{"productId":"new","quantity":2}]}`)
	status, h, body := e.do(t, "POST", "/basket/checkout", `{"userName":"swn"}`)
	if status != http.StatusConflict || h.Get("Content-Type") != "application/problem+json" || h.Get("Retry-After") != "1" ||
		body["type"] != baskethttp.PendingProblemType || !strings.Contains(body["detail"].(string), "new") {
		t.Fatalf("checkout with a pending line: %d %v %v, want 409 %s with Retry-After: 1", status, h, body, baskethttp.PendingProblemType)
	}
	e.product(t, "new", "2.50")
	if status, _, body := e.do(t, "GET", "/basket/swn", ""); status != http.StatusOK || body["items"].([]any)[1].(map[string]any)["status"] != "priced" {
		t.Fatalf("after the event: %d %v, want the line priced", status, body)
	}
	if status, _, body := e.do(t, "POST", "/basket/checkout", `{"userName":"swn"}`); status != http.StatusAccepted || body["totalPrice"] != 6.0 {
		t.Fatalf("checkout after the event: %d %v, want 202 with total 6.00", status, body)
	}
}
