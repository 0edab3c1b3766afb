package ordering_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/ordering"
	orderingbolt "github.com/serverless-shop/shop/ordering/bolt"
	orderingdynamo "github.com/serverless-shop/shop/ordering/dynamo"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/page"
	"github.com/serverless-shop/shop/platform/testenv"
)

// backends make a fresh store per test on every backend.
var backends = []struct {
	name string
	new  func(t *testing.T) ordering.Store
}{
	{"Bolt", func(t *testing.T) ordering.Store {
		s, err := orderingbolt.Open(t.TempDir())
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
	{"DynamoDB", func(t *testing.T) ordering.Store {
		client := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.DynamoDBEndpoint(t)))
		table := testenv.UniqueName(t, "order")
		if err := dynamo.EnsureTable(context.Background(), client, orderingdynamo.TableInput(table)); err != nil {
			t.Fatalf("EnsureTable: %v", err)
		}
		testenv.DeleteTablesAtCleanup(t, client, table)
		return orderingdynamo.New(client, table)
	}},
}

// checkedOutAt has fewer than nine fraction digits on purpose: the order
// date pads it to the fixed layout.
var checkedOutAt = time.Date(2026, 11, 27, 8, 0, 0, 123400000, time.UTC)

// NewCheckout returns a valid checkout detail of userName.
func NewCheckout(userName string) ordering.Checkout {
	return ordering.Checkout{
		CheckoutID: uuid.Must(uuid.NewV7()).String(), UserName: userName, CheckedOutAt: checkedOutAt,
		FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", Address: "London",
		PaymentMethod: 1, CardLast4: "3322",
		Items: []ordering.CheckoutItem{
			{ProductID: "p1", ProductName: "IPhone X", Color: "Black", Quantity: 2, UnitPrice: 95040, LineTotal: 190080},
		},
		TotalPrice: 190080,
	}
}

// MustEnvelope wraps detail in a checkout envelope with a fresh ID.
func MustEnvelope(tb testing.TB, detail any) bus.Envelope {
	tb.Helper()
	e, err := bus.New(uuid.Must(uuid.NewV7()).String(), ordering.DefaultCheckoutSource, ordering.DefaultCheckoutDetailType, detail)
	if err != nil {
		tb.Fatalf("bus.New: %v", err)
	}
	return e
}

// MustList returns every order of userName, newest first.
func MustList(tb testing.TB, svc *ordering.Service, userName string) []*ordering.Order {
	tb.Helper()
	pg, err := svc.ListByUser(context.Background(), userName, page.Request{Limit: page.MaxLimit})
	if err != nil {
		tb.Fatalf("ListByUser: %v", err)
	}
	return pg.Items
}

