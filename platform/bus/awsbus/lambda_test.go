package awsbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/awsbus"
	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/testenv"
)

const (
	orderQueueURL = "https://sqs.us-east-1.amazonaws.com/123456789012/order"
	orderQueueARN = "arn:aws:sqs:us-east-1:123456789012:order"
	auditQueueURL = "https://sqs.us-east-1.amazonaws.com/123456789012/audit"
	auditQueueARN = "arn:aws:sqs:us-east-1:123456789012:audit"
)

// orders is an idempotent handler: it applies each checkout once, however
// often the event arrives, and fails events whose ID starts with "fail".
type orders struct {
	mu      sync.Mutex
	calls   int
	applied map[string]bus.Envelope
}

func (o *orders) handle(_ context.Context, e bus.Envelope) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls++
	if strings.HasPrefix(e.ID, "fail") {
		return errors.New("fails on purpose")
	}
	if _, ok := o.applied[e.ID]; !ok {
		o.applied[e.ID] = e
	}
	return nil
}

// MustLambdaBus returns a non-polling bus with an orders subscription to
// CheckoutBasket; no AWS endpoint is ever called.
func MustLambdaBus(tb testing.TB) (*awsbus.Bus, *orders) {
	tb.Helper()
	b := MustNew(tb, testenv.AWSConfig(tb, "http://127.0.0.1:1"), awsbus.Options{Queues: map[string]string{"ordering": orderQueueURL}})
	o := &orders{applied: map[string]bus.Envelope{}}
	bustest.MustSubscribe(tb, b, "ordering", []string{"CheckoutBasket"}, o.handle)
	bustest.MustStart(tb, b)
	return b, o
}

// record is one SQS record in a Lambda event.
type record struct {
	messageID, body, arn string
}

func sqsEvent(records ...record) string {
	var rs []map[string]any
	for _, r := range records {
		arn := r.arn
		if arn == "" {
			arn = orderQueueARN
		}
		rs = append(rs, map[string]any{
			"messageId": r.messageID, "receiptHandle": "rh-" + r.messageID, "body": r.body,
			"attributes":        map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1795766400000"},
			"messageAttributes": map[string]any{}, "md5OfBody": "x",
			"eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": "us-east-1",
		})
	}
	b, _ := json.Marshal(map[string]any{"Records": rs})
	return string(b)
}

