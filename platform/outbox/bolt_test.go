package outbox_test

import (
	"bytes"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/serverless-shop/shop/platform/boltdb"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/outbox"
)

func openBolt(t *testing.T) *bbolt.DB {
	t.Helper()
	db, err := boltdb.Open(t.TempDir(), "module.db", string(outbox.Bucket))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestBoltKeepsDetailBytes: the detail is published byte for byte as the
// module wrote it (JSON, which the outbox stored until it took the local
// bus's layout, would have compacted it and escaped its <, > and &).
func TestBoltKeepsDetailBytes(t *testing.T) {
	db := openBolt(t)
	e := bus.Envelope{ID: "01935c2e-7d1a-7c3e-9a4b-5d6e7f809123", Source: "s", DetailType: "d",
		Time: time.Date(2026, 11, 29, 8, 0, 0, 1, time.FixedZone("", -60)), Detail: []byte(`{ "name": "<&>" }`)}
	if err := db.Update(func(tx *bbolt.Tx) error { return outbox.PutBolt(tx, e) }); err != nil {
		t.Fatal(err)
	}
	recs, err := outbox.NewBoltStore(db).Scan(t.Context(), "", 10)
	if err != nil || len(recs) != 1 {
		t.Fatalf("Scan: %d records, %v; want 1", len(recs), err)
	}
	got := recs[0].Envelope
	if !bytes.Equal(got.Detail, e.Detail) || !got.Time.Equal(e.Time) || got.Time.Location().String() != e.Time.Location().String() {
		t.Fatalf("got %+v, want %+v", got, e)
	}
}

// TestBoltReadsJSONRecords: events an older shop left waiting, as JSON, are
// still published, and a refused one keeps its attempts.
func TestBoltReadsJSONRecords(t *testing.T) {
	db := openBolt(t)
	old := []byte(`{"id":"a","source":"s","detail-type":"d","time":"2026-11-29T08:00:00Z","detail":{"x":1},"outbox_attempts":2}`)
	if err := db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(outbox.Bucket).Put([]byte("a"), old) }); err != nil {
		t.Fatal(err)
	}
	s := outbox.NewBoltStore(db)
	recs, err := s.Scan(t.Context(), "", 10)
	if err != nil || len(recs) != 1 || recs[0].ID != "a" || recs[0].Attempts != 2 || string(recs[0].Detail) != `{"x":1}` {
		t.Fatalf("Scan: got %+v, %v; want event a after 2 attempts", recs, err)
	}
	next := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	if err := s.Fail(t.Context(), outbox.Failure{ID: "a", Attempts: 3, LastError: "no", NextAt: next}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(t.Context())
	if err != nil || st.Depth != 1 || !st.Oldest.Equal(time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("Stats: got %+v, %v", st, err)
	}
	recs, err = s.Scan(t.Context(), "", 10)
	if err != nil || len(recs) != 1 || recs[0].Attempts != 3 || recs[0].LastError != "no" || !recs[0].NextAt.Equal(next) {
		t.Fatalf("Scan after Fail: got %+v, %v", recs, err)
	}
}
