package http_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/serverless-shop/shop/platform/auth"
	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/product"
	"github.com/serverless-shop/shop/product/bolt"
	producthttp "github.com/serverless-shop/shop/product/http"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	s, err := bolt.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv := httptest.NewServer(producthttp.NewHandler(product.NewService(s, product.DefaultSource, nil), auth.OpenGuard()).Routes())
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, contentType, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func mustCreate(t *testing.T, base, body string) product.Product {
	t.Helper()
	res, b := do(t, "POST", base, "application/json", body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: got %d %s", res.StatusCode, b)
	}
	var p product.Product
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if got, want := res.Header.Get("Location"), "/product/"+p.ID; got != want {
		t.Errorf("Location = %q, want %q", got, want)
	}
	return p
}

func TestCreateGetUpdateDelete(t *testing.T) {
	srv := newServer(t)
	p := mustCreate(t, srv.URL, `{"name":"IPhone X","description":"d","imageFile":"x.png","price":950.40,"category":"Phone"}`)
	if p.ID == "" || p.Price != 95040 || p.Version != 1 {
		t.Fatalf("created %+v", p)
	}

	res, b := do(t, "PUT", srv.URL+"/"+p.ID, "application/json", `{"price": 899.99}`)
	var got product.Product
	if err := json.Unmarshal(b, &got); res.StatusCode != 200 || err != nil {
		t.Fatalf("update: %d %s", res.StatusCode, b)
	}
	if got.Price != 89999 || got.Name != "IPhone X" || got.Category != "Phone" || got.Version != 2 {
		t.Errorf("update kept the wrong fields: %+v", got)
	}

	res, b = do(t, "PUT", srv.URL+"/"+p.ID, "application/json", `{"price": 1, "version": 1}`)
	if res.StatusCode != http.StatusConflict {
		t.Errorf("stale version: got %d %s, want 409", res.StatusCode, b)
	}

	res, _ = do(t, "DELETE", srv.URL+"/"+p.ID, "", "")
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("delete: got %d, want 204", res.StatusCode)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if res, _ := do(t, m, srv.URL+"/"+p.ID, "", ""); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s after delete: got %d, want 404", m, res.StatusCode)
		}
	}
}

func TestListPaginatesAndFiltersByCategory(t *testing.T) {
	srv := newServer(t)
	for _, c := range []string{"Phone", "TV", "Phone"} {
		mustCreate(t, srv.URL, `{"name":"x","price":1,"category":"`+c+`"}`)
	}
	var l httpx.List[product.Product]
	_, b := do(t, "GET", srv.URL+"?limit=2", "", "")
	if err := json.Unmarshal(b, &l); err != nil || len(l.Items) != 2 || l.NextCursor == "" {
		t.Fatalf("first page: %s", b)
	}
	_, b = do(t, "GET", srv.URL+"?limit=2&cursor="+l.NextCursor, "", "")
	l = httpx.List[product.Product]{}
	if err := json.Unmarshal(b, &l); err != nil || len(l.Items) != 1 || l.NextCursor != "" {
		t.Fatalf("second page: %s", b)
	}
	_, b = do(t, "GET", srv.URL+"?category=Phone", "", "")
	if err := json.Unmarshal(b, &l); err != nil || len(l.Items) != 2 {
		t.Fatalf("category: %s", b)
	}
}

