package outbox

import (
	"context"
	"encoding/json"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/bus"
)

// Bucket is the bucket name of an outbox inside a module's bbolt file.
var Bucket = []byte("outbox")

// PutBolt writes events into the outbox within tx. Event ids should sort by
// time (UUIDv7) so Pending returns the oldest first.
func PutBolt(tx *bbolt.Tx, events ...bus.Envelope) error {
	b, err := tx.CreateBucketIfNotExists(Bucket)
	if err != nil {
		return err
	}
	for _, e := range events {
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(e.ID), v); err != nil {
			return err
		}
	}
	return nil
}

// BoltStore is the outbox bucket of a module's bbolt file.
type BoltStore struct{ db *bbolt.DB }

var _ Store = (*BoltStore)(nil)

// NewBoltStore returns the outbox kept in db.
func NewBoltStore(db *bbolt.DB) *BoltStore { return &BoltStore{db: db} }

// Pending implements Store.
func (s *BoltStore) Pending(_ context.Context, limit int) ([]bus.Envelope, error) {
	var out []bus.Envelope
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(Bucket)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			var e bus.Envelope
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Remove implements Store.
func (s *BoltStore) Remove(_ context.Context, ids ...string) error {
	return s.db.Batch(func(tx *bbolt.Tx) error {
		b := tx.Bucket(Bucket)
		if b == nil {
			return nil
		}
		for _, id := range ids {
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Stats counts the waiting events and reads the oldest one's time: the
// first key, since ids sort by time.
func (s *BoltStore) Stats(_ context.Context) (Stats, error) {
	var st Stats
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(Bucket)
		if b == nil {
			return nil
		}
		st.Depth = b.Stats().KeyN
		if _, v := b.Cursor().First(); v != nil {
			var e bus.Envelope
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			st.Oldest = e.Time
		}
		return nil
	})
	return st, err
}
