// Package bolt keeps orders in an embedded bbolt file, keyed by
// userName + NUL + orderDate so that a user's orders are one key range,
// newest last.
package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/ordering"
	"github.com/serverless-shop/shop/platform/boltdb"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/page"
)

var bucketOrders = []byte("orders")

// Store is the orders in a bbolt file.
type Store struct {
	db *bbolt.DB
}

var _ ordering.Store = (*Store)(nil)

// Open opens (or creates) dir/ordering.db.
func Open(dir string) (*Store, error) {
	db, err := boltdb.Open(dir, "ordering.db", string(bucketOrders))
	if err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return boltdb.Close(s.db) }

// record is the stored form of an order; money is kept in cents.
type record struct {
	UserName      string       `json:"u"`
	OrderDate     string       `json:"d"`
	OrderID       string       `json:"id"`
	Items         []itemRecord `json:"it"`
	TotalCents    int64        `json:"t"`
	FirstName     string       `json:"fn,omitempty"`
	LastName      string       `json:"ln,omitempty"`
	Email         string       `json:"e,omitempty"`
	Address       string       `json:"a,omitempty"`
	PaymentMethod int          `json:"pm"`
	CardLast4     string       `json:"c4,omitempty"`
	Status        string       `json:"s"`
	CreatedAt     time.Time    `json:"ca"`
}

type itemRecord struct {
	ProductID   string `json:"p"`
	ProductName string `json:"n,omitempty"`
	Color       string `json:"c,omitempty"`
	Quantity    int64  `json:"q"`
	UnitCents   int64  `json:"u"`
	LineCents   int64  `json:"l"`
}

func toRecord(o *ordering.Order) record {
	items := make([]itemRecord, len(o.Items))
	for i, it := range o.Items {
		items[i] = itemRecord{it.ProductID, it.ProductName, it.Color, it.Quantity, int64(it.UnitPrice), int64(it.LineTotal)}
	}
	return record{o.UserName, o.OrderDate, o.OrderID, items, int64(o.TotalPrice), o.FirstName, o.LastName,
		o.Email, o.Address, o.PaymentMethod, o.CardLast4, o.Status, o.CreatedAt}
}

func (r *record) order() *ordering.Order {
	items := make([]ordering.Item, len(r.Items))
	for i, it := range r.Items {
		items[i] = ordering.Item{ProductID: it.ProductID, ProductName: it.ProductName, Color: it.Color,
			Quantity: it.Quantity, UnitPrice: money.Amount(it.UnitCents), LineTotal: money.Amount(it.LineCents)}
	}
	return &ordering.Order{UserName: r.UserName, OrderDate: r.OrderDate, OrderID: r.OrderID, Items: items,
		TotalPrice: money.Amount(r.TotalCents), FirstName: r.FirstName, LastName: r.LastName, Email: r.Email,
		Address: r.Address, PaymentMethod: r.PaymentMethod, CardLast4: r.CardLast4, Status: r.Status, CreatedAt: r.CreatedAt}
}

func decode(v []byte) (*ordering.Order, error) {
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, err
	}
	return r.order(), nil
}

// userPrefix is the start of every key of the user's orders. User names
// never hold NUL (the service rejects them), so prefixes never overlap.
func userPrefix(userName string) []byte { return append([]byte(userName), 0) }

func key(userName, orderDate string) []byte { return append(userPrefix(userName), orderDate...) }

// Create implements ordering.Store: put-if-absent on the order's key.
func (s *Store) Create(_ context.Context, o *ordering.Order) (created bool, err error) {
	v, err := json.Marshal(toRecord(o))
	if err != nil {
		return false, fmt.Errorf("encode order %s: %w", o.OrderID, err)
	}
	k := key(o.UserName, o.OrderDate)
	err = boltdb.Batch(s.db, func(tx *bbolt.Tx) error {
		// Batch may run this more than once; only the last run counts.
		b := tx.Bucket(bucketOrders)
		if created = b.Get(k) == nil; !created {
			return nil
		}
		return b.Put(k, v)
	})
	if err != nil {
		return false, fmt.Errorf("put order of %s at %s: %w", o.UserName, o.OrderDate, err)
	}
	return created, nil
}

// Get implements ordering.Store.
func (s *Store) Get(_ context.Context, userName, orderDate string) (o *ordering.Order, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketOrders).Get(key(userName, orderDate))
		if v == nil {
			return errs.Errorf(errs.NotFound, "User %s has no order at %s.", userName, orderDate)
		}
		o, err = decode(v)
		return err
	})
	if err != nil && !errs.Is(err, errs.NotFound) {
		return nil, fmt.Errorf("get order of %s at %s: %w", userName, orderDate, err)
	}
	return o, err
}

// ListByUser implements ordering.Store by walking the user's key range
// backwards from the cursor (or from its end).
func (s *Store) ListByUser(_ context.Context, userName string, r page.Request) (page.Page[*ordering.Order], error) {
	var out page.Page[*ordering.Order]
	prefix := userPrefix(userName)
	// end is just past the user's last key: NUL+1 sorts after every date.
	end := append([]byte(userName), 1)
	if date := r.Cursor[ordering.CursorDate]; date != "" {
		end = key(userName, date)
	}
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketOrders).Cursor()
		k, v := before(c, end)
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
			if len(out.Items) == r.Limit {
				out.Next = cursor(out.Items[len(out.Items)-1])
				return nil
			}
			o, err := decode(v)
			if err != nil {
				return err
			}
			out.Items = append(out.Items, o)
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("list orders of %s: %w", userName, err)
	}
	return out, nil
}

// before positions c on the last key strictly below end.
func before(c *bbolt.Cursor, end []byte) ([]byte, []byte) {
	if k, _ := c.Seek(end); k == nil {
		return c.Last()
	}
	return c.Prev()
}

// List implements ordering.Store, in key order (user, then date).
func (s *Store) List(_ context.Context, r page.Request) (page.Page[*ordering.Order], error) {
	var after []byte
	if r.Cursor != nil {
		after = key(r.Cursor[ordering.CursorUser], r.Cursor[ordering.CursorDate])
	}
	var out page.Page[*ordering.Order]
	err := s.db.View(func(tx *bbolt.Tx) (err error) {
		out, err = boltdb.ScanPage(tx.Bucket(bucketOrders).Cursor(), nil, after, r.Limit,
			func(_, v []byte) (*ordering.Order, bool, error) {
				o, err := decode(v)
				return o, err == nil, err
			}, cursor)
		return err
	})
	if err != nil {
		return out, fmt.Errorf("list orders: %w", err)
	}
	return out, nil
}

func cursor(o *ordering.Order) page.Cursor {
	return page.Cursor{ordering.CursorUser: o.UserName, ordering.CursorDate: o.OrderDate}
}

// Ping implements ordering.Store.
func (s *Store) Ping(context.Context) error {
	return s.db.View(func(*bbolt.Tx) error { return nil })
}
