package product_test

import (
	"testing"

	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/product"
)

func TestValidate(t *testing.T) {
	if err := (&product.Product{Name: "IPhone X", Description: "Flagship", Category: "Phone"}).Validate(); err != nil {
		t.Fatalf("Validate = %v, want nil", err)
	}
	for _, c := range []struct {
		name  string
		p     product.Product
		field string
	}{
		{"ThreeSpaces", product.Product{Name: "   "}, "name"},
		{"NUL", product.Product{Name: "a\x00b"}, "name"},
		{"ESC", product.Product{Name: "a\x1b[31m"}, "name"},
		{"BEL", product.Product{Name: "a\a"}, "name"},
		{"CRLF", product.Product{Name: "a\r\nb"}, "name"},
		{"InvalidUTF8", product.Product{Name: "a\xffb"}, "name"},
		{"DELInDescription", product.Product{Name: "a", Description: "\x7f"}, "description"},
		{"LFInImageFile", product.Product{Name: "a", ImageFile: "x\n.png"}, "imageFile"},
		{"C1InCategory", product.Product{Name: "a", Category: "\u009b"}, "category"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.Validate()
			if e, ok := err.(*errs.Error); !ok || e.Code != errs.Invalid || e.Fields[c.field] == "" {
				t.Fatalf("got %v, want an invalid error naming %s", err, c.field)
			}
		})
	}
	if err := (product.Filter{Category: "a\x00"}).Validate(); errs.Code(err) != errs.Invalid {
		t.Errorf("Filter.Validate = %v, want invalid", err)
	}
}
