package boltdb

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.etcd.io/bbolt"
)

// MaxBatch caps how many functions one group commit runs, so that one
// transaction's pages stay bounded under a flood of writers.
const MaxBatch = 1000

// Batch runs fn in a write transaction of db that it may share with other
// callers of Batch on the same db, and returns once that transaction has
// been committed (fsynced), with fn's error or the commit's.
//
// It is a group commit: when no commit of db's batches is under way, fn
// commits at once; callers that arrive while one is under way wait for it
// and then share the next. bbolt's own DB.Batch instead always waits its
// MaxBatchDelay for company, and a batch that is waiting for the writer
// lock takes no one in, so on a slow disk many small batches queue behind
// each other: each costs the same fsyncs, so throughput falls with the
// disk's latency. Measured in scripts/perf/write-path.sh (README,
// Performance).
//
// As with DB.Batch, fn may run more than once and must only change state
// through tx; a fn that fails (or panics) is taken out of the shared
// transaction and run again alone, so its error reaches only its caller.
func Batch(db *bbolt.DB, fn func(*bbolt.Tx) error) error {
	g := groupOf(db)
	c := &call{fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	lead := !g.busy
	g.busy = true
	g.mu.Unlock()
	if lead {
		g.run(db)
	}
	for {
		err := <-c.done
		switch err {
		case errLead:
			g.run(db)
		case errSolo:
			return db.Update(fn)
		default:
			return err
		}
	}
}

// Ride runs fn in the next group commit of db that another caller of Batch
// starts, and returns once it has committed; if none starts within wait, it
// commits through Batch itself. It is for writes nobody waits on (a record
// of work done, whose loss to a crash only means the work is done again):
// they then cost no commit of their own, and do not hold the writer lock
// when a write that someone waits on arrives. fn may run more than once,
// as with Batch.
func Ride(db *bbolt.DB, wait time.Duration, fn func(*bbolt.Tx) error) error {
	g := groupOf(db)
	c := &call{fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.riders = append(g.riders, c)
	g.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	var err error
	select {
	case err = <-c.done:
	case <-t.C:
		g.mu.Lock()
		i := slices.Index(g.riders, c)
		if i >= 0 {
			g.riders = slices.Delete(g.riders, i, i+1)
		}
		g.mu.Unlock()
		if i >= 0 {
			return Batch(db, fn)
		}
		err = <-c.done // taken by a commit meanwhile
	}
	if err == errSolo {
		return db.Update(fn)
	}
	return err
}

// Close forgets db's group commit and closes db.
func Close(db *bbolt.DB) error {
	groups.Delete(db)
	return db.Close()
}

var (
	// errLead tells a waiting caller that the commit before it is done and
	// it commits the queue next.
	errLead = errors.New("boltdb: lead the next group commit")
	// errSolo tells a caller that its fn failed in the shared transaction.
	errSolo = errors.New("boltdb: run alone")
)

// groups holds the group commit of each db, so that every package writing
// to one file (a module's store, its outbox) shares its commits.
var groups sync.Map // *bbolt.DB → *group

type call struct {
	fn   func(*bbolt.Tx) error
	done chan error
}

// group is the queue of one db's batched writers. busy is set while one
// caller (the leader) commits; it hands the lead to the first caller queued
// behind it rather than keeping it, so no caller waits for more than the
// commit in progress and its own.
type group struct {
	mu    sync.Mutex
	queue []*call
	busy  bool
	// riders go with the next commit, whoever leads it (Ride).
	riders []*call
}

func groupOf(db *bbolt.DB) *group {
	if g, ok := groups.Load(db); ok {
		return g.(*group)
	}
	g, _ := groups.LoadOrStore(db, &group{})
	return g.(*group)
}

// run commits what is queued (up to MaxBatch), then hands the lead on or
// clears busy.
func (g *group) run(db *bbolt.DB) {
	g.mu.Lock()
	n := min(len(g.queue), MaxBatch)
	calls := append(append(make([]*call, 0, n+len(g.riders)), g.queue[:n]...), g.riders...)
	g.queue = append(g.queue[:0], g.queue[n:]...)
	g.riders = nil
	g.mu.Unlock()

	commit(db, calls)

	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].done <- errLead
	} else {
		g.busy = false
	}
	g.mu.Unlock()
}

// commit runs calls in one transaction, taking out each one that fails
// (bbolt's DB.Batch does the same), and tells every caller its outcome.
func commit(db *bbolt.DB, calls []*call) {
	for len(calls) > 0 {
		failed := -1
		err := db.Update(func(tx *bbolt.Tx) error {
			for i, c := range calls {
				if err := safely(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			calls[failed].done <- errSolo
			calls = append(calls[:failed], calls[failed+1:]...)
			continue
		}
		for _, c := range calls {
			c.done <- err
		}
		return
	}
}

func safely(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return fn(tx)
}
