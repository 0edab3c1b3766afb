package awsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/cenkalti/backoff/v5"

	"github.com/serverless-shop/shop/platform/bus"
)

// EventBridge limits on one PutEvents call.
const (
	// MaxBatchEntries is the most entries one PutEvents call takes.
	MaxBatchEntries = 10
	// MaxEntrySize is the largest entry (and request) PutEvents accepts, in
	// bytes, as EventBridge counts them (see entrySize).
	MaxEntrySize = 256 * 1024
	// MaxResourceLen is the longest entry of resources PutEvents accepts; the
	// resource carrying the envelope ID must fit in it.
	MaxResourceLen = 2048
)

// ErrEntryTooLarge is returned (wrapped) by Publish, before anything is sent,
// for an event larger than MaxEntrySize.
var ErrEntryTooLarge = errors.New("awsbus: event larger than the EventBridge entry limit")

// EntryError is how Publish reports an event that EventBridge did not accept.
type EntryError struct {
	// EventID is the envelope ID of the rejected event.
	EventID string
	// Code is EventBridge's ErrorCode (or the API error's code when the
	// whole call failed).
	Code string
	// Message is EventBridge's ErrorMessage.
	Message string
	// Attempts is how many times the entry was sent.
	Attempts int
}

// Error says which event failed and why.
func (e *EntryError) Error() string {
	return fmt.Sprintf("awsbus: event %s not accepted after %d attempt(s): %s: %s", e.EventID, e.Attempts, e.Code, e.Message)
}

// retryable are the entry error codes that a later attempt can fix.
var retryable = map[string]bool{"InternalFailure": true, "ThrottlingException": true}

// Publish sends events to the EventBridge bus in batches of at most ten
// entries and 256 KiB, retrying entries that fail with InternalFailure or
// ThrottlingException with backoff. It returns nil only when EventBridge
// accepted every event; otherwise the error joins an *EntryError per
// rejected event (events not named there were accepted). Invalid and
// oversized events fail the call before anything is sent.
func (b *Bus) Publish(ctx context.Context, events ...bus.Envelope) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.RLock()
	closed := b.closed
	b.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	entries := make([]entry, 0, len(events))
	for _, e := range events {
		en, err := b.toEntry(e)
		if err != nil {
			return err
		}
		entries = append(entries, en)
	}
	var errs []error
	for _, batch := range batches(entries) {
		errs = append(errs, b.putBatch(ctx, batch)...)
	}
	return errors.Join(errs...)
}

// entry is one event ready for PutEvents.
type entry struct {
	id   string
	req  types.PutEventsRequestEntry
	size int
}

func (b *Bus) toEntry(e bus.Envelope) (entry, error) {
	switch {
	case e.ID == "":
		return entry{}, errors.New("awsbus: event without ID")
	case e.Source == "":
		return entry{}, fmt.Errorf("awsbus: event %s without Source", e.ID)
	case e.DetailType == "":
		return entry{}, fmt.Errorf("awsbus: event %s without DetailType", e.ID)
	case len(IDResourcePrefix)+len(e.ID) > MaxResourceLen:
		// EventBridge would refuse the whole request, every time: the
		// event's batch could never be published.
		return entry{}, fmt.Errorf("awsbus: event ID of %d bytes, limit %d", len(e.ID), MaxResourceLen-len(IDResourcePrefix))
	}
	// EventBridge accepts only a JSON object as detail.
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(e.Detail, &obj); err != nil || obj == nil {
		return entry{}, fmt.Errorf("awsbus: event %s: Detail is not a JSON object", e.ID)
	}
	req := types.PutEventsRequestEntry{
		EventBusName: aws.String(b.opts.EventBusName),
		Source:       aws.String(e.Source),
		DetailType:   aws.String(e.DetailType),
		Detail:       aws.String(string(e.Detail)),
		Resources:    []string{IDResourcePrefix + e.ID},
	}
	// A trace context that does not fit is left behind rather than fail the
	// event: the consumer then starts a trace of its own.
	if e.TraceParent != "" && len(TraceParentResourcePrefix)+len(e.TraceParent) <= MaxResourceLen {
		req.Resources = append(req.Resources, TraceParentResourcePrefix+e.TraceParent)
		if e.TraceState != "" && len(TraceStateResourcePrefix)+len(e.TraceState) <= MaxResourceLen {
			req.Resources = append(req.Resources, TraceStateResourcePrefix+e.TraceState)
		}
	}
	if !e.Time.IsZero() {
		req.Time = aws.Time(e.Time)
	}
	size := entrySize(req)
	if size > MaxEntrySize {
		return entry{}, fmt.Errorf("%w: event %s is %d bytes, limit %d", ErrEntryTooLarge, e.ID, size, MaxEntrySize)
	}
	return entry{id: e.ID, req: req, size: size}, nil
}

