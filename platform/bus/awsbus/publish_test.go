package awsbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/awsbus"
	"github.com/serverless-shop/shop/platform/bus/awsbus/ebtest"
	"github.com/serverless-shop/shop/platform/bus/bustest"
)

func TestPublish(t *testing.T) {
	e := MustEnv(t)
	ctx := context.Background()

	t.Run("BatchesOfTen", func(t *testing.T) {
		b := e.MustBus(t, awsbus.Options{})
		before := len(e.eb.Calls())
		var events []bus.Envelope
		for i := range 25 {
			events = append(events, bustest.NewEvent(t, "s", "BatchesOfTen", map[string]int{"seq": i}))
		}
		bustest.MustPublish(t, b, events...)
		var sizes []int
		for _, call := range e.eb.Calls()[before:] {
			sizes = append(sizes, len(call))
		}
		if want := []int{10, 10, 5}; !slices.Equal(sizes, want) {
			t.Errorf("got PutEvents calls of %v entries, want %v", sizes, want)
		}
		got := e.eb.Calls()[before][0]
		if got.EventBusName != testBus || got.Source != "s" || got.DetailType != "BatchesOfTen" ||
			got.Detail != string(events[0].Detail) || got.Time == nil || !slices.Contains(got.Resources, awsbus.IDResourcePrefix+events[0].ID) {
			t.Errorf("got entry %+v, want bus %s, the envelope's fields and its ID as a resource", got, testBus)
		}
	})

	t.Run("BatchesWithinRequestSize", func(t *testing.T) {
		b := e.MustBus(t, awsbus.Options{})
		before := len(e.eb.Calls())
		big := map[string]string{"pad": strings.Repeat("x", 100*1024)}
		var events []bus.Envelope
		for range 3 {
			events = append(events, bustest.NewEvent(t, "s", "Big", big))
		}
		bustest.MustPublish(t, b, events...)
		if n := len(e.eb.Calls()) - before; n != 2 {
			t.Errorf("three 100 KiB events took %d PutEvents calls, want 2", n)
		}
	})

	t.Run("PartialFailureRetried", func(t *testing.T) {
		dt := "Partial"
		q := e.MustQueue(t, dt)
		obs := bustest.NewObserver()
		b := e.MustBus(t, awsbus.Options{PublishBackoffBase: time.Millisecond, PublishBackoffMax: 10 * time.Millisecond, Observer: obs})
		throttled, flaky, rejected, fine := bustest.NewEvent(t, "s", dt, map[string]int{"n": 1}),
			bustest.NewEvent(t, "s", dt, map[string]int{"n": 2}),
			bustest.NewEvent(t, "s", dt, map[string]int{"n": 3}),
			bustest.NewEvent(t, "s", dt, map[string]int{"n": 4})
		e.eb.Fail("ThrottlingException", 2, hasID(throttled.ID))
		e.eb.Fail("InternalFailure", 1, hasID(flaky.ID))
		e.eb.Fail("InvalidArgument", -1, hasID(rejected.ID))

		err := b.Publish(ctx, throttled, flaky, rejected, fine)
		failed := entryErrors(err)
		if len(failed) != 1 || failed[0].EventID != rejected.ID || failed[0].Code != "InvalidArgument" || failed[0].Attempts != 1 {
			t.Fatalf("got error %v, want exactly event %s rejected with InvalidArgument on the first attempt", err, rejected.ID)
		}
		if published, _, _, _ := obs.Counts(dt, ""); published != 3 {
			t.Errorf("observer told of %d published events, want the 3 accepted", published)
		}
		for id, want := range map[string]int{throttled.ID: 3, flaky.ID: 2, rejected.ID: 1, fine.ID: 1} {
			if got := sent(e.eb, id); got != want {
				t.Errorf("event %s sent %d times, want %d", id, got, want)
			}
		}

		rec := newRecorder()
		cons := e.MustBus(t, awsbus.Options{Queues: map[string]string{"sub": q.URL}, Poll: true})
		bustest.MustSubscribe(t, cons, "sub", []string{dt}, rec.handle)
		bustest.MustStart(t, cons)
		bustest.Eventually(t, 30*time.Second, func() bool { return rec.has(throttled.ID, flaky.ID, fine.ID) }, "accepted events delivered")
		if rec.has(rejected.ID) {
			t.Errorf("rejected event %s was delivered", rejected.ID)
		}
	})

	t.Run("RetryableGivesUp", func(t *testing.T) {
		b := e.MustBus(t, awsbus.Options{PublishMaxAttempts: 3, PublishBackoffBase: time.Millisecond, PublishBackoffMax: time.Millisecond})
		ev := bustest.NewEvent(t, "s", "GivesUp", map[string]int{"n": 1})
		e.eb.Fail("ThrottlingException", -1, hasID(ev.ID))
		failed := entryErrors(b.Publish(ctx, ev))
		if len(failed) != 1 || failed[0].Code != "ThrottlingException" || failed[0].Attempts != 3 {
			t.Fatalf("got %+v, want one ThrottlingException after 3 attempts", failed)
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		b := e.MustBus(t, awsbus.Options{})
		before := len(e.eb.Calls())
		good := bustest.NewEvent(t, "s", "Invalid", map[string]int{"n": 1})
		for name, tc := range map[string]struct {
			mutate func(*bus.Envelope)
			is     error
		}{
			"NoID":         {func(e *bus.Envelope) { e.ID = "" }, nil},
			"IDTooLong":    {func(e *bus.Envelope) { e.ID = strings.Repeat("x", awsbus.MaxResourceLen) }, nil},
			"NoSource":     {func(e *bus.Envelope) { e.Source = "" }, nil},
			"NoDetailType": {func(e *bus.Envelope) { e.DetailType = "" }, nil},
			"NotAnObject":  {func(e *bus.Envelope) { e.Detail = json.RawMessage(`[1]`) }, nil},
			"BadJSON":      {func(e *bus.Envelope) { e.Detail = json.RawMessage(`{`) }, nil},
			"TooLarge": {func(e *bus.Envelope) {
				e.Detail, _ = json.Marshal(map[string]string{"pad": strings.Repeat("x", awsbus.MaxEntrySize)})
			}, awsbus.ErrEntryTooLarge},
		} {
			ev := good
			tc.mutate(&ev)
			err := b.Publish(ctx, good, ev)
			if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Errorf("%s: got error %v, want %v", name, err, tc.is)
			}
		}
		if n := len(e.eb.Calls()) - before; n != 0 {
			t.Errorf("invalid batches made %d PutEvents calls, want none", n)
		}
	})

	t.Run("ErrClosed", func(t *testing.T) {
		b := e.MustBus(t, awsbus.Options{})
		_ = b.Close()
		if err := b.Publish(ctx, bustest.NewEvent(t, "s", "Closed", 1)); !errors.Is(err, awsbus.ErrClosed) {
			t.Errorf("Publish after Close: got %v, want ErrClosed", err)
		}
	})
}

