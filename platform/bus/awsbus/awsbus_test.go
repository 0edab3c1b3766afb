package awsbus_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/awsbus"
	"github.com/serverless-shop/shop/platform/bus/awsbus/ebtest"
	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/testenv"
)

// testBus is the EventBridge bus name the tests publish to.
const testBus = "TestBus"

// testQueue is the queue shape of the tests: failed messages come back
// after a second, and the fifth receive moves one to the DLQ.
var testQueue = ebtest.QueueConfig{VisibilityTimeout: 1, MaxReceiveCount: 5}

// env is the SQS emulator plus an EventBridge stand-in forwarding to it.
type env struct {
	cfg aws.Config
	sqs *sqs.Client
	eb  *ebtest.Server
}

// MustEnv connects to the SQS emulator (skipping the test without it) and
// starts an EventBridge stand-in.
func MustEnv(tb testing.TB) env {
	tb.Helper()
	cfg := testenv.AWSConfig(tb, testenv.SQSEndpoint(tb))
	client := sqs.NewFromConfig(cfg)
	return env{cfg: cfg, sqs: client, eb: ebtest.New(tb, client)}
}

// MustQueue creates a test queue (with DLQ) that the stand-in fills with
// the given detail types.
func (e env) MustQueue(tb testing.TB, detailTypes ...string) ebtest.Queue {
	tb.Helper()
	q := ebtest.MustCreateQueue(tb, e.sqs, testenv.UniqueName(tb, "bus"), testQueue)
	e.eb.AddRule(ebtest.Rule{EventBusName: testBus, DetailTypes: detailTypes, QueueURL: q.URL})
	return q
}

// MustBus opens a bus aimed at the emulator and the stand-in and closes it
// when the test ends.
func (e env) MustBus(tb testing.TB, opts awsbus.Options) *awsbus.Bus {
	tb.Helper()
	opts.EventBusName = testBus
	opts.EventBridgeOptions = append(opts.EventBridgeOptions, e.eb.ClientOptions)
	b, err := awsbus.New(e.cfg, opts)
	if err != nil {
		tb.Fatalf("awsbus.New: %v", err)
	}
	tb.Cleanup(func() { _ = b.Close() })
	return b
}

func TestConformance(t *testing.T) {
	testenv.SQSEndpoint(t)
	bustest.Run(t, func(t *testing.T) bustest.Harness {
		return &harness{env: MustEnv(t), t: t, queues: map[string]string{}}
	}, bustest.Features{
		// Queues keep messages across instances; dead letters sit in an SQS
		// DLQ that only the queue's owner (ops, redrive) inspects and
		// replays, so the bus has no DeadLetterer (TestPoisonMessagesEndInDLQ
		// covers the DLQ instead).
		Restart: true,
		Timeout: 30 * time.Second,
	})
}

// harness provisions what deploy does in production: per subscription a
// queue with a DLQ and a rule routing its detail types there. Queues
// outlive instances, which is what Restart needs.
type harness struct {
	env env
	t   *testing.T

	mu     sync.Mutex
	queues map[string]string
}

func (h *harness) Open(t *testing.T) bustest.Instance {
	return &instance{h: h, pub: h.env.MustBus(t, awsbus.Options{})}
}

func (h *harness) queue(name string, detailTypes []string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if u, ok := h.queues[name]; ok {
		return u
	}
	u := h.env.MustQueue(h.t, detailTypes...).URL
	h.queues[name] = u
	return u
}

// instance publishes through one Bus and, since a Bus takes its queues at
// New and the suite names subscriptions only as it goes, consumes through
// a second Bus built on Start from the queues subscribed to by then.
type instance struct {
	h   *harness
	pub *awsbus.Bus

	mu     sync.Mutex
	queues map[string]string
	subs   []func(*awsbus.Bus) error
	cons   *awsbus.Bus
}

func (in *instance) Publish(ctx context.Context, events ...bus.Envelope) error {
	return in.pub.Publish(ctx, events...)
}

func (in *instance) Subscribe(name string, detailTypes []string, h bus.Handler) error {
	u := in.h.queue(name, detailTypes)
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.queues == nil {
		in.queues = map[string]string{}
	}
	in.queues[name] = u
	in.subs = append(in.subs, func(b *awsbus.Bus) error { return b.Subscribe(name, detailTypes, h) })
	return nil
}

func (in *instance) Start(ctx context.Context) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cons != nil {
		return awsbus.ErrStarted
	}
	opts := awsbus.Options{EventBusName: testBus, Queues: in.queues, Poll: true}
	opts.EventBridgeOptions = []func(*eventbridge.Options){in.h.env.eb.ClientOptions}
	b, err := awsbus.New(in.h.env.cfg, opts)
	if err != nil {
		return err
	}
	for _, sub := range in.subs {
		if err := sub(b); err != nil {
			return err
		}
	}
	in.cons = b
	return b.Start(ctx)
}

func (in *instance) Close() error {
	in.mu.Lock()
	cons := in.cons
	in.mu.Unlock()
	var err error
	if cons != nil {
		err = cons.Close()
	}
	return errors.Join(err, in.pub.Close())
}
