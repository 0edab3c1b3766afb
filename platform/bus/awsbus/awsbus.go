// Package awsbus implements the bus contract on AWS: Publish sends events to
// an EventBridge bus with PutEvents, and each subscription consumes the SQS
// queue that an EventBridge rule routes its detail types to, either by long
// polling (containers, local runs) or through SQSEventHandler, the HTTP
// pass-through path of the Lambda Web Adapter (Lambda).
//
// Routing is the rules' job, not this package's: Subscribe only attaches a
// handler to the queue configured for the subscription name. Redelivery is
// SQS's: a message whose handler fails is not deleted and reappears after
// the queue's visibility timeout (a fixed delay, not an exponential backoff),
// and after the queue's maxReceiveCount its redrive policy moves it to the
// dead-letter queue. The consumer never re-sends or dead-letters on its own.
//
// Event IDs: EventBridge assigns every event its own id. Publish keeps the
// detail untouched and carries the envelope's ID as a resource
// (IDResourcePrefix + ID), and the consumer restores Envelope.ID from it; an
// event published by anything else arrives with EventBridge's id as its ID.
// Time survives to the second, as EventBridge keeps it.
package awsbus

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/serverless-shop/shop/platform/bus"
)

// IDResourcePrefix prefixes the entry of an event's resources that carries
// the envelope ID through EventBridge.
const IDResourcePrefix = "urn:shop:event-id:"

// TraceParentResourcePrefix and TraceStateResourcePrefix prefix the entries
// of an event's resources that carry its W3C trace context (Envelope
// TraceParent and TraceState) through EventBridge and SQS, beside the
// detail, which stays the producer's schema.
const (
	TraceParentResourcePrefix = "urn:shop:traceparent:"
	TraceStateResourcePrefix  = "urn:shop:tracestate:"
)

// Errors returned by Bus methods.
var (
	// ErrClosed is returned by methods called after Close.
	ErrClosed = errors.New("awsbus: closed")
	// ErrStarted is returned by Subscribe and Start once Start has run.
	ErrStarted = errors.New("awsbus: already started")
	// ErrNoQueue is returned by Subscribe, when polling, for a subscription
	// name that Options.Queues does not map to a queue.
	ErrNoQueue = errors.New("awsbus: no queue configured for subscription")
)

// eventBridgeAPI is the part of the EventBridge client Publish uses.
type eventBridgeAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// sqsAPI is the part of the SQS client the pollers use.
type sqsAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// Bus publishes to EventBridge and consumes SQS queues. Create it with New,
// register handlers with Subscribe, then call Start; Close stops it.
type Bus struct {
	opts Options
	eb   eventBridgeAPI
	sqs  sqsAPI

	// stop is cancelled by Close (or when Start's context ends); every
	// handler call's context derives from it.
	stop     context.Context
	stopFunc context.CancelFunc

	// mu guards subs, started and closed; wg counts pollers and HTTP batches,
	// and is only added to under mu while not closed, so Close's Wait cannot
	// race an Add.
	mu      sync.RWMutex
	subs    map[string]*subscription
	started bool
	closed  bool
	wg      sync.WaitGroup
}

var (
	_ bus.Publisher  = (*Bus)(nil)
	_ bus.Subscriber = (*Bus)(nil)
)

// subscription is one handler bound to one queue.
type subscription struct {
	name     string
	queueURL string // empty when not polling and no queue was configured
	types    map[string]bool
	handler  bus.Handler
}

// New returns a Bus using cfg for both services, after applying defaults to
// opts and validating them.
func New(cfg aws.Config, opts Options) (*Bus, error) {
	opts.SetDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	stop, stopFunc := context.WithCancel(context.Background())
	return &Bus{
		opts:     opts,
		eb:       eventbridge.NewFromConfig(cfg, opts.EventBridgeOptions...),
		sqs:      sqs.NewFromConfig(cfg, opts.SQSOptions...),
		stop:     stop,
		stopFunc: stopFunc,
		subs:     make(map[string]*subscription),
	}, nil
}

// Subscribe attaches h to the queue Options.Queues names for name, for
// messages whose detail type is one of detailTypes. It must be called before
// Start, once per name. Without polling a name needs no queue: the Lambda
// handler then finds the subscription by detail type.
func (b *Bus) Subscribe(name string, detailTypes []string, h bus.Handler) error {
	if name == "" || len(detailTypes) == 0 || h == nil {
		return errors.New("awsbus: subscribe needs a name, detail types and a handler")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return ErrClosed
	case b.started:
		return ErrStarted
	case b.subs[name] != nil:
		return fmt.Errorf("awsbus: subscription %q already registered", name)
	}
	queueURL := b.opts.Queues[name]
	if queueURL == "" && b.opts.Poll {
		return fmt.Errorf("%w %q (Options.Queues)", ErrNoQueue, name)
	}
	s := &subscription{name: name, queueURL: queueURL, types: make(map[string]bool, len(detailTypes)), handler: h}
	for _, dt := range detailTypes {
		s.types[dt] = true
	}
	b.subs[name] = s
	return nil
}

// Start starts one long-polling consumer per subscription when Options.Poll
// is set, and does nothing else otherwise. Consumers stop when ctx ends or
// Close is called.
func (b *Bus) Start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	if b.started {
		return ErrStarted
	}
	b.started = true
	context.AfterFunc(ctx, b.stopFunc)
	if !b.opts.Poll {
		return nil
	}
	for _, s := range b.subs {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.poll(s)
		}()
	}
	return nil
}

// Close stops polling, cancels the context of running handler calls and
// waits for them to return; messages of calls that succeed are still
// deleted, the others reappear on their queue. It is safe to call twice.
func (b *Bus) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.stopFunc()
	b.wg.Wait()
	return nil
}

// track registers one unit of consumer work with Close, or reports that the
// bus is closed.
func (b *Bus) track() bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return false
	}
	b.wg.Add(1)
	return true
}

// subscriptions returns a snapshot of the registered subscriptions.
func (b *Bus) subscriptions() []*subscription {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]*subscription, 0, len(b.subs))
	for _, s := range b.subs {
		out = append(out, s)
	}
	return out
}
