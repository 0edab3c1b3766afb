package awsbus

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/bus"
	// Aliased: "events" is the usual name of aws-lambda-go's event types.
	shopevents "github.com/serverless-shop/shop/platform/events"
)

// Defaults applied by Options.SetDefaults.
const (
	DefaultEventBusName       = shopevents.EventBusName
	DefaultWaitTimeSeconds    = 20
	DefaultMaxMessages        = 10
	DefaultHandlerTimeout     = 30 * time.Second
	DefaultPublishMaxAttempts = 5
	DefaultPublishBackoffBase = 100 * time.Millisecond
	DefaultPublishBackoffMax  = 5 * time.Second
	DefaultLambdaWorkers      = 10
)

// Options configure a Bus. The zero value plus SetDefaults is a publisher on
// the default bus with no subscriptions.
type Options struct {
	// EventBusName is the EventBridge bus Publish writes to.
	EventBusName string
	// Queues maps a subscription name to the URL of the SQS queue that an
	// EventBridge rule fills with that subscription's detail types.
	Queues map[string]string
	// Poll starts one long-polling consumer per subscription on Start. Off
	// on Lambda, where batches arrive through SQSEventHandler instead.
	Poll bool
	// WaitTimeSeconds is the ReceiveMessage long-poll wait (0–20).
	WaitTimeSeconds int32
	// MaxMessages is how many messages one ReceiveMessage asks for (1–10);
	// they are handled concurrently.
	MaxMessages int32
	// HandlerTimeout bounds one handler call. Keep it below the queue's
	// visibility timeout, or a slow handler's message is delivered twice.
	HandlerTimeout time.Duration
	// PublishMaxAttempts is how many times an entry that EventBridge fails
	// with a retryable code is sent before Publish reports it.
	PublishMaxAttempts int
	// PublishBackoffBase and PublishBackoffMax bound the exponential,
	// jittered delay between those attempts.
	PublishBackoffBase time.Duration
	PublishBackoffMax  time.Duration
	// LambdaWorkers bounds how many records of one SQS batch
	// SQSEventHandler handles at once.
	LambdaWorkers int
	// Log receives consumer errors; the zero Logger discards them.
	Log zerolog.Logger
	// Observer is told of every accepted event, handler call and failed
	// message, for metrics; nil observes nothing.
	Observer bus.Observer
	// MaxReceiveCount is the queues' redrive maxReceiveCount, when known: a
	// message that fails on that receive is told to the Observer as
	// dead-lettered, since SQS moves it to the DLQ rather than deliver it
	// again. 0 leaves dead letters to the DLQ's own metrics.
	MaxReceiveCount int
	// EventBridgeOptions and SQSOptions tune the service clients, e.g. to
	// point one of them at a local endpoint.
	EventBridgeOptions []func(*eventbridge.Options)
	SQSOptions         []func(*sqs.Options)
}

// SetDefaults fills every unset field with its default.
func (o *Options) SetDefaults() {
	if o.EventBusName == "" {
		o.EventBusName = DefaultEventBusName
	}
	if o.WaitTimeSeconds == 0 {
		o.WaitTimeSeconds = DefaultWaitTimeSeconds
	}
	if o.MaxMessages == 0 {
		o.MaxMessages = DefaultMaxMessages
	}
	if o.HandlerTimeout == 0 {
		o.HandlerTimeout = DefaultHandlerTimeout
	}
	if o.PublishMaxAttempts == 0 {
		o.PublishMaxAttempts = DefaultPublishMaxAttempts
	}
	if o.PublishBackoffBase == 0 {
		o.PublishBackoffBase = DefaultPublishBackoffBase
	}
	if o.PublishBackoffMax == 0 {
		o.PublishBackoffMax = DefaultPublishBackoffMax
	}
	if o.LambdaWorkers == 0 {
		o.LambdaWorkers = DefaultLambdaWorkers
	}
	if o.Observer == nil {
		o.Observer = bus.NopObserver{}
	}
}

// Validate reports every invalid field; call it after SetDefaults.
func (o *Options) Validate() error {
	var errs []error
	if o.EventBusName == "" {
		errs = append(errs, errors.New("EventBusName is empty"))
	}
	if o.WaitTimeSeconds < 0 || o.WaitTimeSeconds > 20 {
		errs = append(errs, fmt.Errorf("WaitTimeSeconds %d is not within 0–20", o.WaitTimeSeconds))
	}
	if o.MaxMessages < 1 || o.MaxMessages > 10 {
		errs = append(errs, fmt.Errorf("MaxMessages %d is not within 1–10", o.MaxMessages))
	}
	if o.HandlerTimeout <= 0 || o.PublishBackoffBase <= 0 || o.PublishBackoffMax <= 0 {
		errs = append(errs, errors.New("HandlerTimeout and the publish backoff must be positive"))
	}
	if o.MaxReceiveCount < 0 {
		errs = append(errs, fmt.Errorf("MaxReceiveCount %d is negative", o.MaxReceiveCount))
	}
	if o.PublishMaxAttempts < 1 || o.LambdaWorkers < 1 {
		errs = append(errs, errors.New("PublishMaxAttempts and LambdaWorkers must be at least 1"))
	}
	byURL := make(map[string]string, len(o.Queues))
	for name, u := range o.Queues {
		if name == "" {
			errs = append(errs, errors.New("Queues has an empty subscription name"))
			continue
		}
		if p, err := url.Parse(u); err != nil || p.Scheme == "" || p.Host == "" {
			errs = append(errs, fmt.Errorf("Queues[%q]: %q is not an absolute queue URL", name, u))
			continue
		}
		// Two subscriptions polling one queue would steal each other's
		// messages and leave them unhandled.
		if other, ok := byURL[u]; ok {
			errs = append(errs, fmt.Errorf("Queues[%q] and Queues[%q] name the same queue", name, other))
		}
		byURL[u] = name
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("awsbus: invalid options: %w", err)
	}
	return nil
}
