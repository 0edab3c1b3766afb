package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/boltdb"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/platform/testenv"
)

// statsBackend is an outbox that can be written to and counted.
type statsBackend struct {
	name string
	open func(t *testing.T) (put func(...bus.Envelope), s statter)
}

type statter interface {
	outbox.Store
	Stats(ctx context.Context) (outbox.Stats, error)
}

var statsBackends = []statsBackend{
	{name: "bolt", open: func(t *testing.T) (func(...bus.Envelope), statter) {
		db, err := boltdb.Open(t.TempDir(), "module.db")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return func(events ...bus.Envelope) {
			if err := db.Update(func(tx *bbolt.Tx) error { return outbox.PutBolt(tx, events...) }); err != nil {
				t.Fatal(err)
			}
		}, outbox.NewBoltStore(db)
	}},
	{name: "dynamodb", open: func(t *testing.T) (func(...bus.Envelope), statter) {
		db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.DynamoDBEndpoint(t)))
		table := testenv.UniqueName(t, "outbox")
		if err := dynamo.EnsureTable(t.Context(), db, outbox.TableInput(table)); err != nil {
			t.Fatal(err)
		}
		// The emulator is shared: leave no table behind.
		testenv.DeleteTablesAtCleanup(t, db, table)
		s := outbox.NewDynamoStore(db, table, "stats")
		// Another module's stream in the same table must not be counted.
		other := outbox.NewDynamoStore(db, table, "other")
		put := func(s *outbox.DynamoStore, events ...bus.Envelope) {
			items, err := s.Put(events...)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.TransactWriteItems(t.Context(), &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
				t.Fatal(err)
			}
		}
		put(other, event(t))
		return func(events ...bus.Envelope) { put(s, events...) }, s
	}},
}

// TestStats checks an outbox's depth and oldest event as the relay drains it.
func TestStats(t *testing.T) {
	for _, b := range statsBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			put, s := b.open(t)
			ctx := t.Context()
			mustStats := func(wantDepth int, wantOldest time.Time) {
				t.Helper()
				got, err := s.Stats(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got.Depth != wantDepth || !got.Oldest.Equal(wantOldest) {
					t.Errorf("Stats = %d, %v; want %d, %v", got.Depth, got.Oldest, wantDepth, wantOldest)
				}
			}
			mustStats(0, time.Time{})

			first, second := event(t), event(t)
			first.Time = time.Now().Add(-time.Minute).UTC().Truncate(time.Millisecond)
			put(first)
			put(second)
			mustStats(2, first.Time)

			if err := s.Remove(ctx, first.ID); err != nil {
				t.Fatal(err)
			}
			mustStats(1, second.Time)
			if err := s.Remove(ctx, second.ID); err != nil {
				t.Fatal(err)
			}
			mustStats(0, time.Time{})
		})
	}
}
