package main_test

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/serverless-shop/shop/internal/shoptest"
)

// problemBody is an RFC 9457 problem as the shop writes it.
type problemBody struct {
	Type   string `json:"type"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

// mustProblem fails unless r is a problem of the status and code and, when
// field is set, names field (with reason, when set).
func mustProblem(t *testing.T, name string, r shoptest.Response, status int, code, field, reason string) problemBody {
	t.Helper()
	var p problemBody
	if err := json.Unmarshal(r.Body, &p); err != nil || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s: got %d %s %q, want a problem", name, r.Status, r.Header.Get("Content-Type"), r.Body)
		return p
	}
	if r.Status != status || p.Status != status || p.Type != "urn:shop:problem:"+code {
		t.Errorf("%s: got %d %s, want %d urn:shop:problem:%s: %s", name, r.Status, p.Type, status, code, r.Body)
	}
	if field == "" {
		return p
	}
	for _, e := range p.Errors {
		if e.Field == field && (reason == "" || e.Reason == reason) {
			return p
		}
	}
	t.Errorf("%s: problem names %+v, want %s %q", name, p.Errors, field, reason)
	return p
}

// TestStrictJSON sends the lenient bodies of issue 10: each is refused.
func TestStrictJSON(t *testing.T) {
	shop := shoptest.Start(t, bin)
	admin, swn := shop.AsAdmin(t), shop.As(t, "swn")
	id := mustProduct(t, shop, "Phone", "1.00")
	for _, c := range []struct {
		name, method, path, body string
		field, reason            string
	}{
		{"NamesInOtherCase", "POST", "/product", `{"NAME":"upper","PRICE":3}`, "NAME", "is not a known field"},
		{"DuplicateNames", "POST", "/product", `{"name":"a","name":"b","price":1,"price":2}`, "name", "must not be repeated"},
		{"DuplicateNamesInItem", "POST", "/basket", `{"items":[{"productId":"` + id + `","quantity":1,"quantity":2}]}`, "items[0].quantity", "must not be repeated"},
		{"ThreeSpacesName", "POST", "/product", `{"name":"   ","price":1}`, "name", "must not be blank"},
		{"NULInName", "POST", "/product", `{"name":"a\u0000b","price":1}`, "name", "must not contain control characters"},
		{"ESCInName", "POST", "/product", `{"name":"\u001b[31mred","price":1}`, "name", "must not contain control characters"},
		{"BELInName", "POST", "/product", `{"name":"a\u0007","price":1}`, "name", "must not contain control characters"},
		{"CRInName", "POST", "/product", `{"name":"a\rb","price":1}`, "name", "must not contain control characters"},
		{"LFInName", "POST", "/product", `{"name":"a\nb","price":1}`, "name", "must not contain control characters"},
		{"LFInNameOnUpdate", "PUT", "/product/" + id, `{"name":"a\nb"}`, "name", "must not contain control characters"},
		{"NULInAddress", "POST", "/basket/checkout", `{"address":"London\u0000"}`, "address", "must not contain control characters"},
		{"ESCInAddress", "POST", "/basket/checkout", `{"address":"\u001b]0;pwned\u0007"}`, "address", "must not contain control characters"},
		{"BELInAddress", "POST", "/basket/checkout", `{"address":"London\u0007"}`, "address", "must not contain control characters"},
		{"CRInAddress", "POST", "/basket/checkout", `{"address":"London\r"}`, "address", "must not contain control characters"},
		{"LFInAddress", "POST", "/basket/checkout", `{"address":"1 Main St\nLondon"}`, "address", "must not contain control characters"},
		{"ThreeSpacesFirstName", "POST", "/basket/checkout", `{"firstName":"   "}`, "firstName", "must not be blank"},
		{"ControlInColor", "POST", "/basket", `{"items":[{"productId":"` + id + `","quantity":1,"color":"\u001b"}]}`, "items[0].color", "must not contain control characters"},
		{"FractionalQuantity", "POST", "/basket", `{"items":[{"productId":"` + id + `","quantity":2.5}]}`, "items[0].quantity", "must be an integer"},
		{"FractionalQuantityOfSecond", "POST", "/basket", `{"items":[{"productId":"` + id + `","quantity":1},{"productId":"` + id + `","quantity":2.5}]}`, "items[1].quantity", "must be an integer"},
		{"UnknownFieldInItem", "POST", "/basket", `{"items":[{"productId":"` + id + `","quantity":1,"qty":2}]}`, "items[0].qty", "is not a known field"},
		{"StringPaymentMethod", "POST", "/basket/checkout", `{"paymentMethod":"card"}`, "paymentMethod", "must be an integer"},
		{"IDOnCreate", "POST", "/product", `{"id":"","name":"x","price":1}`, "id", "is assigned by the server and cannot be changed"},
		{"NullCategory", "POST", "/product", `{"name":"x","price":1,"category":null}`, "category", "must not be null"},
		{"NullItems", "POST", "/basket", `{"items":null}`, "items", "must not be null"},
		{"NullColor", "POST", "/basket", `{"items":[{"productId":"` + id + `","quantity":1,"color":null}]}`, "items[0].color", "must not be null"},
		{"NullPaymentMethod", "POST", "/basket/checkout", `{"paymentMethod":null}`, "paymentMethod", "must not be null"},
		{"PriceHintNotANumber", "POST", "/basket", `{"items":[{"productId":"` + id + `","quantity":1,"price":"x"}]}`, "items[0].price", "must be a number"},
		{"NameHintNotAString", "POST", "/basket", `{"items":[{"productId":"` + id + `","quantity":1,"productName":3}]}`, "items[0].productName", "must be a string"},
		{"TotalPriceHintNotANumber", "POST", "/basket/checkout", `{"totalPrice":"x"}`, "totalPrice", "must be a number"},
	} {
		caller := swn
		if strings.HasPrefix(c.path, "/product") {
			caller = admin
		}
		mustProblem(t, c.name, caller.Do(t, c.method, c.path, c.body), http.StatusBadRequest, "invalid", c.field, c.reason)
	}
	// Bytes that are not JSON text at all: refused before any field is read.
	for name, body := range map[string]string{
		"InvalidUTF8InName":    "{\"name\":\"a\xffb\",\"price\":1}",
		"RawESCInName":         "{\"name\":\"a\x1bb\",\"price\":1}",
		"RawLFInName":          "{\"name\":\"a\nb\",\"price\":1}",
		"LoneSurrogateInName":  `{"name":"\udc00","price":1}`,
		"InvalidUTF8InAddress": "{\"address\":\"London\xc3\"}",
	} {
		caller, path := admin, "/product"
		if strings.Contains(name, "Address") {
			caller, path = swn, "/basket/checkout"
		}
		p := mustProblem(t, name, caller.Do(t, "POST", path, body), http.StatusBadRequest, "invalid", "", "")
		if !strings.HasPrefix(p.Detail, "Malformed JSON at byte ") {
			t.Errorf("%s: detail %q", name, p.Detail)
		}
	}
	var list struct{ Items []productBody }
	shop.Must(t, http.StatusOK, "GET", "/product", nil).Decode(t, &list)
	if len(list.Items) != 1 {
		t.Errorf("the catalog holds %d products, want only the valid one", len(list.Items))
	}
}

// TestStrictQuery: a query string is percent-encoded, names only the
// route's parameters, each once.
func TestStrictQuery(t *testing.T) {
	shop := shoptest.Start(t, bin)
	mustProduct(t, shop, "Phone", "1.00")
	swn := shop.As(t, "swn")
	for _, c := range []struct {
		name, path, field, reason string
		caller                    *shoptest.Shop
	}{
		{"MalformedCategory", "/product?category=%ZZ", "category", "is not valid percent-encoding", shop},
		{"MalformedLimit", "/product?limit=%ZZ", "limit", "is not valid percent-encoding", shop},
		{"UnknownParameter", "/product?colour=red", "colour", "is not a parameter of this route", shop},
		{"RepeatedParameter", "/product?category=Phone&category=Tablet", "category", "must be given at most once", shop},
		{"ParameterOfNoRoute", "/product?limit=1&page=2", "page", "is not a parameter of this route", shop},
		{"ParameterOnHealthz", "/healthz?verbose=1", "verbose", "is not a parameter of this route", shop},
		{"UnknownOrderParameter", "/order?status=open", "status", "is not a parameter of this route", swn},
		{"MalformedOrderDate", "/order/swn?orderDate=%ZZ", "orderDate", "is not valid percent-encoding", swn},
		{"EmptyLimit", "/product?limit=", "limit", "must be an integer from 1 to 1000", shop},
		{"EmptyCursor", "/product?cursor=", "cursor", "is not a cursor this server issued", shop},
	} {
		mustProblem(t, c.name, c.caller.Do(t, "GET", c.path, nil), http.StatusBadRequest, "invalid", c.field, c.reason)
	}
	shop.Must(t, http.StatusOK, "GET", "/product?category=Phone&limit=10", nil)
	shop.Must(t, http.StatusOK, "GET", "/product?category=A%20B", nil)
}

// TestStrictUserName: one rule for user names on every route and in
// `shop token`; "." and ".." are none.
func TestStrictUserName(t *testing.T) {
	shop := shoptest.Start(t, bin)
	admin := shop.AsAdmin(t)
	for _, user := range []string{"..", ".", strings.Repeat("a", 129), "ada lovelace"} {
		cmd := exec.Command(bin, "token", "-user", user)
		cmd.Env = append(os.Environ(), "SHOP_DATA_DIR="+shop.DataDir())
		if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "-user must be") {
			t.Errorf("shop token -user %q: %v %s, want a refusal", user, err, out)
		}
	}
	// A token naming ".." (as an issuer could mint) opens nothing.
	dots := shop.WithToken(shoptest.DevToken(t, shop.DataDir(), "..", false))
	mustProblem(t, "BasketOfDotDot", dots.Do(t, "POST", "/basket", `{"items":[]}`), http.StatusBadRequest, "invalid", "userName", "")
	mustProblem(t, "CheckoutOfDotDot", dots.Do(t, "POST", "/basket/checkout", `{}`), http.StatusBadRequest, "invalid", "userName", "")
	mustProblem(t, "OrdersOfDotDot", dots.Do(t, "GET", "/order", nil), http.StatusBadRequest, "invalid", "userName", "")

	long := strings.Repeat("a", 800)
	for _, path := range []string{"/basket/%2E%2E", "/basket/" + long, "/order/%2E%2E", "/order/" + long, "/order/" + long + "?orderDate=2026-11-27T08:00:00Z"} {
		mustProblem(t, "Admin GET "+path[:min(len(path), 40)], admin.Do(t, "GET", path, nil), http.StatusBadRequest, "invalid", "userName", "")
	}
	mustProblem(t, "Admin DELETE /basket/..", admin.Do(t, "DELETE", "/basket/%2E%2E", nil), http.StatusBadRequest, "invalid", "userName", "")
	// Anyone else's name, valid or not, is not the caller's.
	mustProblem(t, "User GET long /order", shop.As(t, "swn").Do(t, "GET", "/order/"+long, nil), http.StatusForbidden, "forbidden", "", "")
	shop.As(t, "a+b@example.com").Must(t, http.StatusCreated, "POST", "/basket", `{"items":[]}`)
}

// TestMethods: HEAD on every GET route, Allow on every 405, OPTIONS 204.
func TestMethods(t *testing.T) {
	shop := shoptest.Start(t, bin)
	id := mustProduct(t, shop, "Phone", "1.00")
	swn, admin := shop.As(t, "swn"), shop.AsAdmin(t)
	swn.Must(t, http.StatusCreated, "POST", "/basket", `{"items":[]}`)
	for _, c := range []struct {
		path   string
		caller *shoptest.Shop
	}{
		{"/healthz", shop}, {"/readyz", shop}, {"/product", shop}, {"/product?category=Phone&limit=1", shop},
		{"/product/" + id, shop}, {"/product/nope", shop}, {"/basket", admin}, {"/basket/swn", swn},
		{"/order", swn}, {"/order/swn", swn}, {"/basket/swn", shop},
	} {
		get, head := c.caller.Do(t, "GET", c.path, nil), c.caller.Do(t, "HEAD", c.path, nil)
		if head.Status != get.Status || len(head.Body) != 0 ||
			head.Header.Get("Content-Type") != get.Header.Get("Content-Type") ||
			head.Header.Get("Content-Length") != get.Header.Get("Content-Length") {
			t.Errorf("HEAD %s: %d %q %s, want GET's %d %q and no body", c.path, head.Status,
				head.Header.Get("Content-Type"), head.Body, get.Status, get.Header.Get("Content-Type"))
		}
	}
	for _, c := range []struct{ method, path, allow string }{
		{"PATCH", "/product", "GET, HEAD, OPTIONS, POST"},
		{"DELETE", "/product", "GET, HEAD, OPTIONS, POST"},
		{"POST", "/product/" + id, "DELETE, GET, HEAD, OPTIONS, PUT"},
		{"POST", "/healthz", "GET, HEAD, OPTIONS"},
		{"DELETE", "/readyz", "GET, HEAD, OPTIONS"},
		{"PUT", "/basket/swn", "DELETE, GET, HEAD, OPTIONS"},
		{"POST", "/order", "GET, HEAD, OPTIONS"},
		{"DELETE", "/order/swn", "GET, HEAD, OPTIONS"},
	} {
		r := swn.Do(t, c.method, c.path, nil)
		mustProblem(t, c.method+" "+c.path, r, http.StatusMethodNotAllowed, "method_not_allowed", "", "")
		if got := r.Header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
		r = shop.Do(t, "OPTIONS", c.path, nil)
		if got := r.Header.Get("Allow"); r.Status != http.StatusNoContent || got != c.allow || len(r.Body) != 0 {
			t.Errorf("OPTIONS %s: %d Allow %q %q, want 204 Allow %q", c.path, r.Status, got, r.Body, c.allow)
		}
	}
	mustProblem(t, "OPTIONS /nope", shop.Do(t, "OPTIONS", "/nope", nil), http.StatusNotFound, "not_found", "", "")
}

// TestCORS: cross-origin requests are refused unless SHOP_CORS_ORIGINS
// lists the origin.
func TestCORS(t *testing.T) {
	const origin = "https://shop.example.com"
	preflight := func(shop *shoptest.Shop, origin string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("OPTIONS", shop.URL+"/basket", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	get := func(shop *shoptest.Shop, origin string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", shop.URL+"/product", nil)
		req.Header.Set("Origin", origin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	t.Run("RefusedByDefault", func(t *testing.T) {
		shop := shoptest.Start(t, bin)
		for name, res := range map[string]*http.Response{"preflight": preflight(shop, origin), "GET": get(shop, origin)} {
			for k := range res.Header {
				if strings.HasPrefix(k, "Access-Control-") {
					t.Errorf("%s: %s: %q, want no Access-Control headers", name, k, res.Header.Get(k))
				}
			}
		}
	})
	t.Run("AllowedForAListedOrigin", func(t *testing.T) {
		shop := shoptest.Start(t, bin, "SHOP_CORS_ORIGINS="+origin+",http://localhost:5173")
		res := preflight(shop, origin)
		if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != origin ||
			!strings.Contains(res.Header.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")), "authorization") ||
			res.Header.Get("Allow") != "GET, HEAD, OPTIONS, POST" {
			t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
		}
		res = get(shop, origin)
		if res.StatusCode != http.StatusOK || res.Header.Get("Access-Control-Allow-Origin") != origin ||
			!strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
			t.Errorf("GET: %d %v", res.StatusCode, res.Header)
		}
		for name, res := range map[string]*http.Response{"preflight": preflight(shop, "https://evil.example"), "GET": get(shop, "https://evil.example")} {
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("%s from an unlisted origin: Access-Control-Allow-Origin %q", name, got)
			}
		}
	})
}

// rawExchange writes req on a fresh connection to shop, then waits for the
// response, which it returns with its body.
func rawExchange(t *testing.T, shop *shoptest.Shop, req string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(shop.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	_, _ = bufio.NewReader(res.Body).WriteTo(&b)
	return res, b.String()
}

// TestSlowAndBrokenBodies: a body that does not arrive in time is a 408, a
// broken chunked body a 400, and neither says anything of the connection.
func TestSlowAndBrokenBodies(t *testing.T) {
	shop := shoptest.Start(t, bin, "SHOP_BODY_TIMEOUT=1s")
	auth := "Authorization: Bearer " + shop.AsAdmin(t).Token() + "\r\n"
	for _, c := range []struct {
		name, req string
		status    int
		code      string
		detail    string
	}{
		{"Slow", "POST /product HTTP/1.1\r\nHost: shop\r\n" + auth + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n" + `{"name":`,
			http.StatusRequestTimeout, "timeout", "The request body did not arrive in time."},
		{"SlowChunked", "POST /product HTTP/1.1\r\nHost: shop\r\n" + auth + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n{\"name\":\r\n",
			http.StatusRequestTimeout, "timeout", "The request body did not arrive in time."},
		{"BrokenChunked", "POST /product HTTP/1.1\r\nHost: shop\r\n" + auth + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n{\"name\":\r\nzz\r\n",
			http.StatusBadRequest, "invalid", "Malformed request body."},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			res, body := rawExchange(t, shop, c.req)
			var p problemBody
			if err := json.Unmarshal([]byte(body), &p); err != nil || res.StatusCode != c.status ||
				p.Type != "urn:shop:problem:"+c.code || p.Detail != c.detail {
				t.Fatalf("got %d %s, want %d %s %q", res.StatusCode, body, c.status, c.code, c.detail)
			}
			for _, leak := range []string{"127.0.0.1", "tcp", "i/o", "chunk", "read "} {
				if strings.Contains(body, leak) {
					t.Errorf("body %s says %q", body, leak)
				}
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("answered after %s, want about SHOP_BODY_TIMEOUT", d)
			}
		})
	}
}