func TestHandleCheckout(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			t.Run("StoresOrder", func(t *testing.T) {
				svc := ordering.NewService(b.new(t))
				c := NewCheckout("ada")
				if err := svc.HandleCheckout(context.Background(), MustEnvelope(t, c)); err != nil {
					t.Fatalf("HandleCheckout: %v", err)
				}
				o, err := svc.Get(context.Background(), "ada", "2026-11-27T08:00:00.1234Z")
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				if got, want := o.OrderDate, "2026-11-27T08:00:00.123400000Z"; got != want {
					t.Errorf("orderDate = %s, want %s", got, want)
				}
				if o.OrderID != c.CheckoutID || o.Status != ordering.StatusSubmitted || o.TotalPrice != c.TotalPrice ||
					len(o.Items) != 1 || o.Items[0] != ordering.Item(c.Items[0]) || o.CardLast4 != "3322" || o.CreatedAt.IsZero() {
					t.Errorf("order = %+v, not built from %+v", o, c)
				}
			})
			t.Run("RedeliveryIsNoop", func(t *testing.T) {
				svc := ordering.NewService(b.new(t))
				c := NewCheckout("ada")
				// The relay may publish the same detail twice under new
				// envelope IDs, and deliveries may overlap.
				var wg sync.WaitGroup
				errc := make(chan error, 4)
				for range 4 {
					e := MustEnvelope(t, c)
					wg.Go(func() { errc <- svc.HandleCheckout(context.Background(), e) })
				}
				wg.Wait()
				close(errc)
				for err := range errc {
					if err != nil {
						t.Fatalf("HandleCheckout: %v", err)
					}
				}
				e := MustEnvelope(t, c)
				for range 2 {
					if err := svc.HandleCheckout(context.Background(), e); err != nil {
						t.Fatalf("HandleCheckout same envelope: %v", err)
					}
				}
				if got := MustList(t, svc, "ada"); len(got) != 1 || got[0].OrderID != c.CheckoutID {
					t.Fatalf("orders = %d, want exactly one with id %s", len(got), c.CheckoutID)
				}
			})
			t.Run("ErrConflictOtherCheckoutAtSameKey", func(t *testing.T) {
				// Two checkouts of one user at the same instant share the
				// order's key; the second cannot be stored and must not be
				// taken for a redelivery of the first.
				svc := ordering.NewService(b.new(t))
				first, second := NewCheckout("ada"), NewCheckout("ada")
				if err := svc.HandleCheckout(context.Background(), MustEnvelope(t, first)); err != nil {
					t.Fatalf("HandleCheckout(first): %v", err)
				}
				err := svc.HandleCheckout(context.Background(), MustEnvelope(t, second))
				if got := errs.Code(err); got != errs.Conflict {
					t.Fatalf("HandleCheckout(second): code %q (%v), want %q", got, err, errs.Conflict)
				}
				if !strings.Contains(err.Error(), second.CheckoutID) || !strings.Contains(err.Error(), first.CheckoutID) {
					t.Errorf("error %q names neither checkout %s nor the stored order %s", err, second.CheckoutID, first.CheckoutID)
				}
				if got := MustList(t, svc, "ada"); len(got) != 1 || got[0].OrderID != first.CheckoutID {
					t.Fatalf("orders = %d, want only the first checkout's order %s", len(got), first.CheckoutID)
				}
			})
		})
	}
}

func TestHandleCheckoutMalformedIsDeadLettered(t *testing.T) {
	valid := NewCheckout("ada")
	mutate := func(f func(c *ordering.Checkout)) json.RawMessage {
		c := valid
		c.Items = append([]ordering.CheckoutItem(nil), valid.Items...)
		f(&c)
		b, _ := json.Marshal(c)
		return b
	}
	cases := []struct {
		name   string
		detail json.RawMessage
	}{
		{"NotJSON", json.RawMessage(`{"checkoutId":`)},
		{"Empty", nil},
		{"WrongType", json.RawMessage(`{"checkoutId":"x","userName":"ada","paymentMethod":"card"}`)},
		{"FloatyMoney", json.RawMessage(strings.Replace(string(mutate(func(*ordering.Checkout) {})), `"totalPrice":1900.80`, `"totalPrice":1900.801`, 1))},
		{"NoUser", mutate(func(c *ordering.Checkout) { c.UserName = "" })},
		{"NoCheckoutID", mutate(func(c *ordering.Checkout) { c.CheckoutID = "" })},
		{"NoTime", mutate(func(c *ordering.Checkout) { c.CheckedOutAt = time.Time{} })},
		{"NoItems", mutate(func(c *ordering.Checkout) { c.Items = nil; c.TotalPrice = 0 })},
		{"BadLineTotal", mutate(func(c *ordering.Checkout) { c.Items[0].LineTotal++; c.TotalPrice++ })},
		{"BadTotal", mutate(func(c *ordering.Checkout) { c.TotalPrice++ })},
		{"ZeroQuantity", mutate(func(c *ordering.Checkout) { c.Items[0].Quantity = 0; c.Items[0].LineTotal = 0; c.TotalPrice = 0 })},
		{"FullCardNumber", mutate(func(c *ordering.Checkout) { c.CardLast4 = "4111111111111111" })},
		{"DotDotUser", mutate(func(c *ordering.Checkout) { c.UserName = ".." })},
		{"UserNameNoRouteServes", mutate(func(c *ordering.Checkout) { c.UserName = "ada lovelace" })},
		{"LongUser", mutate(func(c *ordering.Checkout) { c.UserName = strings.Repeat("a", 129) })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			svc := ordering.NewService(backends[0].new(t))
			e := MustEnvelope(t, valid)
			e.Detail = c.detail
			// The bus hands the handler its logger in the context, with the
			// event's fields.
			ctx := zerolog.New(&logs).With().Str("event_id", e.ID).Logger().WithContext(context.Background())
			// An error makes the bus dead-letter the event, where an operator
			// can inspect and replay it, instead of dropping an accepted checkout.
			if err := svc.HandleCheckout(ctx, e); err == nil {
				t.Fatal("HandleCheckout = nil, want an error so the bus dead-letters the event")
			}
			if got := MustList(t, svc, "ada"); len(got) != 0 {
				t.Errorf("stored %d orders, want none", len(got))
			}
			if !strings.Contains(logs.String(), `"level":"error"`) || !strings.Contains(logs.String(), "malformed checkout event") {
				t.Errorf("log = %q, want an error line through the context's logger", logs.String())
			}
		})
	}
}

