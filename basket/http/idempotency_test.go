package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/serverless-shop/shop/platform/httpx"
)

// checkout posts a checkout of swn's basket with the given Idempotency-Key
// header values (none for no header) and returns the status and body.
func (e *env) checkout(tb testing.TB, keys ...string) (int, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest("POST", e.srv.URL+"/basket/checkout", strings.NewReader(`{"userName":"swn","paymentMethod":1}`))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for _, k := range keys {
		req.Header.Add("Idempotency-Key", k)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		tb.Fatalf("body is not JSON: %v", err)
	}
	return res.StatusCode, out
}

func (e *env) pending(tb testing.TB) int {
	tb.Helper()
	events, err := e.ob.Pending(context.Background(), 100)
	if err != nil {
		tb.Fatal(err)
	}
	return len(events)
}

func TestCheckoutIdempotencyKey(t *testing.T) {
	e := MustServer(t)
	e.product(t, "p1", "950.40")
	e.do(t, "POST", "/basket", swnBasket)
	status, first := e.checkout(t, "order-1")
	if status != http.StatusAccepted || first["checkoutId"] == "" {
		t.Fatalf("checkout: %d %v", status, first)
	}
	// The client made a new basket before its retry arrived.
	e.do(t, "POST", "/basket", `{"userName":"swn","items":[{"productId":"p1","quantity":1}]}`)
	status, again := e.checkout(t, "order-1")
	if status != http.StatusAccepted {
		t.Fatalf("retry: %d %v", status, again)
	}
	for _, f := range []string{"checkoutId", "userName", "orderDate", "totalPrice", "status"} {
		if again[f] != first[f] {
			t.Fatalf("retry %s = %v, want %v", f, again[f], first[f])
		}
	}
	if n := e.pending(t); n != 1 {
		t.Fatalf("outbox holds %d events after the retry, want 1", n)
	}
	if status, _, body := e.do(t, "GET", "/basket/swn", ""); status != http.StatusOK || body["totalPrice"] != 950.4 {
		t.Fatalf("new basket after the retry: %d %v; want it open", status, body)
	}
	status, second := e.checkout(t, "order-2")
	if status != http.StatusAccepted || second["checkoutId"] == first["checkoutId"] || second["totalPrice"] != 950.4 {
		t.Fatalf("checkout under a new key: %d %v; want the new basket checked out", status, second)
	}
	if n := e.pending(t); n != 2 {
		t.Fatalf("outbox holds %d events, want 2", n)
	}
}

func TestCheckoutBadIdempotencyKey(t *testing.T) {
	e := MustServer(t)
	e.product(t, "p1", "1.00")
	e.do(t, "POST", "/basket", swnBasket)
	for name, keys := range map[string][]string{
		"Empty":    {""},
		"Space":    {"a b"},
		"TooLong":  {strings.Repeat("k", 256)},
		"NonASCII": {"clé"},
		"Twice":    {"a", "b"},
	} {
		t.Run(name, func(t *testing.T) {
			status, body := e.checkout(t, keys...)
			raw, _ := json.Marshal(body)
			var p httpx.Problem
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatal(err)
			}
			if status != http.StatusBadRequest || !hasField(p, "Idempotency-Key") {
				t.Fatalf("got %d %+v, want 400 naming Idempotency-Key", status, p)
			}
		})
	}
	if n := e.pending(t); n != 0 {
		t.Fatalf("outbox holds %d events after refused checkouts, want 0", n)
	}
}
