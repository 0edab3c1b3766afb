package bustest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/bus"
)

const source = "com.swn.bustest"

// sample is the detail the cases publish; it has nesting, a number that is
// not a float and characters JSON encoders like to escape.
type sample struct {
	Seq   int               `json:"seq"`
	Name  string            `json:"name"`
	Cents int64             `json:"cents"`
	Tags  map[string]string `json:"tags"`
}

func testPublishDeliversIntactFields(t *testing.T, s *suite) {
	in := s.open(t)
	rec := newRecorder()
	dt := s.name("Created")
	MustSubscribe(t, in, s.name("sub"), []string{dt}, rec.handle)
	MustStart(t, in)

	var events []bus.Envelope
	for i := range 3 {
		events = append(events, NewEvent(t, source, dt, sample{
			Seq: i, Name: "<Tom & Jerry> ünïcode", Cents: 1999, Tags: map[string]string{"k": "v"},
		}))
	}
	// The W3C trace context travels with the event, when it has one.
	events[0].TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	events[1].TraceParent, events[1].TraceState = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
	MustPublish(t, in, events...)
	ids := idsOf(events)
	s.await(t, func() bool { return rec.delivered(ids...) }, "deliveries of %v", ids)

	for _, want := range events {
		got, _ := rec.first(want.ID)
		if got.ID != want.ID || got.Source != want.Source || got.DetailType != want.DetailType {
			t.Errorf("got id/source/detail-type %q/%q/%q, want %q/%q/%q",
				got.ID, got.Source, got.DetailType, want.ID, want.Source, want.DetailType)
		}
		if got.TraceParent != want.TraceParent || got.TraceState != want.TraceState {
			t.Errorf("event %s: got trace context %q/%q, want %q/%q", want.ID, got.TraceParent, got.TraceState, want.TraceParent, want.TraceState)
		}
		// EventBridge keeps time to the second; no implementation may lose more.
		if d := got.Time.Sub(want.Time); d < -time.Second || d > time.Second {
			t.Errorf("event %s: got time %v, want %v", want.ID, got.Time, want.Time)
		}
		var g, w any
		if err := json.Unmarshal(got.Detail, &g); err != nil {
			t.Fatalf("event %s: detail %q is not JSON: %v", want.ID, got.Detail, err)
		}
		_ = json.Unmarshal(want.Detail, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("event %s: got detail %s, want %s", want.ID, got.Detail, want.Detail)
		}
	}
}

func testEverySubscriptionGetsItsCopy(t *testing.T, s *suite) {
	in := s.open(t)
	a, b := newRecorder(), newRecorder()
	dt := s.name("Checkout")
	MustSubscribe(t, in, s.name("a"), []string{dt}, a.handle)
	MustSubscribe(t, in, s.name("b"), []string{dt}, b.handle)
	MustStart(t, in)

	e := NewEvent(t, source, dt, sample{Seq: 1})
	MustPublish(t, in, e)
	s.await(t, func() bool { return a.delivered(e.ID) }, "subscription a to get %s", e.ID)
	s.await(t, func() bool { return b.delivered(e.ID) }, "subscription b to get %s", e.ID)
}

func testOneSubscriptionManyDetailTypes(t *testing.T, s *suite) {
	in := s.open(t)
	rec := newRecorder()
	x, y := s.name("X"), s.name("Y")
	MustSubscribe(t, in, s.name("sub"), []string{x, y}, rec.handle)
	MustStart(t, in)

	ex, ey := NewEvent(t, source, x, sample{Seq: 1}), NewEvent(t, source, y, sample{Seq: 2})
	MustPublish(t, in, ex, ey)
	s.await(t, func() bool { return rec.delivered(ex.ID, ey.ID) }, "both detail types delivered")
}

func testUnsubscribedDetailTypeNotDelivered(t *testing.T, s *suite) {
	in := s.open(t)
	a, b := newRecorder(), newRecorder()
	x, y := s.name("X"), s.name("Y")
	MustSubscribe(t, in, s.name("a"), []string{x}, a.handle)
	MustSubscribe(t, in, s.name("b"), []string{y}, b.handle)
	MustStart(t, in)

	ey, ex := NewEvent(t, source, y, sample{Seq: 1}), NewEvent(t, source, x, sample{Seq: 2})
	MustPublish(t, in, ey)
	MustPublish(t, in, ex)
	s.await(t, func() bool { return a.delivered(ex.ID) && b.delivered(ey.ID) }, "each subscription to get its own type")
	if n := a.callCount(ey.ID); n != 0 {
		t.Errorf("subscription to %s was called %d times with a %s event, want 0", x, n, y)
	}
	if n := b.callCount(ex.ID); n != 0 {
		t.Errorf("subscription to %s was called %d times with a %s event, want 0", y, n, x)
	}
}

func testRetriedAfterHandlerError(t *testing.T, s *suite) {
	in := s.open(t)
	rec := newRecorder()
	rec.setFail(func(_ bus.Envelope, attempt int) error {
		if attempt <= 2 {
			return errAttempt(attempt)
		}
		return nil
	})
	dt := s.name("Flaky")
	MustSubscribe(t, in, s.name("sub"), []string{dt}, rec.handle)
	MustStart(t, in)

	e := NewEvent(t, source, dt, sample{Seq: 1})
	MustPublish(t, in, e)
	s.await(t, func() bool { return rec.delivered(e.ID) }, "delivery after two failures")
	if got := rec.callCount(e.ID); got < 3 {
		t.Errorf("got %d handler calls, want at least 3", got)
	}
}