func TestHandleCheckoutStoreErrorIsRetried(t *testing.T) {
	s, err := orderingbolt.Open(t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	svc := ordering.NewService(s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	c := NewCheckout("ada")
	err = svc.HandleCheckout(context.Background(), MustEnvelope(t, c))
	if err == nil {
		t.Fatal("HandleCheckout on a closed store = nil, want an error so the bus redelivers")
	}
	// The error names the operation, the order and its key, for the
	// operator reading the bus's log or dead letters.
	for _, want := range []string{"create order", c.CheckoutID, "ada", ordering.FormatDate(checkedOutAt)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

func TestGet(t *testing.T) {
	svc := ordering.NewService(backends[0].new(t))
	c := NewCheckout("ada")
	if err := svc.HandleCheckout(context.Background(), MustEnvelope(t, c)); err != nil {
		t.Fatalf("HandleCheckout: %v", err)
	}
	for _, date := range []string{"2026-11-27T08:00:00.1234Z", "2026-11-27T08:00:00.123400000Z", "2026-11-27T09:00:00.1234+01:00"} {
		t.Run("OK/"+date, func(t *testing.T) {
			o, err := svc.Get(context.Background(), "ada", date)
			if err != nil || o.OrderID != c.CheckoutID {
				t.Fatalf("Get = %v, %v; want order %s", o, err, c.CheckoutID)
			}
		})
	}
	for _, tc := range []struct{ name, user, date, code string }{
		{"ErrNotFound", "ada", "2026-11-27T08:00:00Z", errs.NotFound},
		{"ErrNotFoundUser", "bob", "2026-11-27T08:00:00.1234Z", errs.NotFound},
		{"ErrInvalidDate", "ada", "yesterday", errs.Invalid},
		{"ErrInvalidEmptyDate", "ada", "", errs.Invalid},
		{"ErrInvalidUser", "a\x00b", "2026-11-27T08:00:00Z", errs.Invalid},
		{"ErrInvalidUserDotDot", "..", "2026-11-27T08:00:00Z", errs.Invalid},
		{"ErrInvalidUserLong", strings.Repeat("a", 800), "2026-11-27T08:00:00Z", errs.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Get(context.Background(), tc.user, tc.date)
			if got := errs.Code(err); got != tc.code {
				t.Fatalf("Get: code %q (%v), want %q", got, err, tc.code)
			}
		})
	}
}

func TestListRejectsForeignCursor(t *testing.T) {
	svc := ordering.NewService(backends[0].new(t))
	date := ordering.FormatDate(checkedOutAt)
	for _, tc := range []struct {
		name string
		user string
		c    page.Cursor
	}{
		{"OtherUser", "ada", page.Cursor{"userName": "bob", "orderDate": date}},
		{"BadDate", "ada", page.Cursor{"userName": "ada", "orderDate": "x"}},
		{"ExtraKey", "ada", page.Cursor{"userName": "ada", "orderDate": date, "id": "1"}},
		{"AllMissingUser", "", page.Cursor{"orderDate": date}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := page.Request{Limit: 10, Cursor: tc.c}
			var err error
			if tc.user == "" {
				_, err = svc.List(context.Background(), r)
			} else {
				_, err = svc.ListByUser(context.Background(), tc.user, r)
			}
			if got := errs.Code(err); got != errs.Invalid {
				t.Fatalf("code %q (%v), want %q", got, err, errs.Invalid)
			}
		})
	}
}

func ExampleFormatDate() {
	fmt.Println(ordering.FormatDate(time.Date(2026, 11, 27, 9, 0, 0, 5, time.FixedZone("CET", 3600))))
	// Output: 2026-11-27T08:00:00.000000005Z
}
