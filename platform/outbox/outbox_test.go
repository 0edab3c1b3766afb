package outbox_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/boltdb"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/bus/localbus"
	"github.com/serverless-shop/shop/platform/outbox"
)

// harness is a module's bbolt file with its outbox, relayed to a real local
// bus whose one subscriber records what it gets.
type harness struct {
	db    *bbolt.DB
	relay *outbox.Relay
	mu    sync.Mutex
	got   map[string]int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	dir := t.TempDir()
	db, err := boltdb.Open(dir, "module.db", string(outbox.Bucket))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b, err := localbus.Open(filepath.Join(dir, "bus.db"))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{db: db, got: map[string]int{}}
	bustest.MustSubscribe(t, b, "test", []string{"Happened"}, func(_ context.Context, e bus.Envelope) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.got[e.ID]++
		return nil
	})
	if err := b.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	h.relay = outbox.NewRelay(outbox.NewBoltStore(db), b, time.Hour, zerolog.Nop())
	return h
}

// mustCommit writes events into the outbox as a module's transaction would.
func (h *harness) mustCommit(t *testing.T, events ...bus.Envelope) {
	t.Helper()
	if err := h.db.Update(func(tx *bbolt.Tx) error { return outbox.PutBolt(tx, events...) }); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) delivered(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got[id]
}

func event(t *testing.T) bus.Envelope {
	t.Helper()
	e, err := bus.New(uuid.Must(uuid.NewV7()).String(), "test", "Happened", map[string]int{"n": 1})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func pending(t *testing.T, h *harness) []bus.Envelope {
	t.Helper()
	p, err := outbox.NewBoltStore(h.db).Pending(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFlushPublishesAndForgets(t *testing.T) {
	h := newHarness(t)
	var events []bus.Envelope
	for range 250 { // more than one Flush step
		events = append(events, event(t))
	}
	h.mustCommit(t, events...)
	if err := h.relay.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := pending(t, h); len(p) != 0 {
		t.Fatalf("%d events left in the outbox, want none", len(p))
	}
	bustest.Eventually(t, 10*time.Second, func() bool {
		for _, e := range events {
			if h.delivered(e.ID) == 0 {
				return false
			}
		}
		return true
	}, "not every outbox event was delivered")
}

// TestRefusedEventDoesNotBlockOthers: the local bus refuses an event
// without a source; the events around it still go out, and it stays.
func TestRefusedEventDoesNotBlockOthers(t *testing.T) {
	h := newHarness(t)
	before, bad, after := event(t), event(t), event(t)
	bad.Source = ""
	h.mustCommit(t, before, bad, after)
	if err := h.relay.Flush(context.Background()); err == nil {
		t.Fatal("Flush = nil, want the refusal reported")
	}
	p := pending(t, h)
	if len(p) != 1 || p[0].ID != bad.ID {
		t.Fatalf("outbox holds %v, want only the refused event", p)
	}
	bustest.Eventually(t, 10*time.Second, func() bool {
		return h.delivered(before.ID) == 1 && h.delivered(after.ID) == 1
	}, "the events around the refused one were not delivered")
}

// TestRunRelaysOnNotify: a commit followed by Notify is delivered without
// waiting for the sweep interval (an hour here).
func TestRunRelaysOnNotify(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.relay.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	e := event(t)
	h.mustCommit(t, e)
	h.relay.Notify()
	bustest.Eventually(t, 10*time.Second, func() bool { return h.delivered(e.ID) == 1 }, "event not relayed after Notify")
}