// hasID matches the entries that carry the envelope ID id.
func hasID(id string) func(ebtest.Entry) bool {
	return func(e ebtest.Entry) bool { return slices.Contains(e.Resources, awsbus.IDResourcePrefix+id) }
}

// sent counts how many times the stand-in received the event id.
func sent(s *ebtest.Server, id string) int {
	n := 0
	for _, call := range s.Calls() {
		for _, e := range call {
			if hasID(id)(e) {
				n++
			}
		}
	}
	return n
}

// entryErrors returns every *awsbus.EntryError joined into err.
func entryErrors(err error) []*awsbus.EntryError {
	var out []*awsbus.EntryError
	var walk func(error)
	walk = func(err error) {
		if ee, ok := err.(*awsbus.EntryError); ok {
			out = append(out, ee)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}

// recorder records the envelopes a handler saw, by ID.
type recorder struct {
	mu  sync.Mutex
	got map[string][]bus.Envelope
}

func newRecorder() *recorder { return &recorder{got: map[string][]bus.Envelope{}} }

func (r *recorder) handle(_ context.Context, e bus.Envelope) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got[e.ID] = append(r.got[e.ID], e)
	return nil
}

func (r *recorder) has(ids ...string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		if len(r.got[id]) == 0 {
			return false
		}
	}
	return true
}
