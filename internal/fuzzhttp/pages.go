package fuzzhttp

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/serverless-shop/shop/platform/httpx"
)

// CheckPages serves GET path?query through h: never a 5xx or a panic (see
// CheckAnswer), and when it is a 200 whose next cursor is not empty, the
// page after it, with the same parameters, is a 200 too. next reads the
// cursor from a 200's body and fails t when the body is not what path
// answers.
func CheckPages(t *testing.T, h http.Handler, path, query string, next func(t *testing.T, target string, body []byte) string) {
	t.Helper()
	target := path + "?" + query
	SkipUnreadable(t, "GET", target, nil)
	rec := Serve(h, "GET", target, "", nil)
	CheckAnswer(t, "GET "+target, rec)
	if rec.Code != http.StatusOK {
		return
	}
	cursor := next(t, target, rec.Body.Bytes())
	if cursor == "" {
		return
	}
	after := path + "?" + NextPage(t, target, cursor)
	rec = Serve(h, "GET", after, "", nil)
	CheckAnswer(t, "GET "+after, rec)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s (the next page of %s): got %d %s, want 200", after, target, rec.Code, rec.Body)
	}
}

// CheckList is CheckPages for a route that answers a listing of T: a 200
// is an httpx.List whose items decode as T.
func CheckList[T any](t *testing.T, h http.Handler, path, query string) {
	t.Helper()
	CheckPages(t, h, path, query, func(t *testing.T, target string, body []byte) string {
		t.Helper()
		var l httpx.List[T]
		if err := json.Unmarshal(body, &l); err != nil || l.Items == nil {
			t.Fatalf("GET %s: got %s, want a listing", target, body)
		}
		return l.NextCursor
	})
}
