package awsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/serverless-shop/shop/platform/httpx"
)

// DefaultPassThroughPath is where the Lambda Web Adapter posts SQS batches
// unless AWS_LWA_PASS_THROUGH_PATH says otherwise.
const DefaultPassThroughPath = "/events"

// maxSQSEventBytes is above the 6 MB Lambda invoke payload limit, so no
// real batch is refused, yet a runaway body cannot exhaust memory.
const maxSQSEventBytes = 8 << 20

// SQSEventHandler returns the handler for the Lambda Web Adapter's
// pass-through path: it takes a raw SQS event, dispatches each record's
// EventBridge event to the subscription for its detail type (records run
// concurrently) and answers 200 with the messageIds that failed as
// batchItemFailures; a record that is not an EventBridge event or that no
// subscription handles is one of them, so it ends in the DLQ. A body that
// is not an SQS event is answered with a 500 problem, which the adapter
// (AWS_LWA_ERROR_STATUS_CODES) turns into a failed invoke, so the whole
// batch is retried rather than lost.
//
// Mount it outside any compression middleware: the adapter hands the body
// to Lambda as is, and Lambda cannot read a compressed batch response.
func (b *Bus) SQSEventHandler() http.Handler {
	return http.HandlerFunc(b.serveSQSEvent)
}

func (b *Bus) serveSQSEvent(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "OPTIONS, POST")
		httpx.MethodNotAllowed(w, r)
		return
	}
	if !b.track() {
		b.invalidEvent(w, r, ErrClosed)
		return
	}
	defer b.wg.Done()

	var ev events.SQSEvent
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSQSEventBytes)).Decode(&ev); err != nil {
		b.invalidEvent(w, r, fmt.Errorf("body is not JSON: %w", err))
		return
	}
	if len(ev.Records) == 0 {
		b.invalidEvent(w, r, errors.New("no Records"))
		return
	}
	for i, rec := range ev.Records {
		if rec.MessageId == "" {
			b.invalidEvent(w, r, fmt.Errorf("record %d has no messageId", i))
			return
		}
		if rec.EventSource != "" && rec.EventSource != "aws:sqs" {
			b.invalidEvent(w, r, fmt.Errorf("record %d comes from %q, not aws:sqs", i, rec.EventSource))
			return
		}
	}

	// Close cancels running handlers here as it does for the pollers.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(b.stop, cancel)()

	failed := make([]bool, len(ev.Records))
	sem := make(chan struct{}, b.opts.LambdaWorkers)
	var wg sync.WaitGroup
	for i, rec := range ev.Records {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			failed[i] = b.handleRecord(ctx, rec) != nil
		})
	}
	wg.Wait()

	// The partial batch response Lambda reads when the event source
	// mapping has ReportBatchItemFailures on; an empty list, not null.
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for i, rec := range ev.Records {
		if failed[i] {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Del("Content-Encoding")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(resp)
}

// invalidEvent answers 500: only a failed invoke makes Lambda retry a batch
// that could not be read, instead of deleting it unhandled.
func (b *Bus) invalidEvent(w http.ResponseWriter, r *http.Request, err error) {
	b.opts.Log.Error().Err(err).Msg("bus: cannot read the SQS event; failing the invoke so the batch is retried")
	httpx.WriteProblem(w, httpx.Problem{
		Type:     httpx.ProblemType + "invalid_sqs_event",
		Title:    http.StatusText(http.StatusInternalServerError),
		Status:   http.StatusInternalServerError,
		Detail:   "The request body is not an SQS event that can be handled.",
		Instance: r.URL.Path,
	})
}

// handleRecord delivers one record to the subscription for its detail type.
func (b *Bus) handleRecord(ctx context.Context, rec events.SQSMessage) error {
	receives := rec.Attributes["ApproximateReceiveCount"]
	e, err := parseEvent(rec.Body)
	if err != nil {
		// No subscription can be told from a body that is not an event.
		b.failed("", receives)
		b.opts.Log.Error().Err(err).Str("message_id", rec.MessageId).Str("queue", rec.EventSourceARN).
			Msg("bus: unreadable record reported as a batch item failure, for its DLQ")
		return err
	}
	s, err := b.route(e.DetailType, rec.EventSourceARN)
	if err != nil {
		b.failed("", receives)
		b.opts.Log.Error().Err(err).Str("message_id", rec.MessageId).Str("event_id", e.ID).Str("queue", rec.EventSourceARN).
			Msg("bus: unroutable record reported as a batch item failure, for its DLQ")
		return err
	}
	return b.handleBody(ctx, s, rec.MessageId, rec.Body, receives)
}

// route finds the subscription for a detail type; when several subscribe to
// it, the record's queue (its event source ARN) decides.
func (b *Bus) route(detailType, sourceARN string) (*subscription, error) {
	var cands []*subscription
	for _, s := range b.subscriptions() {
		if s.types[detailType] {
			cands = append(cands, s)
		}
	}
	if len(cands) > 1 {
		var same []*subscription
		for _, s := range cands {
			if sameQueue(s.queueURL, sourceARN) {
				same = append(same, s)
			}
		}
		cands = same
	}
	switch len(cands) {
	case 1:
		return cands[0], nil
	case 0:
		return nil, fmt.Errorf("awsbus: no subscription handles detail type %q from %s", detailType, sourceARN)
	default:
		return nil, fmt.Errorf("awsbus: several subscriptions handle detail type %q from %s", detailType, sourceARN)
	}
}

// sameQueue reports whether queueURL (https://host/account/name) and arn
// (arn:partition:sqs:region:account:name) name the same queue.
func sameQueue(queueURL, arn string) bool {
	u, err := url.Parse(queueURL)
	if err != nil {
		return false
	}
	account, name, ok := strings.Cut(strings.Trim(u.Path, "/"), "/")
	parts := strings.Split(arn, ":")
	return ok && len(parts) == 6 && parts[4] == account && parts[5] == name
}