// entrySize counts an entry the way EventBridge does: 14 bytes for a time,
// plus the UTF-8 bytes of source, detail type, detail and each resource.
func entrySize(r types.PutEventsRequestEntry) int {
	n := len(aws.ToString(r.Source)) + len(aws.ToString(r.DetailType)) + len(aws.ToString(r.Detail))
	if r.Time != nil {
		n += 14
	}
	for _, res := range r.Resources {
		n += len(res)
	}
	return n
}

// batches splits entries into PutEvents calls: at most MaxBatchEntries
// entries, and at most MaxEntrySize bytes, which EventBridge also enforces
// on the whole request.
func batches(entries []entry) [][]entry {
	var out [][]entry
	var cur []entry
	size := 0
	for _, e := range entries {
		if len(cur) == MaxBatchEntries || (len(cur) > 0 && size+e.size > MaxEntrySize) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, e)
		size += e.size
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// putBatch sends one batch, resending the entries that failed retryably
// (backoff.Retry, at most PublishMaxAttempts sends), and returns an
// *EntryError per entry that was not accepted in the end.
func (b *Bus) putBatch(ctx context.Context, pending []entry) []error {
	var (
		errs      []error // settled: permanent failures
		retryErrs []error // the last failures of the entries still retried
		attempt   int
	)
	// errRetry asks backoff.Retry for another send of pending.
	errRetry := errors.New("retryable entries")
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		attempt++
		in := &eventbridge.PutEventsInput{Entries: make([]types.PutEventsRequestEntry, len(pending))}
		for i, e := range pending {
			in.Entries[i] = e.req
		}
		out, err := b.eb.PutEvents(ctx, in)
		if err != nil {
			// The SDK already retried the call; its outcome is unknown, and a
			// caller that publishes again only causes duplicates.
			errs = append(errs, failAll(pending, attempt, "RequestFailed", err.Error())...)
			return struct{}{}, nil
		}
		if len(out.Entries) != len(pending) {
			errs = append(errs, failAll(pending, attempt, "InternalFailure",
				fmt.Sprintf("PutEvents answered %d entries for %d", len(out.Entries), len(pending)))...)
			return struct{}{}, nil
		}
		// Accepted entries and permanent failures are settled; only the
		// retryable ones go again.
		var retry []entry
		retryErrs = nil
		for i, r := range out.Entries {
			code := aws.ToString(r.ErrorCode)
			if code == "" && aws.ToString(r.EventId) != "" {
				b.opts.Observer.Published(aws.ToString(pending[i].req.DetailType))
				continue
			}
			if code == "" {
				code = "InternalFailure" // neither an id nor a code: not accepted
			}
			ee := &EntryError{EventID: pending[i].id, Code: code, Message: aws.ToString(r.ErrorMessage), Attempts: attempt}
			if retryable[code] && attempt < b.opts.PublishMaxAttempts {
				retry = append(retry, pending[i])
				retryErrs = append(retryErrs, ee)
				continue
			}
			errs = append(errs, ee)
		}
		if pending = retry; len(pending) > 0 {
			return struct{}{}, errRetry
		}
		return struct{}{}, nil
	}, backoff.WithBackOff(newBackoff(b.opts.PublishBackoffBase, b.opts.PublishBackoffMax)),
		backoff.WithMaxTries(uint(b.opts.PublishMaxAttempts)), backoff.WithMaxElapsedTime(0))
	if err != nil {
		// Cancelled while waiting: the entries still retried failed last so.
		errs = append(errs, retryErrs...)
	}
	return errs
}

func allAccepted(rs []types.PutEventsResultEntry) bool {
	for _, r := range rs {
		if aws.ToString(r.ErrorCode) != "" || aws.ToString(r.EventId) == "" {
			return false
		}
	}
	return true
}

func failAll(pending []entry, attempts int, code, msg string) []error {
	errs := make([]error, len(pending))
	for i, e := range pending {
		errs[i] = &EntryError{EventID: e.id, Code: code, Message: msg, Attempts: attempts}
	}
	return errs
}

// newBackoff is the delay policy of the bus's retries: base, doubling up to
// maxDelay, each delay jittered by half either way so that retries of
// concurrent callers spread out.
func newBackoff(base, maxDelay time.Duration) *backoff.ExponentialBackOff {
	return &backoff.ExponentialBackOff{InitialInterval: base, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: maxDelay}
}
