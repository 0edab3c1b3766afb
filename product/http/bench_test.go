package http

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/product"
)

// BenchmarkDecodeValidateEncode measures a product's trip through the JSON
// layer: strict decode, validation, conversion and the response encoding.
func BenchmarkDecodeValidateEncode(b *testing.B) {
	body := `{"name":"IPhone X","description":"This phone is the company's biggest change to its flagship smartphone in years.","imageFile":"product-1.png","price":950.40,"category":"Phone"}`
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/product", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var in input
		if err := httpx.Decode(r, &in); err != nil {
			b.Fatal(err)
		}
		pt, err := in.patch("")
		if err != nil {
			b.Fatal(err)
		}
		var p product.Product
		pt.Apply(&p)
		if err := p.Validate(); err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(&p); err != nil {
			b.Fatal(err)
		}
	}
}
