package boltdb_test

import (
	"testing"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/boltdb"
)

// txID is the id of the file's last committed transaction.
func txID(tb testing.TB, db *bbolt.DB) (id int) {
	tb.Helper()
	if err := db.View(func(tx *bbolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		tb.Fatal(err)
	}
	return id
}

// TestOpenWritesOnlyWhatIsMissing: reopening a file that has its buckets
// commits nothing (a commit is two fdatasyncs on every start); a bucket
// that is missing is still created.
func TestOpenWritesOnlyWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	reopen := func(buckets ...string) (*bbolt.DB, int) {
		db, err := boltdb.Open(dir, "t.db", buckets...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db, txID(t, db)
	}
	db, created := reopen("a", "b")
	db.Close()

	t.Run("OK", func(t *testing.T) {
		db, got := reopen("a", "b")
		defer db.Close()
		if got != created {
			t.Fatalf("reopened at transaction %d, want %d: reopening wrote", got, created)
		}
	})
	t.Run("MissingBucket", func(t *testing.T) {
		db, got := reopen("a", "b", "c")
		defer db.Close()
		if got != created+1 {
			t.Fatalf("transaction %d, want %d", got, created+1)
		}
		if err := db.View(func(tx *bbolt.Tx) error {
			if tx.Bucket([]byte("c")) == nil {
				t.Fatal("bucket c was not created")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}
