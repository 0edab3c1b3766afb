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
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range buckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init %s: %w", path, err)
	}
	return db, nil
}

// OpenError explains a failed bbolt.Open of path; a lock timeout means
// another process has the file open.
func OpenError(path string, err error) error {
	if errors.Is(err, bbolt.ErrTimeout) {
		return fmt.Errorf("open %s: locked by another process (is another shop running on this SHOP_DATA_DIR?)", path)
	}
	return fmt.Errorf("open %s: %w", path, err)
}
