package http

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/product"
)

func FuzzAppendProduct(f *testing.F) {
	f.Add("IPhone X", "<b>\"quoted\" & \\ \n\t\b\f\x00\x1f</b>", "\u2028\u2029é日本", "\xff\xfe", int64(95040), int64(1), int64(1795766400123456789))
	f.Add("", "", "", "", int64(0), int64(0), int64(0))
	f.Add("a", "b", "c", "d", int64(-1), int64(-5), int64(-1))
	f.Fuzz(func(t *testing.T, name, desc, category, image string, cents, version, nanos int64) {
		ts := time.Unix(0, nanos).UTC()
		p := &product.Product{ID: "id-" + name, Name: name, Description: desc, ImageFile: image,
			Price: money.Amount(cents), Category: category, Version: version, CreatedAt: ts, UpdatedAt: ts.Add(time.Second)}
		want, err := json.Marshal(p)
		if err != nil {
			t.Skip("encoding/json refuses it too:", err)
		}
		if got := appendProduct(nil, p); !bytes.Equal(got, want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	})
}
