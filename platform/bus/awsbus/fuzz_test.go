package awsbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/awsbus"
	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/testenv"
)

// tally counts handler calls; an event whose ID starts with "fail" fails.
type tally struct {
	mu      sync.Mutex
	calls   int
	handled int
}

func (c *tally) handle(_ context.Context, e bus.Envelope) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if strings.HasPrefix(e.ID, "fail") {
		return errors.New("fails on purpose")
	}
	c.handled++
	return nil
}

func (c *tally) reset() (calls, handled int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls, handled = c.calls, c.handled
	c.calls, c.handled = 0, 0
	return calls, handled
}

// FuzzSQSEventHandler posts arbitrary SQS events to the pass-through path:
// raw bodies, and well-formed events of two records with arbitrary message
// ids, bodies and queues. Never a panic. An event that cannot be read is a
// 500 problem and no record of it is handled (Lambda retries the whole
// batch). Otherwise it is a 200 whose batchItemFailures name only messages
// of the batch, and no record is lost: every record is handled or its
// message is listed.
func FuzzSQSEventHandler(f *testing.F) {
	b := MustNew(f, testenv.AWSConfig(f, "http://127.0.0.1:1"), awsbus.Options{
		Queues: map[string]string{"ordering": orderQueueURL, "audit": auditQueueURL},
	})
	var c tally
	bustest.MustSubscribe(f, b, "ordering", []string{"CheckoutBasket"}, c.handle)
	bustest.MustSubscribe(f, b, "audit", []string{"CheckoutBasket"}, c.handle)
	bustest.MustSubscribe(f, b, "basket", []string{"ProductCreated", "ProductUpdated"}, c.handle)
	bustest.MustStart(f, b)
	h := b.SQSEventHandler()
	arns := []string{orderQueueARN, auditQueueARN, "arn:aws:sqs:us-east-1:123456789012:elsewhere", "", "not an arn"}

	for _, raw := range []string{
		sqsEvent(record{"m1", checkout("c1"), ""}, record{"m2", checkout("fail-2"), ""}),
		`{"Records":[`, `{"detail-type":"CheckoutBasket"}`, `{"Records":[]}`, `{"Records":null}`,
		`{"Records":{"messageId":"m1"}}`, `{"Records":[{"messageId":"m1","eventSource":"aws:kinesis"}]}`,
		`{"Records":[{"messageId":"m1","body":"{}"},{"messageId":"","body":"{}"}]}`,
		`{"records":[{"MESSAGEID":"m1","Body":"x"}]}`, `{"Records":[{"messageId":"m1"}]} trailing`, `[]`, `null`, ``,
	} {
		f.Add([]byte(raw), "", "", "", "", uint8(0))
	}
	for _, r := range []struct {
		id1, body1, id2, body2 string
		arn                    uint8
	}{
		{"m1", checkout("c1"), "m2", checkout("c2"), 0},
		{"m1", checkout("c1"), "m2", checkout("fail-2"), 1},
		{"m1", checkout("c1"), "m1", checkout("fail-1"), 0},
		{"m1", checkout("c1"), "m2", checkout("c2"), 2},
		{"m1", envelopeBody("eb-p", "ProductCreated", nil), "m2", envelopeBody("eb-x", "ProductDeleted", nil), 3},
		{"m1", envelopeBody("eb-p", "ProductCreated", []string{awsbus.IDResourcePrefix}), "m2", `{"hello":"world"}`, 4},
		{"m1", `{"id":"x","source":"s","detail-type":"CheckoutBasket","detail":null}`, "m2", "plain text", 0},
		{"m1", `{"id":"x","source":"s","detail-type":"CheckoutBasket","detail":1}`, "m2", `{"id":"x","source":"s","detail-type":"CheckoutBasket","detail":{},"time":"yesterday"}`, 0},
		{"", checkout("c1"), "m2", checkout("c2"), 0},
	} {
		f.Add([]byte(nil), r.id1, r.body1, r.id2, r.body2, r.arn)
	}
	f.Fuzz(func(t *testing.T, raw []byte, id1, body1, id2, body2 string, arn uint8) {
		body := string(raw)
		if len(raw) == 0 {
			body = sqsEvent(record{id1, body1, arns[int(arn)%len(arns)]}, record{id2, body2, arns[int(arn/8)%len(arns)]})
		}
		c.reset()
		req := httptest.NewRequest(http.MethodPost, awsbus.DefaultPassThroughPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		calls, handled := c.reset()

		if rec.Code != http.StatusOK {
			if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%s: got %d %q %s, want 200, or a 500 problem", body, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			if calls != 0 {
				t.Fatalf("%s: got 500 after %d handler calls, want none: Lambda retries the whole batch", body, calls)
			}
			return
		}
		var resp struct {
			BatchItemFailures []struct {
				ItemIdentifier string `json:"itemIdentifier"`
			} `json:"batchItemFailures"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.BatchItemFailures == nil || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("%s: got 200 %s, want a batch response (err %v)", body, rec.Body, err)
		}
		// The batch as the handler read it: the first JSON value of the body
		// (what follows it is ignored; Lambda never sends more).
		var ev struct {
			Records []struct {
				MessageID string `json:"messageId"`
			} `json:"Records"`
		}
		if err := json.NewDecoder(strings.NewReader(body)).Decode(&ev); err != nil {
			t.Fatalf("%s: got 200 for a body encoding/json cannot read: %v", body, err)
		}
		inBatch, listed := map[string]bool{}, map[string]bool{}
		for _, r := range ev.Records {
			inBatch[r.MessageID] = true
		}
		for _, f := range resp.BatchItemFailures {
			if !inBatch[f.ItemIdentifier] {
				t.Fatalf("%s: batchItemFailures names %q, not a message of the batch", body, f.ItemIdentifier)
			}
			listed[f.ItemIdentifier] = true
		}
		unlisted := 0
		for _, r := range ev.Records {
			if !listed[r.MessageID] {
				unlisted++
			}
		}
		if calls > len(ev.Records) || handled < unlisted {
			t.Fatalf("%s: %d of %d records are not listed as failures, but only %d were handled (%d calls): a record was lost",
				body, unlisted, len(ev.Records), handled, calls)
		}
	})
}
