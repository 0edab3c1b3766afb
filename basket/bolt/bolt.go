// Package bolt keeps baskets and the basket's catalog read model in an
// embedded bbolt file, together with the module's outbox.
package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/basket"
	"github.com/serverless-shop/shop/platform/boltdb"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/platform/page"
)

var (
	bucketBaskets = []byte("baskets")
	bucketCatalog = []byte("catalog")
	// bucketKeys holds checkout receipts by userName + "\x00" + idempotency
	// key; neither may hold a NUL, so the key is unambiguous, and a user's
	// records share a prefix.
	bucketKeys = []byte("checkoutKeys")
)

// Store is the basket module's bbolt file.
type Store struct {
	db *bbolt.DB
}

var _ basket.Store = (*Store)(nil)

// Open opens (or creates) dir/basket.db.
func Open(dir string) (*Store, error) {
	db, err := boltdb.Open(dir, "basket.db", string(bucketBaskets), string(bucketCatalog), string(bucketKeys), string(outbox.Bucket))
	if err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// DB is the underlying file, for the outbox relay.
func (s *Store) DB() *bbolt.DB { return s.db }

// Close closes the file.
func (s *Store) Close() error { return boltdb.Close(s.db) }

// record is the stored form of a basket.
type record struct {
	UserName     string       `json:"u"`
	Items        []itemRecord `json:"i"`
	Status       string       `json:"s"`
	CheckoutID   string       `json:"c"`
	UpdatedAt    time.Time    `json:"ua"`
	CheckedOutAt time.Time    `json:"co,omitzero"`
	ExpiresAt    time.Time    `json:"ex,omitzero"`
	TotalCents   int64        `json:"t,omitempty"`
}

type itemRecord struct {
	ProductID string `json:"p"`
	Quantity  int    `json:"q"`
	Color     string `json:"c,omitempty"`
}

func toRecord(b *basket.Basket) record {
	items := make([]itemRecord, len(b.Items))
	for i, it := range b.Items {
		items[i] = itemRecord{it.ProductID, it.Quantity, it.Color}
	}
	return record{b.UserName, items, string(b.Status), b.CheckoutID, b.UpdatedAt, b.CheckedOutAt, b.ExpiresAt, int64(b.TotalPrice)}
}

func (r *record) basket() *basket.Basket {
	items := make([]basket.Item, len(r.Items))
	for i, it := range r.Items {
		items[i] = basket.Item{ProductID: it.ProductID, Quantity: it.Quantity, Color: it.Color}
	}
	return &basket.Basket{UserName: r.UserName, Items: items, Status: basket.Status(r.Status), CheckoutID: r.CheckoutID,
		UpdatedAt: r.UpdatedAt, CheckedOutAt: r.CheckedOutAt, ExpiresAt: r.ExpiresAt, TotalPrice: money.Amount(r.TotalCents)}
}

// get returns the stored basket, or nil.
func get(tx *bbolt.Tx, userName string) (*basket.Basket, error) {
	v := tx.Bucket(bucketBaskets).Get([]byte(userName))
	if v == nil {
		return nil, nil
	}
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, err
	}
	return r.basket(), nil
}

func put(tx *bbolt.Tx, b *basket.Basket) error {
	v, err := json.Marshal(toRecord(b))
	if err != nil {
		return err
	}
	return tx.Bucket(bucketBaskets).Put([]byte(b.UserName), v)
}

// Put implements basket.Store.
func (s *Store) Put(_ context.Context, b *basket.Basket) (created bool, err error) {
	err = boltdb.Batch(s.db, func(tx *bbolt.Tx) error {
		old, err := get(tx, b.UserName)
		if err != nil {
			return err
		}
		created = old == nil || !old.Open()
		return put(tx, b)
	})
	if err != nil {
		return false, fmt.Errorf("put basket of %s: %w", b.UserName, err)
	}
	return created, nil
}

// Get implements basket.Store.
func (s *Store) Get(_ context.Context, userName string) (b *basket.Basket, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		b, err = get(tx, userName)
		return err
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("get basket of %s: %w", userName, err)
	case b == nil:
		return nil, errs.Errorf(errs.NotFound, "No basket for user %s.", userName)
	}
	return b, nil
}

// List implements basket.Store.
func (s *Store) List(_ context.Context, r page.Request) (page.Page[*basket.Basket], error) {
	var out page.Page[*basket.Basket]
	err := s.db.View(func(tx *bbolt.Tx) (err error) {
		out, err = boltdb.ScanPage(tx.Bucket(bucketBaskets).Cursor(), nil, boltdb.After(nil, r.Cursor["userName"]), r.Limit,
			func(_, v []byte) (*basket.Basket, bool, error) {
				var rec record
				if err := json.Unmarshal(v, &rec); err != nil {
					return nil, false, err
				}
				// Tombstones of checked-out baskets are not listed.
				return rec.basket(), rec.Status == string(basket.StatusOpen), nil
			},
			func(last *basket.Basket) page.Cursor { return page.Cursor{"userName": last.UserName} })
		return err
	})
	return out, err
}

// Delete implements basket.Store.
func (s *Store) Delete(_ context.Context, userName string) error {
	err := boltdb.Batch(s.db, func(tx *bbolt.Tx) error {
		b, err := get(tx, userName)
		if err != nil {
			return err
		}
		if b == nil || !b.Open() {
			return errs.Errorf(errs.NotFound, "No open basket for user %s.", userName)
		}
		return tx.Bucket(bucketBaskets).Delete([]byte(userName))
	})
	if err != nil && !errs.Is(err, errs.NotFound) {
		return fmt.Errorf("delete basket of %s: %w", userName, err)
	}
	return err
}

