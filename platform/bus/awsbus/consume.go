package awsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/bus"
)

// Receive-error backoff: a poller that cannot reach SQS retries no faster
// than this, so an outage does not become a busy loop.
const (
	receiveBackoffBase = time.Second
	receiveBackoffMax  = 30 * time.Second
	// deleteTimeout bounds the delete that follows a batch; it does not
	// depend on Close, so a handled message is deleted even while stopping.
	deleteTimeout = 10 * time.Second
)

// errNotEnvelope marks a message body that is not an EventBridge event.
var errNotEnvelope = errors.New("awsbus: message is not an EventBridge event")

// ebEvent is an EventBridge event as an SQS target receives it.
type ebEvent struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// parseEvent maps a message body holding an EventBridge event to an
// Envelope whose Detail is the raw JSON of the event's detail.
func parseEvent(body string) (bus.Envelope, error) {
	var ev ebEvent
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		return bus.Envelope{}, fmt.Errorf("%w: %v", errNotEnvelope, err)
	}
	if ev.ID == "" || ev.Source == "" || ev.DetailType == "" || len(ev.Detail) == 0 || string(ev.Detail) == "null" {
		return bus.Envelope{}, fmt.Errorf("%w: id, source, detail-type or detail missing", errNotEnvelope)
	}
	e := bus.Envelope{ID: ev.ID, Source: ev.Source, DetailType: ev.DetailType, Time: ev.Time, Detail: ev.Detail}
	idFound := false
	for _, r := range ev.Resources {
		if v, ok := strings.CutPrefix(r, IDResourcePrefix); ok && v != "" && !idFound {
			e.ID, idFound = v, true
		} else if v, ok := strings.CutPrefix(r, TraceParentResourcePrefix); ok {
			e.TraceParent = v
		} else if v, ok := strings.CutPrefix(r, TraceStateResourcePrefix); ok {
			e.TraceState = v
		}
	}
	return e, nil
}

// deliver calls s's handler for e with the handler timeout and log in its
// context (zerolog.Ctx), the one way a handler gets its logger; a panic is
// a failure like any other, so it cannot take the process down.
func (b *Bus) deliver(ctx context.Context, s *subscription, e bus.Envelope, log zerolog.Logger) (err error) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.HandlerTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panic: %v", p)
		}
	}()
	return s.handler(log.WithContext(ctx), e)
}

// handleBody parses one message for s and delivers it. It logs every
// failure: at error level for a message no retry can fix (which the redrive
// policy moves to the DLQ), at warn level for a handler error.
func (b *Bus) handleBody(ctx context.Context, s *subscription, messageID, body string, receives string) error {
	log := b.opts.Log.With().Str("subscription", s.name).Str("message_id", messageID).Str("receive_count", receives).Logger()
	e, err := parseEvent(body)
	if err != nil {
		b.failed(s.name, receives)
		log.Error().Err(err).Msg("bus: unreadable message left on the queue for its DLQ")
		return err
	}
	log = log.With().Str("event_id", e.ID).Str("detail_type", e.DetailType).Logger()
	if !s.types[e.DetailType] {
		err := fmt.Errorf("awsbus: subscription %q has no handler for detail type %q", s.name, e.DetailType)
		b.failed(s.name, receives)
		log.Error().Err(err).Msg("bus: unroutable message left on the queue for its DLQ")
		return err
	}
	if err := b.deliver(ctx, s, e, log); err != nil {
		b.failed(s.name, receives)
		log.Warn().Err(err).Msg("bus: handler failed; the message reappears after the visibility timeout")
		return err
	}
	b.opts.Observer.Delivered(s.name, e.Time)
	return nil
}

// failed tells the observer of a failed attempt and, when it was the
// message's last receive before its redrive to the DLQ, of a dead letter.
func (b *Bus) failed(subscription, receives string) {
	b.opts.Observer.Failed(subscription)
	if n, err := strconv.Atoi(receives); err == nil && b.opts.MaxReceiveCount > 0 && n >= b.opts.MaxReceiveCount {
		b.opts.Observer.DeadLettered(subscription)
	}
}

// poll long-polls s's queue until the bus stops, handling each received
// batch concurrently and deleting what succeeded before asking for more.
func (b *Bus) poll(s *subscription) {
	log := b.opts.Log.With().Str("subscription", s.name).Str("queue", s.queueURL).Logger()
	retry := newBackoff(receiveBackoffBase, receiveBackoffMax)
	for b.stop.Err() == nil {
		out, err := b.sqs.ReceiveMessage(b.stop, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(s.queueURL),
			MaxNumberOfMessages:         b.opts.MaxMessages,
			WaitTimeSeconds:             b.opts.WaitTimeSeconds,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount},
		})
		if b.stop.Err() != nil {
			// Messages received as Close ran are not handled: they reappear
			// after the visibility timeout for the next consumer.
			return
		}
		if err != nil {
			d := retry.NextBackOff()
			log.Error().Err(err).Dur("retry_in", d).Msg("bus: receive failed")
			t := time.NewTimer(d)
			select {
			case <-b.stop.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		retry.Reset()
		b.handleBatch(s, out.Messages, log)
	}
}

// handleBatch handles msgs concurrently and deletes the ones that succeeded.
func (b *Bus) handleBatch(s *subscription, msgs []sqstypes.Message, log zerolog.Logger) {
	if len(msgs) == 0 {
		return
	}
	ok := make([]bool, len(msgs))
	var wg sync.WaitGroup
	for i, m := range msgs {
		wg.Go(func() {
			err := b.handleBody(b.stop, s, aws.ToString(m.MessageId), aws.ToString(m.Body),
				m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
			ok[i] = err == nil
		})
	}
	wg.Wait()

	var del []sqstypes.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		if ok[i] {
			del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	if len(del) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(b.stop), deleteTimeout)
	defer cancel()
	out, err := b.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(s.queueURL), Entries: del})
	if err != nil {
		log.Error().Err(err).Int("messages", len(del)).Msg("bus: delete failed; handled messages will be delivered again")
		return
	}
	for _, f := range out.Failed {
		ev := log.Error().Str("code", aws.ToString(f.Code)).Str("reason", aws.ToString(f.Message))
		if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i >= 0 && i < len(msgs) {
			ev = ev.Str("message_id", aws.ToString(msgs[i].MessageId))
		}
		ev.Msg("bus: delete failed; a handled message will be delivered again")
	}
}
