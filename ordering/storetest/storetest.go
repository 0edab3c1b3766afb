// Package storetest is the contract every ordering.Store passes: the same
// cases run over the embedded store and DynamoDB Local.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/serverless-shop/shop/ordering"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/page"
)

// Run runs the contract against stores made by newStore, a fresh, empty
// store per call.
func Run(t *testing.T, newStore func(t *testing.T) ordering.Store) {
	cases := []struct {
		name string
		fn   func(*testing.T, ordering.Store)
	}{
		{"Create", testCreate},
		{"CreateTakenKeyStoresNothing", testCreateTakenKey},
		{"ConcurrentCreatesStoreOne", testConcurrentCreates},
		{"GetNotFound", testGetNotFound},
		{"ListByUserNewestFirst", testListByUser},
		{"ListByUserEmpty", testListByUserEmpty},
		{"List", testList},
		{"Ping", func(t *testing.T, s ordering.Store) {
			if err := s.Ping(context.Background()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, newStore(t))
		})
	}
}

// base is the time of the first fixture order.
var base = time.Date(2026, 11, 27, 8, 0, 0, 123456789, time.UTC)

// NewOrder returns a valid submitted order of userName checked out at at.
func NewOrder(userName string, at time.Time, orderID string) *ordering.Order {
	return &ordering.Order{
		UserName: userName, OrderDate: ordering.FormatDate(at), OrderID: orderID,
		Items: []ordering.Item{
			{ProductID: "p1", ProductName: "IPhone X", Color: "Black", Quantity: 2, UnitPrice: 95040, LineTotal: 190080},
			{ProductID: "p2", ProductName: "Case", Quantity: 1, UnitPrice: 999, LineTotal: 999},
		},
		TotalPrice: money.Amount(191079), FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		Address: "London", PaymentMethod: 1, CardLast4: "3322", Status: ordering.StatusSubmitted,
		CreatedAt: at.Add(time.Second).UTC(),
	}
}

// MustCreate stores o and fails unless it was newly created.
func MustCreate(tb testing.TB, s ordering.Store, o *ordering.Order) {
	tb.Helper()
	created, err := s.Create(context.Background(), o)
	if err != nil || !created {
		tb.Fatalf("Create(%s, %s) = %v, %v; want true, nil", o.UserName, o.OrderDate, created, err)
	}
}

// MustGet returns the stored order or fails.
func MustGet(tb testing.TB, s ordering.Store, userName, orderDate string) *ordering.Order {
	tb.Helper()
	o, err := s.Get(context.Background(), userName, orderDate)
	if err != nil {
		tb.Fatalf("Get(%s, %s): %v", userName, orderDate, err)
	}
	return o
}

// AssertEqual fails unless got and want hold the same order.
func AssertEqual(tb testing.TB, got, want *ordering.Order) {
	tb.Helper()
	g, w := *got, *want
	if !g.CreatedAt.Equal(w.CreatedAt) {
		tb.Errorf("CreatedAt = %v, want %v", g.CreatedAt, w.CreatedAt)
	}
	g.CreatedAt, w.CreatedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		tb.Errorf("order:\n got %+v\nwant %+v", g, w)
	}
}

func testCreate(t *testing.T, s ordering.Store) {
	want := NewOrder("ada", base, "o1")
	MustCreate(t, s, want)
	AssertEqual(t, MustGet(t, s, "ada", want.OrderDate), want)
}

// testCreateTakenKey: Create is put-if-absent. Whether the order at a taken
// key is the same checkout is the service's decision, so the store answers
// false, nil for the same order and for another alike, and keeps the first.
func testCreateTakenKey(t *testing.T, s ordering.Store) {
	want := NewOrder("ada", base, "o1")
	MustCreate(t, s, want)
	again := NewOrder("ada", base, "o1")
	again.CreatedAt = again.CreatedAt.Add(time.Hour)
	again.Status = "Changed"
	for _, o := range []*ordering.Order{again, NewOrder("ada", base, "o2")} {
		created, err := s.Create(context.Background(), o)
		if err != nil || created {
			t.Fatalf("Create(%s) at a taken key = %v, %v; want false, nil", o.OrderID, created, err)
		}
	}
	AssertEqual(t, MustGet(t, s, "ada", want.OrderDate), want)
	assertUserDates(t, s, "ada", 10, []string{want.OrderDate})
}

// testConcurrentCreates: of overlapping Creates at one key exactly one
// stores its order, whatever the backend's isolation.
func testConcurrentCreates(t *testing.T, s ordering.Store) {
	const writers = 8
	var (
		wg      sync.WaitGroup
		created atomic.Int32
	)
	for i := range writers {
		wg.Go(func() {
			ok, err := s.Create(context.Background(), NewOrder("ada", base, fmt.Sprint("o", i)))
			if err != nil {
				t.Errorf("Create: %v", err)
			}
			if ok {
				created.Add(1)
			}
		})
	}
	wg.Wait()
	if got := created.Load(); got != 1 {
		t.Fatalf("%d of %d overlapping Creates stored their order, want exactly 1", got, writers)
	}
	assertUserDates(t, s, "ada", 10, []string{ordering.FormatDate(base)})
}