// MustPost posts body to h and returns the response and, for a 200, the
// messageIds reported as batch item failures.
func MustPost(tb testing.TB, h http.Handler, body string) (*httptest.ResponseRecorder, []string) {
	tb.Helper()
	req := httptest.NewRequest(http.MethodPost, awsbus.DefaultPassThroughPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return rec, nil
	}
	if ct, ce := rec.Header().Get("Content-Type"), rec.Header().Get("Content-Encoding"); ct != "application/json" || ce != "" {
		tb.Errorf("got Content-Type %q and Content-Encoding %q, want application/json and none", ct, ce)
	}
	var resp struct {
		BatchItemFailures []struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.BatchItemFailures == nil {
		tb.Fatalf("body %s is not a batch response with batchItemFailures (err %v)", rec.Body, err)
	}
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return rec, ids
}

func checkout(id string) string {
	return envelopeBody("eb-"+id, "CheckoutBasket", []string{awsbus.IDResourcePrefix + id})
}

func TestSQSEventHandler(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		b, o := MustLambdaBus(t)
		_, failed := MustPost(t, b.SQSEventHandler(), sqsEvent(record{"m1", checkout("c1"), ""}, record{"m2", checkout("c2"), ""}))
		if len(failed) != 0 {
			t.Errorf("got batch item failures %v, want none", failed)
		}
		e, ok := o.applied["c1"]
		if !ok || e.Source != "com.swn.test" || e.DetailType != "CheckoutBasket" || !strings.Contains(string(e.Detail), `"checkoutId":"eb-c1"`) {
			t.Errorf("got applied %+v, want c1 with its source, detail type and detail", o.applied)
		}
	})

	for name, bad := range map[string]string{
		"HandlerError":        checkout("fail-1"),
		"NotAnEnvelope":       `{"hello":"world"}`,
		"NotJSON":             "plain text",
		"UnhandledDetailType": envelopeBody("eb-x", "ProductCreated", nil),
	} {
		t.Run("ReportsOnlyBadRecord/"+name, func(t *testing.T) {
			b, o := MustLambdaBus(t)
			_, failed := MustPost(t, b.SQSEventHandler(), sqsEvent(
				record{"m1", checkout("c1"), ""}, record{"bad", bad, ""}, record{"m3", checkout("c3"), ""}))
			if want := []string{"bad"}; !slices.Equal(failed, want) {
				t.Errorf("got batch item failures %v, want %v", failed, want)
			}
			if _, ok := o.applied["c3"]; !ok || len(o.applied) != 2 {
				t.Errorf("got applied %v, want c1 and c3", o.applied)
			}
		})
	}

	t.Run("NotAnSQSEvent", func(t *testing.T) {
		b, o := MustLambdaBus(t)
		for name, body := range map[string]string{
			"MalformedJSON":     `{"Records":[`,
			"NoRecords":         `{"detail-type":"CheckoutBasket"}`,
			"EmptyRecords":      `{"Records":[]}`,
			"NoMessageID":       sqsEvent(record{"m1", checkout("c1"), ""}, record{"", checkout("c2"), ""}),
			"NotFromSQS":        strings.Replace(sqsEvent(record{"m1", checkout("c1"), ""}), "aws:sqs", "aws:kinesis", 1),
			"RecordsNotAnArray": `{"Records":{"messageId":"m1"}}`,
		} {
			rec, _ := MustPost(t, b.SQSEventHandler(), body)
			if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: got %d %s, want 500 application/problem+json", name, rec.Code, rec.Header().Get("Content-Type"))
			}
		}
		if o.calls != 0 {
			t.Errorf("handler called %d times for unreadable events, want 0", o.calls)
		}
	})

	t.Run("DuplicateDelivery", func(t *testing.T) {
		b, o := MustLambdaBus(t)
		batch := sqsEvent(record{"m1", checkout("c1"), ""}, record{"m2", checkout("c1"), ""})
		for range 2 {
			if _, failed := MustPost(t, b.SQSEventHandler(), batch); len(failed) != 0 {
				t.Errorf("got batch item failures %v, want none", failed)
			}
		}
		if o.calls != 4 || len(o.applied) != 1 {
			t.Errorf("got %d calls and %d applied, want 4 calls applied once", o.calls, len(o.applied))
		}
	})

	t.Run("RoutesByQueueWhenSubscriptionsShareADetailType", func(t *testing.T) {
		b := MustNew(t, testenv.AWSConfig(t, "http://127.0.0.1:1"), awsbus.Options{
			Queues: map[string]string{"ordering": orderQueueURL, "audit": auditQueueURL},
		})
		ord, aud := &orders{applied: map[string]bus.Envelope{}}, &orders{applied: map[string]bus.Envelope{}}
		bustest.MustSubscribe(t, b, "ordering", []string{"CheckoutBasket"}, ord.handle)
		bustest.MustSubscribe(t, b, "audit", []string{"CheckoutBasket"}, aud.handle)
		_, failed := MustPost(t, b.SQSEventHandler(), sqsEvent(
			record{"m1", checkout("c1"), orderQueueARN},
			record{"m2", checkout("c2"), auditQueueARN},
			record{"m3", checkout("c3"), "arn:aws:sqs:us-east-1:123456789012:elsewhere"},
		))
		if want := []string{"m3"}; !slices.Equal(failed, want) {
			t.Errorf("got batch item failures %v, want %v", failed, want)
		}
		if _, ok := ord.applied["c1"]; !ok || len(ord.applied) != 1 {
			t.Errorf("ordering applied %v, want only c1", ord.applied)
		}
		if _, ok := aud.applied["c2"]; !ok || len(aud.applied) != 1 {
			t.Errorf("audit applied %v, want only c2", aud.applied)
		}
	})

	t.Run("MethodNotAllowed", func(t *testing.T) {
		b, _ := MustLambdaBus(t)
		rec := httptest.NewRecorder()
		b.SQSEventHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, awsbus.DefaultPassThroughPath, nil))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("GET: got %d, want 405", rec.Code)
		}
	})

	t.Run("Closed", func(t *testing.T) {
		b, o := MustLambdaBus(t)
		_ = b.Close()
		if rec, _ := MustPost(t, b.SQSEventHandler(), sqsEvent(record{"m1", checkout("c1"), ""})); rec.Code != http.StatusInternalServerError {
			t.Errorf("after Close: got %d, want 500 so the batch is retried", rec.Code)
		}
		if o.calls != 0 {
			t.Errorf("handler called %d times after Close, want 0", o.calls)
		}
	})
}
