package load

import (
	"context"
	"errors"
	"fmt"

	"github.com/serverless-shop/shop/basket"
	basketbolt "github.com/serverless-shop/shop/basket/bolt"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/money"
	catalog "github.com/serverless-shop/shop/product"
	productbolt "github.com/serverless-shop/shop/product/bolt"
)

// eventless stores products without their events. SeedDirect writes the
// basket's price list itself, which is what the events would lead to once
// the bus drained them, so a start on the seeded files finds what a start
// after HTTP seeding finds: full catalogs and empty outboxes.
type eventless struct{ *productbolt.Store }

// Create implements catalog.Store, dropping events.
func (s eventless) Create(ctx context.Context, p *catalog.Product, _ []bus.Envelope) error {
	return s.Store.Create(ctx, p, nil)
}

// SeedDirect writes n products into the embedded store files under dataDir
// without a server: through the product service and the bolt stores, as
// POST /product and the basket's product-event handler would, with workers
// writers sharing group commits (an fsync per commit, as the server does).
// Over HTTP a million products take many minutes; this takes a fraction.
// No shop may have dataDir open (its files are locked).
func SeedDirect(ctx context.Context, dataDir string, n, workers int) (res SeedResult, err error) {
	if dataDir == "" {
		return res, errors.New("-seed-direct needs -data-dir")
	}
	ps, err := productbolt.Open(dataDir)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, ps.Close()) }()
	bs, err := basketbolt.Open(dataDir)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, bs.Close()) }()
	svc := catalog.NewService(eventless{ps}, "shopload", nil)

	res, err = seedProducts(ctx, n, workers, func(ctx context.Context, i int64, in productInput, price money.Amount) error {
		p, err := svc.Create(ctx, catalog.Product{Name: in.Name, Description: in.Description,
			ImageFile: in.ImageFile, Price: price, Category: in.Category})
		if err == nil {
			_, err = bs.PutProduct(ctx, &basket.Product{ProductID: p.ID, Name: p.Name, Price: p.Price, Version: p.Version})
		}
		if err != nil {
			return fmt.Errorf("seed product %d: %w", i, err)
		}
		return nil
	})
	if err == nil {
		err = ctx.Err()
	}
	return res, err
}
