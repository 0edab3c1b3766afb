package basket_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/serverless-shop/shop/basket"
)

// BenchmarkPrice prices a ten-line basket from the catalog read model, as
// GET /basket/{userName} and checkout do.
func BenchmarkPrice(b *testing.B) {
	svc, _ := MustService(b)
	var items []basket.Item
	for i := range 10 {
		id := fmt.Sprint("p", i)
		MustProductEvent(b, svc, "ProductCreated", id, fmt.Sprintf("%d.99", i+1), 1)
		items = append(items, basket.Item{ProductID: id, Quantity: i + 1})
	}
	MustPut(b, svc, "swn", items...)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Get(context.Background(), "swn"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckout is a whole durable checkout: price, tombstone and
// outbox event in one commit.
func BenchmarkCheckout(b *testing.B) {
	svc, _ := MustService(b)
	MustProductEvent(b, svc, "ProductCreated", "p", "950.40", 1)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		user := fmt.Sprint("u", i)
		i++
		MustPut(b, svc, user, basket.Item{ProductID: "p", Quantity: 2})
		if _, err := svc.Checkout(context.Background(), basket.CheckoutRequest{UserName: user, PaymentMethod: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