// CheckOut implements basket.Store. bbolt serialises writers, so the checks
// and the writes inside one transaction cannot interleave with another
// checkout; a check that fails is this store's form of a lost race.
func (s *Store) CheckOut(_ context.Context, b *basket.Basket, rec *basket.KeyedReceipt, events []bus.Envelope) error {
	err := boltdb.Batch(s.db, func(tx *bbolt.Tx) error {
		cur, err := get(tx, b.UserName)
		if err != nil {
			return err
		}
		if cur == nil || !cur.Open() || cur.CheckoutID != b.CheckoutID {
			return errs.ErrLostRace
		}
		if rec != nil {
			if err := putKeyed(tx, b.UserName, rec); err != nil {
				return err
			}
		}
		if err := put(tx, b); err != nil {
			return err
		}
		return outbox.PutBolt(tx, events...)
	})
	if err != nil {
		return fmt.Errorf("check out basket of %s: %w", b.UserName, err)
	}
	return nil
}

// keyedRecord is the stored form of a basket.KeyedReceipt.
type keyedRecord struct {
	CheckoutID   string    `json:"c"`
	CheckedOutAt time.Time `json:"co"`
	TotalCents   int64     `json:"t"`
	ExpiresAt    time.Time `json:"ex"`
}

func keyedKey(userName, key string) []byte { return []byte(userName + "\x00" + key) }

// putKeyed records rec if the record under its key is still the one it
// replaces (none for rec.Replaces == ""), else it returns errs.ErrLostRace.
// bbolt has no TTL, so this stands in for DynamoDB's: the user's records
// that are no longer live (basket.KeyedReceipt.Live, the service's rule) at
// the checkout's time are removed, so what a user leaves behind is bounded
// by one day of their keyed checkouts.
func putKeyed(tx *bbolt.Tx, userName string, rec *basket.KeyedReceipt) error {
	bk, now := tx.Bucket(bucketKeys), rec.Receipt.CheckedOutAt
	old, err := getKeyed(tx, userName, rec.Key)
	if err != nil {
		return err
	}
	if (old == nil && rec.Replaces != "") || (old != nil && old.Receipt.CheckoutID != rec.Replaces) {
		return errs.ErrLostRace
	}
	prefix := keyedKey(userName, "")
	var expired [][]byte
	c := bk.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var r keyedRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if old := (basket.KeyedReceipt{ExpiresAt: r.ExpiresAt}); !old.Live(now) {
			expired = append(expired, k)
		}
	}
	for _, k := range expired {
		if err := bk.Delete(k); err != nil {
			return err
		}
	}
	v, err := json.Marshal(keyedRecord{rec.Receipt.CheckoutID, rec.Receipt.CheckedOutAt, int64(rec.Receipt.TotalPrice), rec.ExpiresAt})
	if err != nil {
		return err
	}
	return bk.Put(keyedKey(userName, rec.Key), v)
}

// getKeyed returns the record under the user's key, or nil.
func getKeyed(tx *bbolt.Tx, userName, key string) (*basket.KeyedReceipt, error) {
	v := tx.Bucket(bucketKeys).Get(keyedKey(userName, key))
	if v == nil {
		return nil, nil
	}
	var r keyedRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, err
	}
	return &basket.KeyedReceipt{Key: key, ExpiresAt: r.ExpiresAt, Receipt: basket.Receipt{CheckoutID: r.CheckoutID,
		UserName: userName, CheckedOutAt: r.CheckedOutAt, TotalPrice: money.Amount(r.TotalCents)}}, nil
}

// KeyedReceipt implements basket.Store.
func (s *Store) KeyedReceipt(_ context.Context, userName, key string) (rec *basket.KeyedReceipt, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		rec, err = getKeyed(tx, userName, key)
		return err
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("get idempotency record of %s: %w", userName, err)
	case rec == nil:
		return nil, errs.Errorf(errs.NotFound, "No checkout of %s under this idempotency key.", userName)
	}
	return rec, nil
}

// product is the stored form of a catalog entry.
type product struct {
	Name       string `json:"n"`
	PriceCents int64  `json:"p"`
	Version    int64  `json:"v"`
	Deleted    bool   `json:"d,omitempty"`
}

// PutProduct implements basket.Catalog. It commits in a group commit
// (boltdb.Batch), so the bus's concurrent handlers share one fsync: a burst
// of product writes (seeding, an import) must not leave the price list
// behind by one fsync per event, while an event that comes alone commits
// at once, without waiting for company.
func (s *Store) PutProduct(_ context.Context, p *basket.Product) (stored bool, err error) {
	err = boltdb.Batch(s.db, func(tx *bbolt.Tx) error {
		stored = false
		b := tx.Bucket(bucketCatalog)
		if v := b.Get([]byte(p.ProductID)); v != nil {
			var old product
			if err := json.Unmarshal(v, &old); err != nil {
				return err
			}
			if old.Version >= p.Version {
				return nil
			}
		}
		v, err := json.Marshal(product{p.Name, int64(p.Price), p.Version, p.Deleted})
		if err != nil {
			return err
		}
		stored = true
		return b.Put([]byte(p.ProductID), v)
	})
	return stored, err
}

// Products implements basket.Catalog.
func (s *Store) Products(_ context.Context, ids []string) (map[string]*basket.Product, error) {
	out := make(map[string]*basket.Product, len(ids))
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketCatalog)
		for _, id := range ids {
			v := b.Get([]byte(id))
			if v == nil {
				continue
			}
			var p product
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			out[id] = &basket.Product{ProductID: id, Name: p.Name, Price: money.Amount(p.PriceCents), Version: p.Version, Deleted: p.Deleted}
		}
		return nil
	})
	return out, err
}

// Ping implements basket.Store.
func (s *Store) Ping(context.Context) error {
	return s.db.View(func(*bbolt.Tx) error { return nil })
}