func testGetNotFound(t *testing.T, s ordering.Store) {
	MustCreate(t, s, NewOrder("ada", base, "o1"))
	for _, c := range []struct{ name, user, date string }{
		{"OtherDate", "ada", ordering.FormatDate(base.Add(time.Nanosecond))},
		{"OtherUser", "bob", ordering.FormatDate(base)},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Get(context.Background(), c.user, c.date)
			if got := errs.Code(err); got != errs.NotFound {
				t.Fatalf("Get: code %q (%v), want %q", got, err, errs.NotFound)
			}
		})
	}
}

func testListByUser(t *testing.T, s ordering.Store) {
	// Neighbouring user names share a prefix with "ada" on either side, so a
	// store that scans by prefix without a separator would leak them.
	offsets := []int{3, 0, 4, 1, 2}
	var want []string
	for i := len(offsets) - 1; i >= 0; i-- {
		want = append(want, ordering.FormatDate(base.Add(time.Duration(i)*time.Hour)))
	}
	for i, off := range offsets {
		at := base.Add(time.Duration(off) * time.Hour)
		MustCreate(t, s, NewOrder("ada", at, fmt.Sprintf("ada-%d", i)))
		MustCreate(t, s, NewOrder("ad", at, fmt.Sprintf("ad-%d", i)))
		MustCreate(t, s, NewOrder("adam", at, fmt.Sprintf("adam-%d", i)))
	}
	MustCreate(t, s, NewOrder("ad", base.Add(100*time.Hour), "ad-late"))
	for _, limit := range []int{1, 2, 5, 50} {
		t.Run(fmt.Sprintf("Limit%d", limit), func(t *testing.T) {
			assertUserDates(t, s, "ada", limit, want)
		})
	}
}

// assertUserDates walks every page of the user's orders and fails unless
// the dates are want, in order, in ceil(len(want)/limit) pages.
func assertUserDates(t *testing.T, s ordering.Store, userName string, limit int, want []string) {
	t.Helper()
	var (
		got   []string
		pages int
		r     = page.Request{Limit: limit}
	)
	for {
		pg, err := s.ListByUser(context.Background(), userName, r)
		if err != nil {
			t.Fatalf("ListByUser page %d: %v", pages+1, err)
		}
		pages++
		if len(pg.Items) > limit {
			t.Fatalf("page %d has %d items, limit %d", pages, len(pg.Items), limit)
		}
		for _, o := range pg.Items {
			if o.UserName != userName {
				t.Fatalf("ListByUser(%s) returned an order of %s", userName, o.UserName)
			}
			got = append(got, o.OrderDate)
		}
		if pg.Next == nil {
			break
		}
		if pages > len(want)+1 {
			t.Fatalf("more than %d pages", pages)
		}
		r.Cursor = roundTrip(t, pg.Next)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dates:\n got %v\nwant %v", got, want)
	}
	if wantPages := max(1, (len(want)+limit-1)/limit); pages != wantPages {
		t.Errorf("pages = %d, want %d", pages, wantPages)
	}
}

// roundTrip passes a cursor through its text form, as a client does.
func roundTrip(t *testing.T, c page.Cursor) page.Cursor {
	t.Helper()
	c2, err := page.Decode(c.Encode())
	if err != nil {
		t.Fatalf("cursor round trip: %v", err)
	}
	return c2
}

func testListByUserEmpty(t *testing.T, s ordering.Store) {
	MustCreate(t, s, NewOrder("ada", base, "o1"))
	pg, err := s.ListByUser(context.Background(), "bob", page.Request{Limit: 10})
	if err != nil || len(pg.Items) != 0 || pg.Next != nil {
		t.Fatalf("ListByUser(bob) = %d items, next %v, %v; want none", len(pg.Items), pg.Next, err)
	}
}

func testList(t *testing.T, s ordering.Store) {
	want := map[string]bool{}
	for i := range 7 {
		o := NewOrder(fmt.Sprintf("user%d", i%3), base.Add(time.Duration(i)*time.Minute), fmt.Sprintf("o%d", i))
		MustCreate(t, s, o)
		want[o.OrderID] = true
	}
	got := map[string]bool{}
	r := page.Request{Limit: 3}
	pages := 0
	for {
		pg, err := s.List(context.Background(), r)
		if err != nil {
			t.Fatalf("List page %d: %v", pages+1, err)
		}
		pages++
		if len(pg.Items) > r.Limit {
			t.Fatalf("page %d has %d items, limit %d", pages, len(pg.Items), r.Limit)
		}
		for _, o := range pg.Items {
			if got[o.OrderID] {
				t.Fatalf("order %s listed twice", o.OrderID)
			}
			got[o.OrderID] = true
		}
		if pg.Next == nil {
			break
		}
		if pages > len(want) {
			t.Fatalf("more than %d pages", pages)
		}
		r.Cursor = roundTrip(t, pg.Next)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
	if pages != 3 {
		t.Errorf("pages = %d, want 3", pages)
	}
}
