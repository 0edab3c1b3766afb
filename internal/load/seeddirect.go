package load

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/serverless-shop/shop/basket"
	basketbolt "github.com/serverless-shop/shop/basket/bolt"
	"github.com/serverless-shop/shop/platform/bus"
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

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var (
		next     atomic.Int64
		failed   atomic.Int64
		once     sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(start.UnixNano()), uint64(w)))
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				in, price := newProductInput(rnd, i)
				p, err := svc.Create(ctx, catalog.Product{Name: in.Name, Description: in.Description,
					ImageFile: in.ImageFile, Price: price, Category: in.Category})
				if err == nil {
					_, err = bs.PutProduct(ctx, &basket.Product{ProductID: p.ID, Name: p.Name, Price: p.Price, Version: p.Version})
				}
				if err != nil {
					failed.Add(1)
					once.Do(func() { firstErr = fmt.Errorf("seed product %d: %w", i, err); cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	res = SeedResult{Products: n, Errors: failed.Load(), Seconds: el.Seconds(), PerSecond: float64(n) / el.Seconds(), Workers: workers}
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return res, firstErr
}
