package basket_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/serverless-shop/shop/basket"
	"github.com/serverless-shop/shop/platform/errs"
)

// MustCheckout checks out user's basket under key.
func MustCheckout(tb testing.TB, svc *basket.Service, user, key string) *basket.Receipt {
	tb.Helper()
	r, err := svc.Checkout(context.Background(), basket.CheckoutRequest{UserName: user, IdempotencyKey: key})
	if err != nil {
		tb.Fatalf("Checkout(%s, key %q): %v", user, key, err)
	}
	return r
}

func TestIdempotencyKeyExpires(t *testing.T) {
	svc, ob := MustService(t)
	now := time.Date(2026, 11, 27, 8, 0, 0, 123456789, time.UTC)
	basket.SetNow(svc, func() time.Time { return now })
	MustProductEvent(t, svc, "ProductCreated", "p1", "1.00", 1)
	MustPut(t, svc, "swn", basket.Item{ProductID: "p1", Quantity: 1})
	first := MustCheckout(t, svc, "swn", "k")

	now = now.Add(23 * time.Hour)
	MustPut(t, svc, "swn", basket.Item{ProductID: "p1", Quantity: 2})
	if again := MustCheckout(t, svc, "swn", "k"); *again != *first {
		t.Fatalf("retry before expiry = %+v, want %+v", again, first)
	}
	now = now.Add(time.Hour) // exactly IdempotencyTTL after the checkout: expired
	next := MustCheckout(t, svc, "swn", "k")
	if next.CheckoutID == first.CheckoutID || next.TotalPrice != 200 || !next.CheckedOutAt.Equal(now) {
		t.Fatalf("checkout after expiry = %+v; want the new basket checked out now", next)
	}
	if again := MustCheckout(t, svc, "swn", "k"); *again != *next {
		t.Fatalf("key now answers %+v, want %+v", again, next)
	}
	if pending, _ := ob.Pending(context.Background(), 10); len(pending) != 2 {
		t.Fatalf("outbox holds %d events, want 2", len(pending))
	}
}

// TestIdempotencyKeyMeetsTombstone: a key that recorded nothing, finding the
// live tombstone of another checkout, answers it as a plain retry does (and
// records nothing), so a client that adds a key to its retry is not refused.
func TestIdempotencyKeyMeetsTombstone(t *testing.T) {
	svc, ob := MustService(t)
	MustProductEvent(t, svc, "ProductCreated", "p1", "1.00", 1)
	MustPut(t, svc, "swn", basket.Item{ProductID: "p1", Quantity: 1})
	plain := MustCheckout(t, svc, "swn", "")
	if r := MustCheckout(t, svc, "swn", "late-key"); *r != *plain {
		t.Fatalf("keyed retry = %+v, want %+v", r, plain)
	}
	MustPut(t, svc, "swn", basket.Item{ProductID: "p1", Quantity: 3})
	if r := MustCheckout(t, svc, "swn", "late-key"); r.CheckoutID == plain.CheckoutID || r.TotalPrice != 300 {
		t.Fatalf("checkout of the new basket = %+v, want a new checkout", r)
	}
	if pending, _ := ob.Pending(context.Background(), 10); len(pending) != 2 {
		t.Fatalf("outbox holds %d events, want 2", len(pending))
	}
}

func TestIdempotencyKeyWithoutBasket(t *testing.T) {
	svc, _ := MustService(t)
	_, err := svc.Checkout(context.Background(), basket.CheckoutRequest{UserName: "nobody", IdempotencyKey: "k"})
	wantCode(t, err, errs.NotFound)
}

func TestIdempotencyKeyValidation(t *testing.T) {
	svc, _ := MustService(t)
	MustProductEvent(t, svc, "ProductCreated", "p1", "1.00", 1)
	for name, key := range map[string]string{
		"Space": "a b", "TooLong": strings.Repeat("k", 256), "NonASCII": "clé", "Tab": "a\tb", "DEL": "a\x7f",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := svc.Checkout(context.Background(), basket.CheckoutRequest{UserName: "swn", IdempotencyKey: key})
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != errs.Invalid || e.Fields[basket.IdempotencyKeyField] == "" {
				t.Fatalf("got %v, want invalid naming %s", err, basket.IdempotencyKeyField)
			}
		})
	}
	for name, key := range map[string]string{"Longest": strings.Repeat("~", 255), "Shortest": "!", "Mixed": "0190a1b2-Z_~!"} {
		t.Run(name, func(t *testing.T) {
			MustPut(t, svc, "u"+name, basket.Item{ProductID: "p1", Quantity: 1})
			MustCheckout(t, svc, "u"+name, key)
		})
	}
}
