package basket_test

import (
	"context"
	"strings"
	"testing"

	"github.com/serverless-shop/shop/basket"
	"github.com/serverless-shop/shop/platform/errs"
)

// TestStrictText: every text a client gives the basket is valid UTF-8
// without control characters, and every user name follows the one rule.
func TestStrictText(t *testing.T) {
	ctx := context.Background()
	svc, _ := MustService(t)
	item := func(id, color string) basket.Item { return basket.Item{ProductID: id, Quantity: 1, Color: color} }
	for _, c := range []struct {
		name  string
		b     basket.Basket
		field string
	}{
		{"DotDotUser", basket.Basket{UserName: ".."}, "userName"},
		{"DotUser", basket.Basket{UserName: "."}, "userName"},
		{"LongUser", basket.Basket{UserName: strings.Repeat("a", 129)}, "userName"},
		{"NULInProductID", basket.Basket{UserName: "swn", Items: []basket.Item{item("p\x00", "")}}, "items[0].productId"},
		{"BlankProductID", basket.Basket{UserName: "swn", Items: []basket.Item{item("  ", "")}}, "items[0].productId"},
		{"ESCInColor", basket.Basket{UserName: "swn", Items: []basket.Item{item("p", ""), item("p", "\x1b[1m")}}, "items[1].color"},
		{"InvalidUTF8InColor", basket.Basket{UserName: "swn", Items: []basket.Item{item("p", "\xff")}}, "items[0].color"},
	} {
		t.Run("Put/"+c.name, func(t *testing.T) {
			_, _, err := svc.Put(ctx, c.b)
			wantField(t, err, c.field)
		})
	}
	for _, c := range []struct {
		name  string
		req   basket.CheckoutRequest
		field string
	}{
		{"DotDotUser", basket.CheckoutRequest{UserName: ".."}, "userName"},
		{"NULInAddress", basket.CheckoutRequest{UserName: "swn", Address: "London\x00"}, "address"},
		{"CRInAddress", basket.CheckoutRequest{UserName: "swn", Address: "London\r"}, "address"},
		{"BELInFirstName", basket.CheckoutRequest{UserName: "swn", FirstName: "Ada\a"}, "firstName"},
		{"BlankLastName", basket.CheckoutRequest{UserName: "swn", LastName: "   "}, "lastName"},
		{"InvalidUTF8InEmail", basket.CheckoutRequest{UserName: "swn", Email: "ada@\xffexample.com"}, "email"},
	} {
		t.Run("Checkout/"+c.name, func(t *testing.T) {
			_, err := svc.Checkout(ctx, c.req)
			wantField(t, err, c.field)
		})
	}
	t.Run("Get/DotDot", func(t *testing.T) {
		_, err := svc.Get(ctx, "..")
		wantField(t, err, "userName")
	})
	t.Run("Delete/Long", func(t *testing.T) {
		wantField(t, svc.Delete(ctx, strings.Repeat("a", 800)), "userName")
	})
}

func wantField(tb testing.TB, err error, field string) {
	tb.Helper()
	e, ok := err.(*errs.Error)
	if !ok || e.Code != errs.Invalid || e.Fields[field] == "" {
		tb.Fatalf("got %v, want an invalid error naming %s", err, field)
	}
}
