// Package bolt keeps the catalog in an embedded bbolt file.
package bolt

import (
	"bytes"
	"context"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/boltdb"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/platform/page"
	"github.com/serverless-shop/shop/product"
)

var (
	bucketProducts   = []byte("products")
	bucketByCategory = []byte("products_by_category")
)

// Store is the catalog in a bbolt file.
type Store struct {
	db *bbolt.DB
}

var _ product.Store = (*Store)(nil)

// Open opens (or creates) dir/product.db.
func Open(dir string) (*Store, error) {
	db, err := boltdb.Open(dir, "product.db", string(bucketProducts), string(bucketByCategory), string(outbox.Bucket))
	if err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// DB is the underlying file, for the outbox relay.
func (s *Store) DB() *bbolt.DB { return s.db }

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

func toRecord(p *product.Product) record {
	return record{ID: p.ID, Name: p.Name, Description: p.Description, ImageFile: p.ImageFile, Category: p.Category,
		PriceCents: int64(p.Price), Version: p.Version, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func (r *record) product() *product.Product {
	return &product.Product{ID: r.ID, Name: r.Name, Description: r.Description, ImageFile: r.ImageFile,
		Price: money.Amount(r.PriceCents), Category: r.Category, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func categoryKey(category, id string) []byte {
	return append(append([]byte(category), 0), id...)
}

func get(tx *bbolt.Tx, id string) (*product.Product, error) {
	v := tx.Bucket(bucketProducts).Get([]byte(id))
	if v == nil {
		return nil, errs.Errorf(errs.NotFound, "Product %s not found.", id)
	}
	var r record
	if err := r.unmarshal(v); err != nil {
		return nil, err
	}
	return r.product(), nil
}

func put(tx *bbolt.Tx, p *product.Product, old *product.Product) error {
	rec := toRecord(p)
	if err := tx.Bucket(bucketProducts).Put([]byte(p.ID), rec.marshal()); err != nil {
		return err
	}
	idx := tx.Bucket(bucketByCategory)
	if old != nil && old.Category != p.Category {
		if err := idx.Delete(categoryKey(old.Category, old.ID)); err != nil {
			return err
		}
	}
	return idx.Put(categoryKey(p.Category, p.ID), nil)
}

// Create implements product.Store.
func (s *Store) Create(_ context.Context, p *product.Product, events []bus.Envelope) error {
	return s.db.Batch(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketProducts).Get([]byte(p.ID)) != nil {
			return errs.Errorf(errs.Conflict, "Product %s already exists.", p.ID)
		}
		if err := put(tx, p, nil); err != nil {
			return err
		}
		return outbox.PutBolt(tx, events...)
	})
}

// Get implements product.Store.
func (s *Store) Get(_ context.Context, id string) (p *product.Product, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		p, err = get(tx, id)
		return err
	})
	return p, err
}

// List implements product.Store.
func (s *Store) List(_ context.Context, f product.Filter, r page.Request) (page.Page[*product.Product], error) {
	if err := product.CheckCursor(f, r.Cursor); err != nil {
		return page.Page[*product.Product]{}, err
	}
	var out page.Page[*product.Product]
	err := s.db.View(func(tx *bbolt.Tx) (err error) {
		if f.Category == "" {
			out, err = listAll(tx, r)
		} else {
			out, err = listCategory(tx, f.Category, r)
		}
		return err
	})
	return out, err
}

func listAll(tx *bbolt.Tx, r page.Request) (page.Page[*product.Product], error) {
	return boltdb.ScanPage(tx.Bucket(bucketProducts).Cursor(), nil, boltdb.After(nil, r.Cursor["id"]), r.Limit,
		func(_, v []byte) (*product.Product, bool, error) {
			var rec record
			err := rec.unmarshal(v)
			return rec.product(), err == nil, err
		},
		func(last *product.Product) page.Cursor { return page.Cursor{"id": last.ID} })
}

func listCategory(tx *bbolt.Tx, category string, r page.Request) (page.Page[*product.Product], error) {
	prefix := categoryKey(category, "")
	return boltdb.ScanPage(tx.Bucket(bucketByCategory).Cursor(), prefix, boltdb.After(prefix, r.Cursor["id"]), r.Limit,
		func(k, _ []byte) (*product.Product, bool, error) {
			id := k[len(prefix):]
			if bytes.IndexByte(id, 0) >= 0 {
				// The key of a longer category that holds NUL, the separator
				// ("a\x00b" under "a"): ids never hold NUL.
				return nil, false, nil
			}
			p, err := get(tx, string(id))
			return p, err == nil, err
		},
		func(last *product.Product) page.Cursor { return page.Cursor{"id": last.ID, "category": category} })
}

// Update implements product.Store. bbolt serialises writers, so the
// read-modify-write inside one transaction cannot lose a concurrent update.
func (s *Store) Update(_ context.Context, id string, fn func(*product.Product) ([]bus.Envelope, error)) (p *product.Product, err error) {
	err = s.db.Batch(func(tx *bbolt.Tx) error {
		old, err := get(tx, id)
		if err != nil {
			return err
		}
		cur := *old
		events, err := fn(&cur)
		if err != nil {
			return err
		}
		if err := put(tx, &cur, old); err != nil {
			return err
		}
		p = &cur
		return outbox.PutBolt(tx, events...)
	})
	return p, err
}

// Delete implements product.Store.
func (s *Store) Delete(_ context.Context, id string, fn func(*product.Product) ([]bus.Envelope, error)) error {
	return s.db.Batch(func(tx *bbolt.Tx) error {
		p, err := get(tx, id)
		if err != nil {
			return err
		}
		events, err := fn(p)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketProducts).Delete([]byte(id)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketByCategory).Delete(categoryKey(p.Category, id)); err != nil {
			return err
		}
		return outbox.PutBolt(tx, events...)
	})
}

// Ping implements product.Store.
func (s *Store) Ping(context.Context) error {
	return s.db.View(func(*bbolt.Tx) error { return nil })
}
