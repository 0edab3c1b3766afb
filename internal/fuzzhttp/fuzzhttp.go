// Package fuzzhttp is what the HTTP fuzz targets of the modules share: a
// request served in process, the requests net/http would never hand to a
// handler, the answer every route promises, and cursor paging.
package fuzzhttp

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/platform/page"
)

// Serve runs one request through h in process, so that a panic in a
// handler reaches the fuzzer instead of net/http's recovery. A non-empty
// body is sent as JSON; header is added as it is.
func Serve(h http.Handler, method, target, body string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// SkipUnreadable skips a request no server hands to a handler: net/http
// answers a request line or a header it cannot read (a space or a control
// character in the target, a control character in a header value) with 400
// itself. httptest.NewRequest would panic on the former.
func SkipUnreadable(t *testing.T, method, target string, header http.Header) {
	t.Helper()
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: shop.test\r\n")
	for k, vs := range header {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n")
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(b.String())))
	if err == nil {
		for k, vs := range header {
			if !reflect.DeepEqual(req.Header[k], vs) {
				err = fmt.Errorf("header %s %q does not survive the wire", k, vs)
			}
		}
	}
	if err != nil {
		t.Skip("net/http refuses the request:", err)
	}
}

// CheckAnswer fails unless rec is an answer the API promises: never a 5xx;
// a 2xx is application/json holding one well-formed JSON value; anything
// else is an application/problem+json problem carrying its own status.
func CheckAnswer(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	body, ct := rec.Body.Bytes(), rec.Header().Get("Content-Type")
	switch {
	case rec.Code >= 500:
		t.Fatalf("%s: got %d %s, want no 5xx", what, rec.Code, body)
	case rec.Code >= 200 && rec.Code < 300:
		if ct != "application/json" || !json.Valid(body) {
			t.Fatalf("%s: got %d %q %q, want well-formed application/json", what, rec.Code, ct, body)
		}
	default:
		var p httpx.Problem
		if err := json.Unmarshal(body, &p); ct != "application/problem+json" || err != nil || p.Status != rec.Code {
			t.Fatalf("%s: got %d %q %q, want an application/problem+json problem with status %d", what, rec.Code, ct, body, rec.Code)
		}
	}
}

// WithCursor puts a cursor of the given keys and values in front of query,
// where it wins over a cursor the query itself holds: fuzzing the cursor's
// content directly reaches the store's start keys, which mutating base64
// text rarely does.
func WithCursor(query, k1, v1, k2, v2 string) string {
	if k1 == "" {
		return query
	}
	c := page.Cursor{k1: v1}
	if k2 != "" {
		c[k2] = v2
	}
	return "cursor=" + url.QueryEscape(c.Encode()) + "&" + query
}

// NextPage is the query of the page after target's: the same parameters,
// with cursor replaced by next.
func NextPage(t *testing.T, target, next string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("parse %s: %v", target, err)
	}
	q := u.Query()
	q.Set("cursor", next)
	return q.Encode()
}
