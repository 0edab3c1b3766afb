package outbox_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/boltdb"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/bus/localbus"
	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/platform/testenv"
)

// backend is a real outbox store: a bbolt file or a stream in a DynamoDB
// Local table.
type backend struct {
	name string
	// open returns a way to commit events into a fresh outbox, and a way to
	// open its store, again after a restart.
	open func(t *testing.T) (put func(...bus.Envelope), store func() outbox.Store)
}

var backends = []backend{
	{name: "bolt", open: func(t *testing.T) (func(...bus.Envelope), func() outbox.Store) {
		path := t.TempDir()
		var db *bbolt.DB
		reopen := func() outbox.Store {
			if db != nil {
				if err := db.Close(); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			if db, err = boltdb.Open(path, "module.db", string(outbox.Bucket)); err != nil {
				t.Fatal(err)
			}
			return outbox.NewBoltStore(db)
		}
		reopen()
		t.Cleanup(func() { db.Close() })
		return func(events ...bus.Envelope) {
			if err := db.Update(func(tx *bbolt.Tx) error { return outbox.PutBolt(tx, events...) }); err != nil {
				t.Fatal(err)
			}
		}, reopen
	}},
	{name: "dynamodb", open: func(t *testing.T) (func(...bus.Envelope), func() outbox.Store) {
		db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.DynamoDBEndpoint(t)))
		table := testenv.UniqueName(t, "outbox")
		if err := dynamo.EnsureTable(t.Context(), db, outbox.TableInput(table)); err != nil {
			t.Fatal(err)
		}
		testenv.DeleteTablesAtCleanup(t, db, table)
		s := outbox.NewDynamoStore(db, table, "module")
		return func(events ...bus.Envelope) {
			// A transaction takes 100 items; commit in chunks as a module
			// would across requests.
			for len(events) > 0 {
				n := min(len(events), 100)
				items, err := s.Put(events[:n]...)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.TransactWriteItems(t.Context(), &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
					t.Fatal(err)
				}
				events = events[n:]
			}
		}, func() outbox.Store { return outbox.NewDynamoStore(db, table, "module") }
	}},
}

// forEachBackend runs test over every backend, in parallel.
func forEachBackend(t *testing.T, test func(t *testing.T, put func(...bus.Envelope), store func() outbox.Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			put, store := b.open(t)
			test(t, put, store)
		})
	}
}

// sink is a real local bus whose one subscriber records what it gets,
// behind a gate that refuses the events marked poison, as EventBridge
// refuses an entry it cannot take. The gate is a stand-in: the local bus
// refuses only malformed events, which no later attempt can fix, and these
// tests need a refusal that an operator can lift before a replay.
type sink struct {
	bus    *localbus.Bus
	mu     sync.Mutex
	got    map[string]int
	poison map[string]bool
}

func newSink(t *testing.T) *sink {
	t.Helper()
	b, err := localbus.Open(filepath.Join(t.TempDir(), "bus.db"))
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{bus: b, got: map[string]int{}, poison: map[string]bool{}}
	bustest.MustSubscribe(t, b, "test", []string{"Happened"}, func(_ context.Context, e bus.Envelope) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.got[e.ID]++
		return nil
	})
	if err := b.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return s
}

// errPoison is the gate's refusal.
var errPoison = errors.New("refused on purpose")

// Publish implements bus.Publisher: all or nothing, like the real buses.
func (s *sink) Publish(ctx context.Context, events ...bus.Envelope) error {
	s.mu.Lock()
	for _, e := range events {
		if s.poison[e.ID] {
			s.mu.Unlock()
			return errPoison
		}
	}
	s.mu.Unlock()
	return s.bus.Publish(ctx, events...)
}

func (s *sink) setPoison(on bool, events ...bus.Envelope) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		s.poison[e.ID] = on
	}
}

func (s *sink) delivered(events ...bus.Envelope) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range events {
		if s.got[e.ID] == 0 {
			return false
		}
	}
	return true
}

func (s *sink) count(e bus.Envelope) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got[e.ID]
}

func event(t *testing.T) bus.Envelope {
	t.Helper()
	e, err := bus.New(uuid.Must(uuid.NewV7()).String(), "test", "Happened", map[string]int{"n": 1})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func events(t *testing.T, n int) []bus.Envelope {
	t.Helper()
	out := make([]bus.Envelope, n)
	for i := range out {
		out[i] = event(t)
	}
	return out
}

// newRelay is a relay that never sweeps on its own (the interval is an
// hour) and retries a refused event after a millisecond.
func newRelay(store outbox.Store, pub bus.Publisher, opts ...outbox.Option) *outbox.Relay {
	return outbox.NewRelay(store, pub, time.Hour, zerolog.Nop(),
		append([]outbox.Option{outbox.WithName("module"), outbox.WithBackoff(time.Millisecond, time.Millisecond)}, opts...)...)
}

func mustScan(t *testing.T, s outbox.Store) []outbox.Record {
	t.Helper()
	recs, err := s.Scan(t.Context(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func mustDeadLetters(t *testing.T, r *outbox.Relay) []outbox.DeadLetter {
	t.Helper()
	dls, err := r.DeadLetters(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return dls
}

// runRelay runs r until the test ends.
func runRelay(t *testing.T, r *outbox.Relay) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}
