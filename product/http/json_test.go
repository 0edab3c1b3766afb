package http

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/httpx"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/page"
	"github.com/serverless-shop/shop/product"
)

// FuzzAppendTime holds appendTime to time.RFC3339Nano for any instant, in
// UTC (its own path) and in a fixed zone (AppendFormat's).
func FuzzAppendTime(f *testing.F) {
	for _, n := range []int64{0, 1, 1795766400123456789, 1795766400100000000, -1, -62135596800000000000 / 1000, 253402300799999999999 / 1000} {
		f.Add(n, 0)
	}
	f.Add(int64(1795766400000000001), 3600)
	f.Fuzz(func(t *testing.T, nanos int64, offset int) {
		ts := time.Unix(0, nanos).UTC()
		if offset%86400 != 0 {
			ts = ts.In(time.FixedZone("", offset%86400))
		}
		want := ts.Format(time.RFC3339Nano)
		if got := string(appendTime(nil, ts)); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	})
}

// TestAppendPage holds the list encoder to httpx.WriteList's output, byte
// for byte: an empty page, a last page, and a page with a next cursor.
func TestAppendPage(t *testing.T) {
	ts := time.Date(2026, 11, 29, 8, 0, 0, 123456789, time.UTC)
	a := &product.Product{ID: "a", Name: "IPhone X", Description: "<b>&</b>", Price: 95040, Category: "Phone", Version: 1, CreatedAt: ts, UpdatedAt: ts}
	b := &product.Product{ID: "b", Name: "\u2028\"", Price: 1, Category: "Phone", Version: 2, CreatedAt: ts, UpdatedAt: ts.Add(time.Hour)}
	for name, pg := range map[string]page.Page[*product.Product]{
		"Empty": {},
		"Last":  {Items: []*product.Product{a, b}},
		"Next":  {Items: []*product.Product{a}, Next: page.Cursor{"id": "a", "category": "Phone <&>"}},
	} {
		t.Run(name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			httpx.WriteList(rec, pg)
			want := rec.Body.Bytes()
			if got := append(appendPage(nil, pg), '\n'); !bytes.Equal(got, want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

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