func testDeadLetteredAndReplayed(t *testing.T, s *suite) {
	if !s.features.DeadLetterInspection {
		t.Skip("implementation cannot inspect dead letters (Features.DeadLetterInspection)")
	}
	if s.features.MaxAttempts < 1 {
		t.Fatal("Features.MaxAttempts must be set with DeadLetterInspection")
	}
	in := s.open(t)
	dl, ok := in.(DeadLetterer)
	if !ok {
		t.Fatalf("%T does not implement bustest.DeadLetterer", in)
	}
	rec := newRecorder()
	rec.setFail(func(_ bus.Envelope, attempt int) error { return errAttempt(attempt) })
	dt, sub := s.name("Poison"), s.name("sub")
	MustSubscribe(t, in, sub, []string{dt}, rec.handle)
	MustStart(t, in)

	e := NewEvent(t, source, dt, sample{Seq: 1})
	MustPublish(t, in, e)
	ctx := context.Background()
	deadIDs := func() []string {
		ids, err := dl.DeadLetterIDs(ctx, sub)
		if err != nil {
			t.Fatalf("DeadLetterIDs: %v", err)
		}
		return ids
	}
	s.await(t, func() bool { return slices.Contains(deadIDs(), e.ID) }, "event %s dead-lettered", e.ID)
	if got, want := rec.callCount(e.ID), s.features.MaxAttempts; got < want {
		t.Errorf("dead-lettered after %d handler calls, want %d", got, want)
	}

	rec.setFail(nil)
	n, err := dl.ReplayAll(ctx, sub)
	if err != nil {
		t.Fatalf("ReplayAll: %v", err)
	}
	if n != 1 {
		t.Errorf("ReplayAll moved %d dead letters, want 1", n)
	}
	s.await(t, func() bool { return rec.delivered(e.ID) }, "replayed event delivered")
	if ids := deadIDs(); slices.Contains(ids, e.ID) {
		t.Errorf("dead letters after replay: got %v, want without %s", ids, e.ID)
	}
}

func testDeliveredAfterRestart(t *testing.T, s *suite) {
	if !s.features.Restart {
		t.Skip("implementation keeps no state across instances (Features.Restart)")
	}
	dt, sub := s.name("Durable"), s.name("sub")
	first := s.open(t)
	idle := newRecorder()
	MustSubscribe(t, first, sub, []string{dt}, idle.handle)
	e := NewEvent(t, source, dt, sample{Seq: 1})
	// Never started: nothing can be delivered before Close.
	MustPublish(t, first, e)
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	second := s.open(t)
	rec := newRecorder()
	MustSubscribe(t, second, sub, []string{dt}, rec.handle)
	MustStart(t, second)
	s.await(t, func() bool { return rec.delivered(e.ID) }, "event published before restart delivered after it")
}

func testInterruptedEventSurvivesRestart(t *testing.T, s *suite) {
	if !s.features.Restart {
		t.Skip("implementation keeps no state across instances (Features.Restart)")
	}
	dt, sub := s.name("Interrupted"), s.name("sub")
	first := s.open(t)
	entered := make(chan struct{})
	var once sync.Once
	MustSubscribe(t, first, sub, []string{dt}, func(ctx context.Context, _ bus.Envelope) error {
		once.Do(func() { close(entered) })
		<-ctx.Done() // Close cancels running handlers
		return ctx.Err()
	})
	MustStart(t, first)
	e := NewEvent(t, source, dt, sample{Seq: 1})
	MustPublish(t, first, e)
	select {
	case <-entered:
	case <-time.After(s.features.timeout()):
		t.Fatal("handler never called")
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	second := s.open(t)
	rec := newRecorder()
	MustSubscribe(t, second, sub, []string{dt}, rec.handle)
	MustStart(t, second)
	s.await(t, func() bool { return rec.delivered(e.ID) }, "event interrupted by Close delivered after restart")
}

func testConcurrentPublishers(t *testing.T, s *suite) {
	const publishers, perPublisher = 16, 50
	in := s.open(t)
	rec := newRecorder()
	dt := s.name("Burst")
	MustSubscribe(t, in, s.name("sub"), []string{dt}, rec.handle)
	MustStart(t, in)

	ids := make([][]string, publishers)
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := range perPublisher {
				e, err := bus.New(fmt.Sprintf("%s-%d-%d", s.prefix, p, i), source, dt, sample{Seq: p*perPublisher + i})
				if err == nil {
					err = in.Publish(context.Background(), e)
				}
				if err != nil {
					t.Errorf("publisher %d event %d: %v", p, i, err)
					return
				}
				ids[p] = append(ids[p], e.ID)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	all := slices.Concat(ids...)
	s.await(t, func() bool { return rec.delivered(all...) }, "all %d events delivered", len(all))
}

func testCloseWaitsForRunningHandlers(t *testing.T, s *suite) {
	in := s.open(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var finished atomic.Bool
	dt := s.name("Slow")
	MustSubscribe(t, in, s.name("sub"), []string{dt}, func(_ context.Context, _ bus.Envelope) error {
		once.Do(func() { close(entered) })
		<-release
		finished.Store(true)
		return nil
	})
	MustStart(t, in)
	MustPublish(t, in, NewEvent(t, source, dt, sample{Seq: 1}))
	select {
	case <-entered:
	case <-time.After(s.features.timeout()):
		t.Fatal("handler never called")
	}

	closed := make(chan error, 1)
	go func() { closed <- in.Close() }()
	// Give a broken Close a chance to return early; a correct one cannot, so
	// this wait only decides whether a bug gets caught, never a pass.
	select {
	case err := <-closed:
		close(release)
		t.Fatalf("Close returned (err %v) while a handler was still running", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(s.features.timeout()):
		t.Fatal("Close did not return after the handler finished")
	}
	if !finished.Load() {
		t.Error("Close returned before the running handler finished")
	}
}

func idsOf(events []bus.Envelope) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}
