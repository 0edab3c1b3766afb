package main_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/serverless-shop/shop/internal/shoptest"
)

type productBody struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	ImageFile   string `json:"imageFile"`
	Price       any    `json:"price"`
	Category    string `json:"category"`
	Version     int    `json:"version"`
}

type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor"`
}

// TestProductRoutesSurviveSIGKILL exercises every product route on the real
// binary, kills it with SIGKILL and finds every acknowledged write after a
// restart on the same data directory.
func TestProductRoutesSurviveSIGKILL(t *testing.T) {
	dir := t.TempDir()
	shop := shoptest.Start(t, bin, "SHOP_DATA_DIR="+dir)
	admin := shop.AsAdmin(t)

	var created productBody
	r := admin.Must(t, http.StatusCreated, "POST", "/product",
		`{"name":"IPhone X","description":"This phone is the company's biggest change","imageFile":"product-1.png","price":950.40,"category":"Phone"}`)
	r.Decode(t, &created)
	if r.Header.Get("Location") != "/product/"+created.ID {
		t.Errorf("Location = %q", r.Header.Get("Location"))
	}
	shop.Must(t, http.StatusOK, "GET", "/product/"+created.ID, nil)
	admin.Must(t, http.StatusOK, "PUT", "/product/"+created.ID, `{"price": 899.99}`)
	doomed := productBody{}
	admin.Must(t, http.StatusCreated, "POST", "/product", `{"name":"Doomed","price":1}`).Decode(t, &doomed)
	admin.Must(t, http.StatusNoContent, "DELETE", "/product/"+doomed.ID, nil)

	// Many concurrent acknowledged writes, then SIGKILL with no warning.
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p productBody
			res := admin.Do(t, "POST", "/product", fmt.Sprintf(`{"name":"p%d","price":%d.25,"category":"Bulk"}`, i, i))
			if res.Status == http.StatusCreated {
				res.Decode(t, &p)
				mu.Lock()
				acked = append(acked, p.ID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	shop.Kill()

	shop = shoptest.Start(t, bin, "SHOP_DATA_DIR="+dir)
	var got productBody
	shop.Must(t, http.StatusOK, "GET", "/product/"+created.ID, nil).Decode(t, &got)
	if fmt.Sprint(got.Price) != "899.99" || got.Name != "IPhone X" || got.Version != 2 {
		t.Errorf("after restart got %+v, want the updated product", got)
	}
	shop.Must(t, http.StatusNotFound, "GET", "/product/"+doomed.ID, nil)
	for _, id := range acked {
		shop.Must(t, http.StatusOK, "GET", "/product/"+id, nil)
	}
	var bulk list[productBody]
	shop.Must(t, http.StatusOK, "GET", "/product?category=Bulk&limit=1000", nil).Decode(t, &bulk)
	if len(bulk.Items) != len(acked) {
		t.Errorf("category lists %d products, %d were acknowledged", len(bulk.Items), len(acked))
	}
	shop.Stop(t)
}

func TestUnknownRoutesAndMethodsAreProblems(t *testing.T) {
	shop := shoptest.Start(t, bin, "SHOP_DATA_DIR="+t.TempDir())
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/nope", http.StatusNotFound},
		{"PATCH", "/product", http.StatusMethodNotAllowed},
		{"GET", "/healthz", http.StatusOK},
		{"GET", "/readyz", http.StatusOK},
	} {
		r := shop.Do(t, c.method, c.path, nil)
		if r.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s %s: no X-Request-Id to quote", c.method, c.path)
		}
		if r.Status != c.status {
			t.Errorf("%s %s: got %d, want %d", c.method, c.path, r.Status, c.status)
		}
		if c.status >= 400 && r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: Content-Type %q", c.method, c.path, r.Header.Get("Content-Type"))
		}
	}
}
