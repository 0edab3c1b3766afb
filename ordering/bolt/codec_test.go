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

	"github.com/serverless-shop/shop/ordering"
	"github.com/serverless-shop/shop/platform/money"
)

// FuzzRecordCodec holds the stored form of an order to its promise,
// through the store's own write and read: an order built from any strings,
// amounts, quantities and UnixNano times is read back as it was created.
// Raw bytes where an order should be are read without a panic, and an
// order decoded from them encodes to bytes that decode to it (its time as
// the same instant: "+00:00" may read as Local and come back as "Z").
//
// Strings are made valid UTF-8 first, and the user name holds no NUL:
// an order comes out of a JSON decoder (the checkout event), which would
// replace an invalid byte, and the service refuses NUL in a user name.
func FuzzRecordCodec(f *testing.F) {
	s, err := Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	// A fuzz run writes thousands of orders; durability is not what it checks.
	s.db.NoSync, s.db.MaxBatchDelay = true, 0
	ctx := context.Background()
	var n int // makes the keys of each input unique

	at := time.Date(2026, 11, 27, 8, 0, 0, 123456789, time.UTC)
	f.Add("ada", ordering.FormatDate(at), "01935c2e-7d1a-7c3e-9a4b-5d6e7f809123", "p1", "IPhone X", "Black", int64(2), int64(95040), int64(190080),
		uint8(2), int64(191079), "Ada", "Lovelace", "ada@example.com", "London", 1, "3322", ordering.StatusSubmitted, at.UnixNano(),
		[]byte(`{"u":"ada","d":"2026-11-27T08:00:00.123456789Z","id":"o1","it":[{"p":"p1","q":2,"u":95040,"l":190080}],"t":190080,"pm":1,"s":"Submitted","ca":"2026-11-27T08:00:01Z"}`))
	f.Add("", "", "", "", "", "", int64(0), int64(0), int64(0), uint8(0), int64(0), "", "", "", "", 0, "", "", int64(0), []byte(`{}`))
	f.Add("a\x00b", "\xff", "\u2028", "<&>", "\x00", "\n", int64(-1<<63), int64(1<<63-1), int64(-1), uint8(3), int64(-1), "\xfe", "", "", "", -1,
		"", "", int64(-1), []byte(`{"it":[{"q":1e30}]}`))
	f.Add("u", "d", "o", "p", "n", "c", int64(1), int64(1), int64(1), uint8(1), int64(1), "", "", "", "", 0, "", "", int64(1), []byte(`{"ca":"yesterday"}`))
	f.Add("u", "d", "o", "p", "n", "c", int64(1), int64(1), int64(1), uint8(1), int64(1), "", "", "", "", 0, "", "", int64(1), []byte(`{"it":null,"t":"1"}`))
	f.Fuzz(func(t *testing.T, user, orderDate, orderID, productID, productName, color string, quantity, unit, line int64, items uint8,
		total int64, first, last, email, address string, paymentMethod int, card4, status string, created int64, raw []byte) {
		n++
		o := ordering.Order{
			UserName: strings.ReplaceAll(valid(user), "\x00", "") + "#" + strconv.Itoa(n), OrderDate: valid(orderDate),
			OrderID: valid(orderID), Items: make([]ordering.Item, items%4), TotalPrice: money.Amount(total),
			FirstName: valid(first), LastName: valid(last), Email: valid(email), Address: valid(address),
			PaymentMethod: paymentMethod, CardLast4: valid(card4), Status: valid(status), CreatedAt: time.Unix(0, created).UTC(),
		}
		for i := range o.Items {
			o.Items[i] = ordering.Item{ProductID: valid(productID) + strconv.Itoa(i), ProductName: valid(productName), Color: valid(color),
				Quantity: quantity, UnitPrice: money.Amount(unit), LineTotal: money.Amount(line)}
		}
		if created, err := s.Create(ctx, &o); err != nil || !created {
			t.Fatalf("Create(%+v) = %v, %v; want true, nil", o, created, err)
		}
		if got, err := s.Get(ctx, o.UserName, o.OrderDate); err != nil || !reflect.DeepEqual(got, &o) {
			t.Fatalf("Create(%+v), then Get = %+v, %v", o, got, err)
		}

		// Raw bytes under a key no valid input makes (0xff is never UTF-8).
		rawUser := "\xff" + strconv.Itoa(n)
		err := s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketOrders).Put(key(rawUser, "d"), raw) })
		if err != nil {
			t.Fatal(err)
		}
		_, _ = s.Get(ctx, rawUser, "d")
		got, err := decode(raw)
		if err != nil {
			return
		}
		enc, err := json.Marshal(toRecord(got))
		if err != nil {
			t.Fatalf("%q reads as %+v, which does not encode: %v", raw, got, err)
		}
		if again, err := decode(enc); err != nil || !reflect.DeepEqual(inUTC(again), inUTC(got)) {
			t.Fatalf("%q reads as %+v, which encodes to %s, which reads as %+v, %v", raw, got, enc, again, err)
		}
	})
}

// inUTC returns o with its time in UTC.
func inUTC(o *ordering.Order) *ordering.Order {
	c := *o
	c.CreatedAt = c.CreatedAt.UTC()
	return &c
}

func valid(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
