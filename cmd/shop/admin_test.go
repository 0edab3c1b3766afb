package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/boltdb"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/outbox"
)

// refusing is a bus that refuses every event until opened: the stand-in for
// a bus refusing an outbox's events, which the real binary's buses cannot
// be made to do on demand.
type refusing struct{ open bool }

func (r *refusing) Publish(context.Context, ...bus.Envelope) error {
	if !r.open {
		return errors.New("refused on purpose")
	}
	return nil
}

// TestOutboxDeadLetterRoutes: an event the bus refused until its last
// attempt is listed on the operator routes in the bus's dead-letter shape,
// and replays into the outbox, which then drains.
func TestOutboxDeadLetterRoutes(t *testing.T) {
	db, err := boltdb.Open(t.TempDir(), "basket.db", string(outbox.Bucket))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e, err := bus.New(uuid.Must(uuid.NewV7()).String(), "com.swn.basket", "CheckoutBasket", map[string]string{"n": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error { return outbox.PutBolt(tx, e) }); err != nil {
		t.Fatal(err)
	}
	pub := &refusing{}
	store := outbox.NewBoltStore(db)
	rl := outbox.NewRelay(store, pub, time.Hour, zerolog.Nop(), outbox.WithName("basket"),
		outbox.WithMaxAttempts(1), outbox.WithBackoff(time.Millisecond, time.Millisecond))
	if err := rl.Flush(t.Context()); !errors.Is(err, outbox.ErrRefused) {
		t.Fatalf("Flush = %v, want the refusal", err)
	}
	srv := httptest.NewServer(outboxDeadLetterRoutes([]*outbox.Relay{rl}))
	t.Cleanup(srv.Close)

	do := func(method, path string, want int, v any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("%s %s: got %d, want %d", method, path, res.StatusCode, want)
		}
		if v != nil {
			if err := json.NewDecoder(res.Body).Decode(v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var list struct {
		Items []struct {
			Envelope  struct{ ID string }
			Outbox    string
			Attempts  int
			LastError string
			FailedAt  time.Time
		} `json:"items"`
	}
	do("GET", "/basket", http.StatusOK, &list)
	if len(list.Items) != 1 {
		t.Fatalf("got %d dead letters, want 1", len(list.Items))
	}
	if got := list.Items[0]; got.Envelope.ID != e.ID || got.Outbox != "basket" || got.Attempts != 1 || got.LastError != "refused on purpose" || got.FailedAt.IsZero() {
		t.Errorf("dead letter = %+v, want %s of basket after 1 attempt with its error", got, e.ID)
	}
	do("GET", "/product", http.StatusNotFound, nil)
	do("POST", "/basket/nope/replay", http.StatusNotFound, nil)

	pub.open = true
	var replayed map[string]int
	do("POST", "/basket/"+e.ID+"/replay", http.StatusOK, &replayed)
	if replayed["replayed"] != 1 {
		t.Errorf("replay answered %v, want 1 replayed", replayed)
	}
	if err := rl.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if p, err := store.Pending(t.Context(), 10); err != nil || len(p) != 0 {
		t.Errorf("outbox after replay and flush = %v, %v; want empty", p, err)
	}
	do("GET", "/basket", http.StatusOK, &list)
	if len(list.Items) != 0 {
		t.Errorf("got %d dead letters after replay, want none", len(list.Items))
	}
}
