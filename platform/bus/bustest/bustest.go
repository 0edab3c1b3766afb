// Package bustest is the conformance suite every bus implementation runs:
// it checks the guarantees listed in package bus against a real instance.
//
// An implementation supplies a Factory; each case gets fresh durable state
// from it and opens one or more Instances over that state (more than one to
// test a restart). An in-process bus opens its file again; an AWS adapter's
// Instance is an EventBridge publisher plus SQS consumers, where Subscribe
// means consuming a queue that a rule routes those detail types to.
//
// Every case registers its subscriptions before it publishes, because a bus
// routes at publish time: an event published for a detail type nobody
// subscribed to may be dropped. Subscription names and detail types are
// unique per case, so cases can share infrastructure and run in parallel.
package bustest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/serverless-shop/shop/platform/bus"
)

// Instance is one opened bus: a publisher and subscriber that starts
// delivering on Start and stops on Close. Close cancels the context of
// running handler calls, waits for them to return and must be safe to call
// twice; an event whose handler call was cut short that way is delivered
// again by a later Instance.
type Instance interface {
	bus.Publisher
	bus.Subscriber
	Start(ctx context.Context) error
	Close() error
}

// Harness opens Instances over one durable state: an instance opened after
// another was closed sees the events the first left undelivered.
type Harness interface {
	Open(t *testing.T) Instance
}

// HarnessFunc adapts a function to Harness.
type HarnessFunc func(t *testing.T) Instance

// Open calls f.
func (f HarnessFunc) Open(t *testing.T) Instance { return f(t) }

// Factory returns a Harness over fresh durable state for one case; it should
// release that state with t.Cleanup.
type Factory func(t *testing.T) Harness

// DeadLetterer is implemented by instances whose dead letters the suite can
// inspect and replay (Features.DeadLetterInspection).
type DeadLetterer interface {
	// DeadLetterIDs returns the event IDs dead-lettered for a subscription.
	DeadLetterIDs(ctx context.Context, subscription string) ([]string, error)
	// ReplayAll moves a subscription's dead letters back for delivery and
	// returns how many it moved.
	ReplayAll(ctx context.Context, subscription string) (int, error)
}

// Features says which cases an implementation can run; a case it cannot
// run is skipped with the reason.
type Features struct {
	// Restart: state survives Close, and a new Instance from the same
	// Harness delivers what the old one left.
	Restart bool
	// DeadLetterInspection: Instances implement DeadLetterer.
	DeadLetterInspection bool
	// MaxAttempts is how many handler calls the Factory's instances make
	// before dead-lettering; required with DeadLetterInspection.
	MaxAttempts int
	// Timeout bounds each wait for a delivery; 10s when zero. The factory's
	// retry backoff must be small enough for retries to fit in it.
	Timeout time.Duration
}

func (f Features) timeout() time.Duration {
	if f.Timeout > 0 {
		return f.Timeout
	}
	return 10 * time.Second
}

// Run runs every case the features allow, each as a parallel subtest.
func Run(t *testing.T, f Factory, features Features) {
	t.Helper()
	cases := []struct {
		name string
		run  func(t *testing.T, s *suite)
	}{
		{"PublishDeliversIntactFields", testPublishDeliversIntactFields},
		{"EverySubscriptionGetsItsCopy", testEverySubscriptionGetsItsCopy},
		{"OneSubscriptionManyDetailTypes", testOneSubscriptionManyDetailTypes},
		{"UnsubscribedDetailTypeNotDelivered", testUnsubscribedDetailTypeNotDelivered},
		{"RetriedAfterHandlerError", testRetriedAfterHandlerError},
		{"DeadLetteredAfterMaxAttemptsAndReplayed", testDeadLetteredAndReplayed},
		{"DeliveredAfterRestart", testDeliveredAfterRestart},
		{"InterruptedEventSurvivesRestart", testInterruptedEventSurvivesRestart},
		{"ConcurrentPublishers", testConcurrentPublishers},
		{"CloseWaitsForRunningHandlers", testCloseWaitsForRunningHandlers},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, &suite{h: f(t), features: features, prefix: randomHex(t)})
		})
	}
}

