package load_test

import (
	"context"
	"testing"

	basketbolt "github.com/serverless-shop/shop/basket/bolt"
	"github.com/serverless-shop/shop/internal/load"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/platform/page"
	"github.com/serverless-shop/shop/product"
	productbolt "github.com/serverless-shop/shop/product/bolt"
)

// TestSeedDirect: the files hold what HTTP seeding leaves once its events
// drained: every product in the catalog, each priced in the basket's price
// list at its version, and nothing waiting in the product outbox.
func TestSeedDirect(t *testing.T) {
	dir := t.TempDir()
	const n = 120
	res, err := load.SeedDirect(context.Background(), dir, n, 8)
	if err != nil {
		t.Fatal(err)
	}
	if res.Products != n || res.Errors != 0 {
		t.Fatalf("result %+v, want %d products and no errors", res, n)
	}

	ps, err := productbolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	pg, err := ps.List(context.Background(), product.Filter{}, page.Request{Limit: 2 * n})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(pg.Items); got != n {
		t.Fatalf("catalog holds %d products, want %d", got, n)
	}
	st, err := outbox.NewBoltStore(ps.DB()).Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Depth != 0 {
		t.Fatalf("product outbox holds %d events, want 0", st.Depth)
	}

	bs, err := basketbolt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	ids := make([]string, len(pg.Items))
	for i, p := range pg.Items {
		ids[i] = p.ID
	}
	priced, err := bs.Products(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pg.Items {
		got, ok := priced[p.ID]
		if !ok || got.Price != p.Price || got.Version != p.Version || got.Name != p.Name {
			t.Fatalf("price list entry for %s: %+v, want %s at %s, version %d", p.ID, got, p.Name, p.Price, p.Version)
		}
	}
}