func TestBadInputIsAProblem(t *testing.T) {
	srv := newServer(t)
	p := mustCreate(t, srv.URL, `{"name":"x","price":1}`)
	big := `{"name":"` + strings.Repeat("a", httpx.MaxBodyBytes) + `","price":1}`
	for _, c := range []struct {
		name, method, path, ctype, body string
		status                          int
		field                           string
	}{
		{"MalformedJSON", "POST", "", "application/json", `{"name":`, 400, ""},
		{"NotAnObject", "POST", "", "application/json", `[1,2]`, 400, ""},
		{"TrailingData", "POST", "", "application/json", `{"name":"a","price":1} {}`, 400, ""},
		{"EmptyBody", "POST", "", "application/json", ``, 400, ""},
		{"UnknownField", "POST", "", "application/json", `{"name":"a","price":1,"colour":"red"}`, 400, "colour"},
		{"MissingName", "POST", "", "application/json", `{"price":1}`, 400, "name"},
		{"EmptyName", "POST", "", "application/json", `{"name":"","price":1}`, 400, "name"},
		{"WrongType", "POST", "", "application/json", `{"name":5,"price":1}`, 400, "name"},
		{"MissingPrice", "POST", "", "application/json", `{"name":"a"}`, 400, "price"},
		{"NegativePrice", "POST", "", "application/json", `{"name":"a","price":-1}`, 400, "price"},
		{"ThreeDecimals", "POST", "", "application/json", `{"name":"a","price":1.999}`, 400, "price"},
		{"PriceAsString", "POST", "", "application/json", `{"name":"a","price":"abc"}`, 400, "price"},
		{"ClientID", "POST", "", "application/json", `{"id":"mine","name":"a","price":1}`, 400, "id"},
		{"TooLarge", "POST", "", "application/json", big, 413, ""},
		{"WrongContentType", "POST", "", "text/plain", `{"name":"a","price":1}`, 415, ""},
		{"NoContentType", "POST", "", "", `{"name":"a","price":1}`, 415, ""},
		{"ChangeID", "PUT", "/" + p.ID, "application/json", `{"id":"other"}`, 400, "id"},
		{"UpdateUnknown", "PUT", "/nope", "application/json", `{"price":1}`, 404, ""},
		{"BadLimit", "GET", "?limit=0", "", "", 400, "limit"},
		{"LimitTooHigh", "GET", "?limit=1001", "", "", 400, "limit"},
		{"BadCursor", "GET", "?cursor=bm90LWEtY3Vyc29y", "", "", 400, "cursor"},
		{"NamesInOtherCase", "POST", "", "application/json", `{"NAME":"upper","PRICE":3}`, 400, "NAME"},
		{"DuplicateNames", "POST", "", "application/json", `{"name":"a","name":"b","price":1,"price":2}`, 400, "name"},
		{"NULInName", "POST", "", "application/json", `{"name":"a\u0000b","price":1}`, 400, "name"},
		{"ESCInName", "POST", "", "application/json", `{"name":"a\u001bb","price":1}`, 400, "name"},
		{"BELInName", "POST", "", "application/json", `{"name":"a\u0007b","price":1}`, 400, "name"},
		{"CRLFInName", "POST", "", "application/json", `{"name":"a\r\nb","price":1}`, 400, "name"},
		{"TabInDescription", "POST", "", "application/json", `{"name":"a","description":"a\tb","price":1}`, 400, "description"},
		{"C1InCategory", "POST", "", "application/json", `{"name":"a","category":"\u0085","price":1}`, 400, "category"},
		{"RawControlInName", "POST", "", "application/json", "{\"name\":\"a\x1bb\",\"price\":1}", 400, ""},
		{"InvalidUTF8InName", "POST", "", "application/json", "{\"name\":\"a\xffb\",\"price\":1}", 400, ""},
		{"BlankName", "POST", "", "application/json", `{"name":"   ","price":1}`, 400, "name"},
		{"BlankNameOnUpdate", "PUT", "/" + p.ID, "application/json", `{"name":"   "}`, 400, "name"},
		{"NullPrice", "POST", "", "application/json", `{"name":"a","price":null}`, 400, "price"},
		{"MalformedCategory", "GET", "?category=%ZZ", "", "", 400, "category"},
		{"MalformedLimit", "GET", "?limit=%ZZ", "", "", 400, "limit"},
		{"UnknownParameter", "GET", "?colour=red", "", "", 400, "colour"},
		{"RepeatedParameter", "GET", "?limit=1&limit=2", "", "", 400, "limit"},
		{"ParameterOnGet", "GET", "/" + p.ID + "?limit=1", "", "", 400, "limit"},
		{"ParameterOnCreate", "POST", "?dryRun=1", "application/json", `{"name":"a","price":1}`, 400, "dryRun"},
		{"CategoryNotText", "GET", "?category=a%00b", "", "", 400, "category"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, b := do(t, c.method, srv.URL+c.path, c.ctype, c.body)
			if res.StatusCode != c.status {
				t.Fatalf("got %d %s, want %d", res.StatusCode, b, c.status)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var pr httpx.Problem
			if err := json.Unmarshal(b, &pr); err != nil || pr.Status != c.status || pr.Type == "" || pr.Title == "" {
				t.Fatalf("not a problem: %s", b)
			}
			if c.field != "" && (len(pr.Errors) == 0 || pr.Errors[0].Field != c.field) {
				t.Errorf("problem does not name %q: %s", c.field, b)
			}
		})
	}
}