// suite is the per-case state.
type suite struct {
	h        Harness
	features Features
	prefix   string
}

// open opens an Instance that is closed at the end of the case.
func (s *suite) open(t *testing.T) Instance {
	t.Helper()
	in := s.h.Open(t)
	t.Cleanup(func() { _ = in.Close() })
	return in
}

// name returns a subscription name or detail type unique to this case.
func (s *suite) name(kind string) string { return kind + "-" + s.prefix }

// await waits for cond with the features' timeout.
func (s *suite) await(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	Eventually(t, s.features.timeout(), cond, format, args...)
}

// Eventually polls cond until it holds and fails tb if it still does not
// after timeout; the message says what was awaited.
func Eventually(tb testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("not within %v: "+format, append([]any{timeout}, args...)...)
		}
		<-tick.C
	}
}

// MustStart starts in with a context cancelled at the end of the test.
func MustStart(tb testing.TB, in Instance) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	if err := in.Start(ctx); err != nil {
		tb.Fatalf("Start: %v", err)
	}
}

// MustSubscribe registers h or fails tb.
func MustSubscribe(tb testing.TB, in bus.Subscriber, name string, detailTypes []string, h bus.Handler) {
	tb.Helper()
	if err := in.Subscribe(name, detailTypes, h); err != nil {
		tb.Fatalf("Subscribe(%q, %v): %v", name, detailTypes, err)
	}
}

// MustPublish publishes events or fails tb.
func MustPublish(tb testing.TB, p bus.Publisher, events ...bus.Envelope) {
	tb.Helper()
	if err := p.Publish(context.Background(), events...); err != nil {
		tb.Fatalf("Publish: %v", err)
	}
}

// NewEvent returns an envelope with a fresh random ID and the detail
// marshalled from v, or fails tb.
func NewEvent(tb testing.TB, source, detailType string, v any) bus.Envelope {
	tb.Helper()
	e, err := bus.New(randomHex(tb), source, detailType, v)
	if err != nil {
		tb.Fatalf("bus.New: %v", err)
	}
	return e
}

func randomHex(tb testing.TB) string {
	tb.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b[:])
}

// recorder is a handler that records every call and every successful
// delivery by event ID; fail, when set, decides whether an attempt fails.
type recorder struct {
	mu    sync.Mutex
	calls map[string]int
	got   map[string][]bus.Envelope
	fail  func(e bus.Envelope, attempt int) error
}

func newRecorder() *recorder {
	return &recorder{calls: make(map[string]int), got: make(map[string][]bus.Envelope)}
}

func (r *recorder) handle(_ context.Context, e bus.Envelope) error {
	r.mu.Lock()
	r.calls[e.ID]++
	attempt, fail := r.calls[e.ID], r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(e, attempt); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.got[e.ID] = append(r.got[e.ID], e)
	r.mu.Unlock()
	return nil
}

func (r *recorder) setFail(f func(e bus.Envelope, attempt int) error) {
	r.mu.Lock()
	r.fail = f
	r.mu.Unlock()
}

// delivered reports whether every id was handled successfully at least once.
func (r *recorder) delivered(ids ...string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		if len(r.got[id]) == 0 {
			return false
		}
	}
	return true
}

// first returns the first successful delivery of id.
func (r *recorder) first(id string) (bus.Envelope, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got[id]) == 0 {
		return bus.Envelope{}, false
	}
	return r.got[id][0], true
}

func (r *recorder) callCount(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[id]
}

// errAttempt is what failing handlers return.
func errAttempt(attempt int) error {
	return fmt.Errorf("bustest: attempt %d fails on purpose", attempt)
}
