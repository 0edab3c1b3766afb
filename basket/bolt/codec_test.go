package bolt

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/basket"
	"github.com/serverless-shop/shop/platform/money"
)

// FuzzRecordCodecs holds the basket module's three stored forms (a
// basket, a catalog entry, a checkout receipt under an idempotency key) to
// their promise, through the store's own reads and writes: whatever the
// store keeps is what it reads back, and the catalog keeps only a higher
// version. Raw bytes where a record should be are read without a panic,
// and a basket decoded from them encodes to bytes that decode to it (its
// times as the same instants: "+00:00" may read as Local and come back as
// "Z").
//
// Strings are made valid UTF-8 first: everything stored comes out of a
// JSON decoder (a request body, a token, an event), and the JSON codec
// would replace an invalid byte.
func FuzzRecordCodecs(f *testing.F) {
	s, err := Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	// A fuzz run writes thousands of records; durability is not what it checks.
	s.db.NoSync, s.db.MaxBatchDelay = true, 0
	ctx := context.Background()
	var n int // makes the keys of each input unique

	ts := time.Date(2026, 11, 27, 8, 0, 0, 123456789, time.UTC).UnixNano()
	f.Add("swn", "p1", "Black", 2, uint8(2), "open", "01935c2e-7d1a-7c3e-9a4b-5d6e7f809123", ts, int64(0), int64(0), int64(0),
		"key-1", "IPhone X", int64(95040), int64(3), false, []byte(`{"u":"swn","i":[{"p":"p1","q":2,"c":"Black"}],"s":"open","c":"c1","ua":"2026-11-27T08:00:00Z"}`))
	f.Add("ada", "p2", "", 1000, uint8(1), "checkedOut", "c2", ts, ts, ts+int64(24*time.Hour), int64(190080),
		"k", "Case", int64(999), int64(1), true, []byte(`{"n":"Case","p":999,"v":1,"d":true}`))
	f.Add("a\x00b", "\xff", "\u2028<&>", -1, uint8(0), "", "", int64(-1), int64(1), int64(-1<<63), int64(-1<<63),
		"\x00", "", int64(1<<63-1), int64(-1), false, []byte(`{"c":"c1","co":"2026-11-27T08:00:00Z","t":1,"ex":"x"}`))
	f.Add("u", "p", "c", 0, uint8(3), "open", "c", int64(1), int64(0), int64(0), int64(0), "", "n", int64(0), int64(0), false, []byte(`{"u":1}`))
	f.Add("u", "p", "c", 0, uint8(0), "open", "c", int64(1), int64(0), int64(0), int64(0), "", "n", int64(0), int64(0), false, []byte(`{"ua":"yesterday"}`))
	f.Add("u", "p", "c", 0, uint8(0), "open", "c", int64(1), int64(0), int64(0), int64(0), "", "n", int64(0), int64(0), false, []byte(`{"i":[{"q":1e30}]}`))
	f.Fuzz(func(t *testing.T, user, productID, color string, quantity int, items uint8, status, checkoutID string,
		updated, checkedOut, expires, total int64, key, name string, price, version int64, deleted bool, raw []byte) {
		n++
		user, productID, color, status, checkoutID, key, name = valid(user), valid(productID), valid(color), valid(status),
			valid(checkoutID), valid(key), valid(name)
		if user == "" {
			user = "u"
		}

		b := basket.Basket{UserName: user, Items: make([]basket.Item, items%4), Status: basket.Status(status), CheckoutID: checkoutID,
			UpdatedAt: unixTime(updated), CheckedOutAt: unixTime(checkedOut), ExpiresAt: unixTime(expires), TotalPrice: money.Amount(total)}
		for i := range b.Items {
			b.Items[i] = basket.Item{ProductID: productID + strconv.Itoa(i), Quantity: quantity + i, Color: color}
		}
		if _, err := s.Put(ctx, &b); err != nil {
			t.Fatalf("Put(%+v): %v", b, err)
		}
		if got, err := s.Get(ctx, user); err != nil || !reflect.DeepEqual(got, &b) {
			t.Fatalf("Put(%+v), then Get = %+v, %v", b, got, err)
		}

		// The checkout's transaction writes the tombstone and the receipt. It
		// also reads every receipt of the user, so each input has its own.
		user += "#" + strconv.Itoa(n)
		open := basket.Basket{UserName: user, Items: b.Items, Status: basket.StatusOpen, CheckoutID: checkoutID, UpdatedAt: b.UpdatedAt}
		if _, err := s.Put(ctx, &open); err != nil {
			t.Fatalf("Put(%+v): %v", open, err)
		}
		tomb := open
		tomb.Status, tomb.CheckedOutAt, tomb.ExpiresAt, tomb.TotalPrice = basket.StatusCheckedOut, b.CheckedOutAt, b.ExpiresAt, b.TotalPrice
		rec := basket.KeyedReceipt{Key: key + "#" + strconv.Itoa(n), ExpiresAt: unixTime(expires), Receipt: basket.Receipt{
			CheckoutID: checkoutID, UserName: user, CheckedOutAt: unixTime(checkedOut), TotalPrice: money.Amount(total)}}
		if err := s.CheckOut(ctx, &tomb, &rec, nil); err != nil {
			t.Fatalf("CheckOut(%+v, %+v): %v", tomb, rec, err)
		}
		if got, err := s.KeyedReceipt(ctx, user, rec.Key); err != nil || !reflect.DeepEqual(got, &rec) {
			t.Fatalf("CheckOut with %+v, then KeyedReceipt = %+v, %v", rec, got, err)
		}
		if got, err := s.Get(ctx, user); err != nil || !reflect.DeepEqual(got, &tomb) {
			t.Fatalf("CheckOut(%+v), then Get = %+v, %v", tomb, got, err)
		}

		p := basket.Product{ProductID: productID + "#" + strconv.Itoa(n%8), Name: name, Price: money.Amount(price), Version: version, Deleted: deleted}
		before := catalogEntry(t, s, p.ProductID)
		stored, err := s.PutProduct(ctx, &p)
		after := catalogEntry(t, s, p.ProductID)
		switch {
		case err != nil:
			t.Fatalf("PutProduct(%+v): %v", p, err)
		case before != nil && before.Version >= p.Version:
			if stored || !reflect.DeepEqual(after, before) {
				t.Fatalf("PutProduct(%+v) over %+v: got %v and %+v, want the older version ignored", p, before, stored, after)
			}
		case !stored || !reflect.DeepEqual(after, &p):
			t.Fatalf("PutProduct(%+v): got %v, then Products = %+v", p, stored, after)
		}

		// Raw bytes under keys no valid input makes (0xff is never UTF-8).
		rawKey := "\xff" + strconv.Itoa(n)
		err = s.db.Update(func(tx *bbolt.Tx) error {
			for _, kv := range []struct{ bucket, key []byte }{
				{bucketBaskets, []byte(rawKey)}, {bucketCatalog, []byte(rawKey)}, {bucketKeys, keyedKey(rawKey, "k")},
			} {
				if err := tx.Bucket(kv.bucket).Put(kv.key, raw); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = s.KeyedReceipt(ctx, rawKey, "k")
		_, _ = s.Products(ctx, []string{rawKey})
		_, _ = s.Get(ctx, rawKey)
		var r record
		if json.Unmarshal(raw, &r) != nil {
			return
		}
		got := r.basket()
		enc, err := json.Marshal(toRecord(got))
		if err != nil {
			t.Fatalf("%q reads as %+v, which does not encode: %v", raw, got, err)
		}
		var again record
		if err := json.Unmarshal(enc, &again); err != nil || !reflect.DeepEqual(inUTC(again.basket()), inUTC(got)) {
			t.Fatalf("%q reads as %+v, which encodes to %s, which reads as %+v, %v", raw, got, enc, again.basket(), err)
		}
	})
}

// inUTC returns b with its times in UTC.
func inUTC(b *basket.Basket) *basket.Basket {
	c := *b
	c.UpdatedAt, c.CheckedOutAt, c.ExpiresAt = c.UpdatedAt.UTC(), c.CheckedOutAt.UTC(), c.ExpiresAt.UTC()
	return &c
}

func valid(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// unixTime is the zero time for 0, else the UTC time n nanoseconds after
// the epoch: the range of every time the service stamps.
func unixTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// catalogEntry is the catalog's entry for id, nil when it has none.
func catalogEntry(t *testing.T, s *Store, id string) *basket.Product {
	t.Helper()
	ps, err := s.Products(context.Background(), []string{id})
	if err != nil {
		t.Fatalf("Products(%q): %v", id, err)
	}
	return ps[id]
}
