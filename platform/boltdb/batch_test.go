package boltdb_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/boltdb"
)

var bucket = []byte("b")

func mustOpen(tb testing.TB) *bbolt.DB {
	tb.Helper()
	db, err := boltdb.Open(tb.TempDir(), "t.db", string(bucket))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = boltdb.Close(db) })
	return db
}

func put(k string) func(*bbolt.Tx) error {
	return func(tx *bbolt.Tx) error { return tx.Bucket(bucket).Put([]byte(k), []byte("v")) }
}

func TestBatch(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		db := mustOpen(t)
		const callers = 200
		var commits atomic.Int64
		var wg sync.WaitGroup
		errs := make([]error, callers)
		for i := range callers {
			wg.Go(func() {
				errs[i] = boltdb.Batch(db, func(tx *bbolt.Tx) error {
					tx.OnCommit(func() { commits.Add(1) })
					return put(fmt.Sprint(i))(tx)
				})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("caller %d: %v", i, err)
			}
		}
		n := 0
		if err := db.View(func(tx *bbolt.Tx) error { n = tx.Bucket(bucket).Stats().KeyN; return nil }); err != nil {
			t.Fatal(err)
		}
		if n != callers {
			t.Fatalf("got %d keys, want %d", n, callers)
		}
		// Every caller's fn ran in a committed transaction (OnCommit once per
		// fn that committed, however many transactions they shared).
		if got := commits.Load(); got != callers {
			t.Fatalf("got %d committed fns, want %d", got, callers)
		}
	})

	t.Run("ErrorReachesOnlyItsCaller", func(t *testing.T) {
		db := mustOpen(t)
		boom := errors.New("boom")
		var wg sync.WaitGroup
		errs := make([]error, 50)
		for i := range errs {
			wg.Go(func() {
				errs[i] = boltdb.Batch(db, func(tx *bbolt.Tx) error {
					if err := put(fmt.Sprint(i))(tx); err != nil {
						return err
					}
					if i%7 == 0 {
						return boom
					}
					return nil
				})
			})
		}
		wg.Wait()
		err := db.View(func(tx *bbolt.Tx) error {
			for i, err := range errs {
				stored := tx.Bucket(bucket).Get([]byte(fmt.Sprint(i))) != nil
				switch {
				case i%7 == 0 && (!errors.Is(err, boom) || stored):
					return fmt.Errorf("caller %d: got err %v, stored %v; want boom, nothing stored", i, err, stored)
				case i%7 != 0 && (err != nil || !stored):
					return fmt.Errorf("caller %d: got err %v, stored %v; want nil, stored", i, err, stored)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("PanicRunsAlone", func(t *testing.T) {
		db := mustOpen(t)
		defer func() {
			if recover() == nil {
				t.Fatal("got no panic, want the fn's own")
			}
		}()
		_ = boltdb.Batch(db, func(*bbolt.Tx) error { panic("boom") })
	})

	t.Run("ErrDatabaseNotOpen", func(t *testing.T) {
		db := mustOpen(t)
		if err := boltdb.Close(db); err != nil {
			t.Fatal(err)
		}
		if err := boltdb.Batch(db, put("k")); !errors.Is(err, bbolt.ErrDatabaseNotOpen) {
			t.Fatalf("got %v, want %v", err, bbolt.ErrDatabaseNotOpen)
		}
	})
}

func TestRide(t *testing.T) {
	t.Run("WithTheNextBatch", func(t *testing.T) {
		db := mustOpen(t)
		// The ride's own wait is an hour: returning proves it went with a
		// Batch's commit.
		rode := make(chan error, 1)
		go func() { rode <- boltdb.Ride(db, time.Hour, put("rider")) }()
		for i := 0; ; i++ {
			if err := boltdb.Batch(db, put(fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-rode:
				if err != nil {
					t.Fatal(err)
				}
				mustHave(t, db, "rider")
				return
			default:
			}
		}
	})

	t.Run("Alone", func(t *testing.T) {
		db := mustOpen(t)
		if err := boltdb.Ride(db, time.Millisecond, put("rider")); err != nil {
			t.Fatal(err)
		}
		mustHave(t, db, "rider")
	})

	t.Run("ErrorReachesOnlyTheRider", func(t *testing.T) {
		db := mustOpen(t)
		boom := errors.New("boom")
		rode := make(chan error, 1)
		go func() { rode <- boltdb.Ride(db, time.Hour, func(*bbolt.Tx) error { return boom }) }()
		for i := 0; ; i++ {
			if err := boltdb.Batch(db, put(fmt.Sprint(i))); err != nil {
				t.Fatalf("Batch = %v, want the rider's error kept from it", err)
			}
			select {
			case err := <-rode:
				if !errors.Is(err, boom) {
					t.Fatalf("Ride = %v, want %v", err, boom)
				}
				return
			default:
			}
		}
	})
}

func mustHave(t *testing.T, db *bbolt.DB, k string) {
	t.Helper()
	if err := db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucket).Get([]byte(k)) == nil {
			return fmt.Errorf("key %q not stored", k)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkBatch is 64 writers committing small writes, each durable before
// it returns, through the group commit and through bbolt's DB.Batch (1 ms
// window, as boltdb.Open sets): same run, same disk, so the ratio holds on a
// shared machine. commits/op is the commits per write (two fdatasyncs each).
func BenchmarkBatch(b *testing.B) {
	for _, bc := range []struct {
		name  string
		batch func(*bbolt.DB, func(*bbolt.Tx) error) error
	}{
		{"group", boltdb.Batch},
		{"bbolt", (*bbolt.DB).Batch},
	} {
		b.Run(bc.name, func(b *testing.B) {
			db := mustOpen(b)
			first := txid(b, db)
			var n atomic.Int64
			b.SetParallelism(32) // × GOMAXPROCS writers
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					k := fmt.Sprint(n.Add(1))
					if err := bc.batch(db, put(k)); err != nil {
						b.Error(err)
					}
				}
			})
			b.ReportMetric(float64(txid(b, db)-first)/float64(b.N), "commits/op")
		})
	}
}

// txid is the id of db's last committed transaction: one more per commit.
func txid(tb testing.TB, db *bbolt.DB) int {
	tb.Helper()
	var id int
	if err := db.View(func(tx *bbolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		tb.Fatal(err)
	}
	return id
}
