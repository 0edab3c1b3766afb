// Package bolt keeps the catalog in an embedded bbolt file.
package bolt

import (
	"bytes"
	"context"
	"fmt"

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
	db    *bbolt.DB
	cache cache
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
func (s *Store) Close() error { return boltdb.Close(s.db) }

func toRecord(p *product.Product) record {
	return record{ID: p.ID, Name: p.Name, Description: p.Description, ImageFile: p.ImageFile, Category: p.Category,
		PriceCents: int64(p.Price), Version: p.Version, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func (r *record) product() *product.Product {
	p := new(product.Product)
	r.into(p)
	return p
}

func (r *record) into(p *product.Product) {
	*p = product.Product{ID: r.ID, Name: r.Name, Description: r.Description, ImageFile: r.ImageFile,
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

// Create implements product.Store: put-if-absent with the events.
func (s *Store) Create(_ context.Context, p *product.Product, events []bus.Envelope) error {
	err := boltdb.Batch(s.db, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketProducts).Get([]byte(p.ID)) != nil {
			return errs.ErrLostRace
		}
		if err := put(tx, p, nil); err != nil {
			return err
		}
		return outbox.PutBolt(tx, events...)
	})
	return wrap(err, "create product", p.ID)
}

// wrap names the operation and the product in err. Errors of the shop's
// vocabulary already say which product they are about.
func wrap(err error, op, id string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s: %w", op, id, err)
}

// Get implements product.Store, from the cache when it can.
func (s *Store) Get(_ context.Context, id string) (p *product.Product, err error) {
	p, gen := s.cache.lookup(id)
	if p != nil {
		return p, nil
	}
	err = s.db.View(func(tx *bbolt.Tx) error {
		p, err = get(tx, id)
		return err
	})
	if err != nil {
		return nil, wrap(err, "get product", id)
	}
	s.cache.add(gen, p)
	return p, nil
}

// List implements product.Store. A page of a category takes the products
// it can from the cache.
func (s *Store) List(_ context.Context, f product.Filter, r page.Request) (page.Page[*product.Product], error) {
	var out page.Page[*product.Product]
	gen := s.cache.generation()
	err := s.db.View(func(tx *bbolt.Tx) (err error) {
		if f.Category == "" {
			out, err = listAll(tx, r)
		} else {
			out, err = s.listCategory(tx, gen, f.Category, r)
		}
		return err
	})
	if err != nil {
		return out, fmt.Errorf("list products (category %q): %w", f.Category, err)
	}
	return out, nil
}

// A listing's products come from one allocation, its block, sized for the
// page and the one item more ScanPage reads to know there is a next page.

func listAll(tx *bbolt.Tx, r page.Request) (page.Page[*product.Product], error) {
	block := make([]product.Product, 0, r.Limit+1)
	return boltdb.ScanPage(tx.Bucket(bucketProducts).Cursor(), nil, boltdb.After(nil, r.Cursor["id"]), r.Limit,
		func(_, v []byte) (*product.Product, bool, error) {
			p, err := decodeInto(&block, v)
			return p, err == nil, err
		},
		func(last *product.Product) page.Cursor { return page.Cursor{"id": last.ID} })
}

// listCategory reads a page of the category's index in tx, and each
// product from the cache or else from tx, which then caches it (gen is the
// cache's generation from before tx began). A cached product is the latest
// committed version, never older than tx's; it is taken only if it is still
// in the category, as tx's index says.
func (s *Store) listCategory(tx *bbolt.Tx, gen uint64, category string, r page.Request) (page.Page[*product.Product], error) {
	prefix := categoryKey(category, "")
	// One cursor for every product of the page: Bucket.Get opens one (and
	// its search stack) per call.
	products := tx.Bucket(bucketProducts).Cursor()
	block := make([]product.Product, 0, r.Limit+1)
	return boltdb.ScanPage(tx.Bucket(bucketByCategory).Cursor(), prefix, boltdb.After(prefix, r.Cursor["id"]), r.Limit,
		func(k, _ []byte) (*product.Product, bool, error) {
			id := k[len(prefix):]
			if bytes.IndexByte(id, 0) >= 0 {
				// The key of a longer category that holds NUL, the separator
				// ("a\x00b" under "a"): ids never hold NUL.
				return nil, false, nil
			}
			block = append(block, product.Product{})
			p := &block[len(block)-1]
			if s.cache.copyTo(p, id, category) {
				return p, true, nil
			}
			pk, v := products.Seek(id)
			if !bytes.Equal(pk, id) || v == nil {
				return nil, false, errs.Errorf(errs.NotFound, "Product %s not found.", id)
			}
			var rec record
			if err := rec.unmarshal(v); err != nil {
				return nil, false, err
			}
			rec.into(p)
			s.cache.add(gen, p)
			return p, true, nil
		},
		func(last *product.Product) page.Cursor { return page.Cursor{"id": last.ID, "category": category} })
}

// decodeInto decodes a stored product into the next element of block.
// Appending past its capacity moves later elements, never earlier ones.
func decodeInto(block *[]product.Product, v []byte) (*product.Product, error) {
	var rec record
	if err := rec.unmarshal(v); err != nil {
		return nil, err
	}
	*block = append(*block, product.Product{})
	p := &(*block)[len(*block)-1]
	rec.into(p)
	return p, nil
}

// Update implements product.Store. bbolt serialises writers, so the
// read-modify-write inside one transaction never loses a race.
func (s *Store) Update(_ context.Context, id string, fn func(*product.Product) ([]bus.Envelope, error)) (p *product.Product, err error) {
	defer s.cache.writing(id)()
	err = boltdb.Batch(s.db, func(tx *bbolt.Tx) error {
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
	if err != nil {
		return nil, wrap(err, "update product", id)
	}
	return p, nil
}

// Delete implements product.Store; like Update it never loses a race.
func (s *Store) Delete(_ context.Context, id string, fn func(*product.Product) ([]bus.Envelope, error)) error {
	defer s.cache.writing(id)()
	return wrap(boltdb.Batch(s.db, func(tx *bbolt.Tx) error {
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
	}), "delete product", id)
}

// Ping implements product.Store.
func (s *Store) Ping(context.Context) error {
	return s.db.View(func(*bbolt.Tx) error { return nil })
}
