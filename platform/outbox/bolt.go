package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/boltdb"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/eventrec"
)

// Bucket is the bucket name of an outbox inside a module's bbolt file.
var Bucket = []byte("outbox")

// DeadBucket holds the outbox's dead letters, next to Bucket; it is created
// with the first dead letter.
var DeadBucket = []byte("outbox.dead")

// PutBolt writes events into the outbox within tx. Event ids should sort by
// time (UUIDv7) so Pending returns the oldest first.
func PutBolt(tx *bbolt.Tx, events ...bus.Envelope) error {
	b, err := tx.CreateBucketIfNotExists(Bucket)
	if err != nil {
		return err
	}
	for _, e := range events {
		if err := b.Put([]byte(e.ID), encode(Record{Envelope: e})); err != nil {
			return err
		}
	}
	return nil
}

// encode is a waiting event's stored form, the local bus's (eventrec).
func encode(r Record) []byte {
	return eventrec.Record{Envelope: r.Envelope, Attempts: r.Attempts, At: r.NextAt, LastError: r.LastError}.Marshal()
}

// decode reads a waiting event: eventrec's layout, or the JSON of outboxes
// written before it (an envelope with attempt fields beside its own; one
// written before attempts were counted reads as never tried).
func decode(v []byte) (Record, error) {
	var r Record
	if len(v) > 0 && v[0] == '{' {
		err := json.Unmarshal(v, &r)
		return r, err
	}
	er, err := eventrec.Unmarshal(v)
	if err != nil {
		return r, err
	}
	return Record{Envelope: er.Envelope, Attempts: er.Attempts, LastError: er.LastError, NextAt: er.At}, nil
}

// BoltStore is the outbox bucket of a module's bbolt file.
type BoltStore struct{ db *bbolt.DB }

var _ Store = (*BoltStore)(nil)

// NewBoltStore returns the outbox kept in db.
func NewBoltStore(db *bbolt.DB) *BoltStore { return &BoltStore{db: db} }

// Pending implements Store.
func (s *BoltStore) Pending(ctx context.Context, limit int) ([]bus.Envelope, error) {
	recs, err := s.Scan(ctx, "", limit)
	out := make([]bus.Envelope, len(recs))
	for i, r := range recs {
		out[i] = r.Envelope
	}
	return out, err
}

// Scan implements Store.
func (s *BoltStore) Scan(_ context.Context, after string, limit int) ([]Record, error) {
	var out []Record
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(Bucket)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, v := c.Seek([]byte(after))
		if k != nil && after != "" && bytes.Equal(k, []byte(after)) {
			k, v = c.Next()
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			r, err := decode(v)
			if err != nil {
				return fmt.Errorf("outbox event %q: %w", k, err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// removeWait is how long a Remove waits for the module's next write to
// commit with before it commits alone (boltdb.Ride): under load the next
// write is a millisecond away, and a crash in between only means the
// events are published again.
const removeWait = 20 * time.Millisecond

var _ LaterRemover = (*BoltStore)(nil)

// RemovesLater implements LaterRemover: Remove rides the next commit.
func (*BoltStore) RemovesLater() bool { return true }

// Remove implements Store. It shares the next commit of the module's file
// rather than taking one of its own.
func (s *BoltStore) Remove(_ context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	return boltdb.Ride(s.db, removeWait, func(tx *bbolt.Tx) error {
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

// Fail implements Store, in one transaction.
func (s *BoltStore) Fail(_ context.Context, failures ...Failure) error {
	if len(failures) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(Bucket)
		if b == nil {
			return nil
		}
		for _, f := range failures {
			v := b.Get([]byte(f.ID))
			if v == nil {
				continue // published meanwhile by another relay
			}
			r, err := decode(v)
			if err != nil {
				return fmt.Errorf("outbox event %q: %w", f.ID, err)
			}
			r.Attempts, r.LastError, r.NextAt = f.Attempts, f.LastError, f.NextAt
			if f.Dead {
				if err := putDead(tx, deadRecord{Record: r, FailedAt: f.At}); err != nil {
					return err
				}
				if err := b.Delete([]byte(f.ID)); err != nil {
					return err
				}
				continue
			}
			if err := b.Put([]byte(f.ID), encode(r)); err != nil {
				return err
			}
		}
		return nil
	})
}

// putDead keeps a dead letter as JSON: they are few, and read by people.
func putDead(tx *bbolt.Tx, d deadRecord) error {
	dead, err := tx.CreateBucketIfNotExists(DeadBucket)
	if err != nil {
		return err
	}
	val, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return dead.Put([]byte(d.ID), val)
}

// DeadLetters implements Store.
func (s *BoltStore) DeadLetters(_ context.Context, limit int) ([]DeadLetter, error) {
	var out []DeadLetter
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(DeadBucket)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			var d deadRecord
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("outbox dead letter %q: %w", k, err)
			}
			out = append(out, d.letter(""))
		}
		return nil
	})
	return out, err
}

// Revive implements Store, in one transaction.
func (s *BoltStore) Revive(_ context.Context, id *string) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bbolt.Tx) error {
		dead := tx.Bucket(DeadBucket)
		if dead == nil {
			return nil
		}
		var keys [][]byte
		if id != nil {
			if dead.Get([]byte(*id)) != nil {
				keys = append(keys, []byte(*id))
			}
		} else if err := dead.ForEach(func(k, _ []byte) error {
			keys = append(keys, append([]byte(nil), k...))
			return nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			var d deadRecord
			if err := json.Unmarshal(dead.Get(k), &d); err != nil {
				return fmt.Errorf("outbox dead letter %q: %w", k, err)
			}
			if err := PutBolt(tx, d.Envelope); err != nil {
				return err
			}
			if err := dead.Delete(k); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// Stats counts the waiting events and the dead letters, and reads the
// oldest waiting event's time: the first key, since ids sort by time.
func (s *BoltStore) Stats(_ context.Context) (Stats, error) {
	var st Stats
	err := s.db.View(func(tx *bbolt.Tx) error {
		if dead := tx.Bucket(DeadBucket); dead != nil {
			st.DeadLetters = dead.Stats().KeyN
		}
		b := tx.Bucket(Bucket)
		if b == nil {
			return nil
		}
		st.Depth = b.Stats().KeyN
		if _, v := b.Cursor().First(); v != nil {
			r, err := decode(v)
			if err != nil {
				return err
			}
			st.Oldest = r.Time
		}
		return nil
	})
	return st, err
}
