// Package boltdb opens the embedded bbolt files each module keeps its table in.
package boltdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"
)

// Open opens (creating if needed) dir/name with the given top-level buckets.
// Every committed transaction is fsynced: a crash after a commit loses nothing.
func Open(dir, name string, buckets ...string) (*bbolt.DB, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, name)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return nil, OpenError(path, err)
	}
	// Batches of concurrent writes share one commit and one fsync.
	db.MaxBatchDelay = time.Millisecond
	err = EnsureBuckets(db, buckets...)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init %s: %w", path, err)
	}
	return db, nil
}

// EnsureBuckets creates the top-level buckets of names that db lacks. A file
// that has them all is only read: a write transaction, even one that
// changes nothing, commits with two fdatasyncs, which every start of the
// shop paid for each of its files (a third of its start on an idle disk).
func EnsureBuckets(db *bbolt.DB, names ...string) error {
	missing := false
	if err := db.View(func(tx *bbolt.Tx) error {
		for _, n := range names {
			missing = missing || tx.Bucket([]byte(n)) == nil
		}
		return nil
	}); err != nil || !missing {
		return err
	}
	return db.Update(func(tx *bbolt.Tx) error {
		for _, n := range names {
			if _, err := tx.CreateBucketIfNotExists([]byte(n)); err != nil {
				return err
			}
		}
		return nil
	})
}

// OpenError explains a failed bbolt.Open of path; a lock timeout means
// another process has the file open.
func OpenError(path string, err error) error {
	if errors.Is(err, bbolt.ErrTimeout) {
		return fmt.Errorf("open %s: locked by another process (is another shop running on this SHOP_DATA_DIR?)", path)
	}
	return fmt.Errorf("open %s: %w", path, err)
}
