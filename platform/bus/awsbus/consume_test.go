package awsbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/awsbus"
	"github.com/serverless-shop/shop/platform/bus/awsbus/ebtest"
	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/testenv"
)

// TestPoisonMessagesEndInDLQ checks that what no handler can take (a body
// that is not an EventBridge event, a detail type the subscription does not
// handle, an event whose handler always fails) is left on the queue until
// its redrive policy moves it to the DLQ, while good messages are handled.
func TestPoisonMessagesEndInDLQ(t *testing.T) {
	e := MustEnv(t)
	q := ebtest.MustCreateQueue(t, e.sqs, testenv.UniqueName(t, "poison"), ebtest.QueueConfig{VisibilityTimeout: 1, MaxReceiveCount: 2})
	var mu sync.Mutex
	calls := map[string]int{}
	b := e.MustBus(t, awsbus.Options{Queues: map[string]string{"sub": q.URL}, Poll: true})
	bustest.MustSubscribe(t, b, "sub", []string{"Known"}, func(_ context.Context, ev bus.Envelope) error {
		mu.Lock()
		defer mu.Unlock()
		calls[ev.ID]++
		if ev.ID == "always-fails" {
			return errors.New("fails on purpose")
		}
		return nil
	})

	poison := []string{
		"not json",
		`{"hello":"world"}`,
		envelopeBody("unknown", "Unknown", nil),
		envelopeBody("always-fails", "Known", []string{awsbus.IDResourcePrefix + "always-fails"}),
	}
	for _, body := range append(slices.Clone(poison), envelopeBody("eb-id", "Known", nil)) {
		MustSend(t, e.sqs, q.URL, body)
	}
	bustest.MustStart(t, b)

	var dead []string
	bustest.Eventually(t, 30*time.Second, func() bool {
		dead = append(dead, receiveAll(t, e.sqs, q.DLQURL)...)
		return len(dead) >= len(poison)
	}, "%d poison messages in the DLQ, got %d", len(poison), len(dead))
	slices.Sort(dead)
	slices.Sort(poison)
	if !slices.Equal(dead, poison) {
		t.Errorf("got DLQ bodies %q, want %q", dead, poison)
	}
	mu.Lock()
	defer mu.Unlock()
	// Without the ID resource (an event another publisher sent), the
	// envelope ID is EventBridge's event id.
	if calls["eb-id"] < 1 {
		t.Errorf("handler got the good event %d times, want at least 1", calls["eb-id"])
	}
	if calls["unknown"] != 0 {
		t.Errorf("handler got an Unknown event %d times, want 0", calls["unknown"])
	}
	if calls["always-fails"] != 2 {
		t.Errorf("failing handler called %d times, want maxReceiveCount = 2", calls["always-fails"])
	}
}

func TestSubscribe(t *testing.T) {
	cfg := testenv.AWSConfig(t, "http://127.0.0.1:1") // never called
	noop := func(context.Context, bus.Envelope) error { return nil }
	ctx := context.Background()

	t.Run("ErrNoQueue", func(t *testing.T) {
		b := MustNew(t, cfg, awsbus.Options{Poll: true})
		if err := b.Subscribe("orders", []string{"T"}, noop); !errors.Is(err, awsbus.ErrNoQueue) {
			t.Errorf("got %v, want ErrNoQueue", err)
		}
	})
	t.Run("NoQueueNeededWithoutPolling", func(t *testing.T) {
		b := MustNew(t, cfg, awsbus.Options{})
		bustest.MustSubscribe(t, b, "orders", []string{"T"}, noop)
	})
	t.Run("Duplicate", func(t *testing.T) {
		b := MustNew(t, cfg, awsbus.Options{})
		bustest.MustSubscribe(t, b, "orders", []string{"T"}, noop)
		if err := b.Subscribe("orders", []string{"U"}, noop); err == nil {
			t.Error("second Subscribe with the same name: got nil, want an error")
		}
	})
	t.Run("ErrStarted", func(t *testing.T) {
		b := MustNew(t, cfg, awsbus.Options{})
		bustest.MustStart(t, b)
		if err := b.Subscribe("orders", []string{"T"}, noop); !errors.Is(err, awsbus.ErrStarted) {
			t.Errorf("Subscribe after Start: got %v, want ErrStarted", err)
		}
		if err := b.Start(ctx); !errors.Is(err, awsbus.ErrStarted) {
			t.Errorf("second Start: got %v, want ErrStarted", err)
		}
	})
	t.Run("ErrClosed", func(t *testing.T) {
		b := MustNew(t, cfg, awsbus.Options{})
		if err := b.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := b.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := b.Subscribe("orders", []string{"T"}, noop); !errors.Is(err, awsbus.ErrClosed) {
			t.Errorf("Subscribe after Close: got %v, want ErrClosed", err)
		}
		if err := b.Start(ctx); !errors.Is(err, awsbus.ErrClosed) {
			t.Errorf("Start after Close: got %v, want ErrClosed", err)
		}
	})
}

// MustNew returns a bus closed at the end of the test.
func MustNew(tb testing.TB, cfg aws.Config, opts awsbus.Options) *awsbus.Bus {
	tb.Helper()
	b, err := awsbus.New(cfg, opts)
	if err != nil {
		tb.Fatalf("awsbus.New: %v", err)
	}
	tb.Cleanup(func() { _ = b.Close() })
	return b
}

// MustSend puts body on a queue as is.
func MustSend(tb testing.TB, client *sqs.Client, queueURL, body string) {
	tb.Helper()
	if _, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(body)}); err != nil {
		tb.Fatalf("SendMessage: %v", err)
	}
}

// receiveAll takes (and deletes) what a queue holds right now.
func receiveAll(tb testing.TB, client *sqs.Client, queueURL string) []string {
	tb.Helper()
	ctx := context.Background()
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10})
	if err != nil {
		tb.Fatalf("ReceiveMessage: %v", err)
	}
	var bodies []string
	for _, m := range out.Messages {
		bodies = append(bodies, aws.ToString(m.Body))
		if _, err := client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
			tb.Fatalf("DeleteMessage: %v", err)
		}
	}
	return bodies
}

// envelopeBody is an EventBridge event as its SQS target receives it.
func envelopeBody(ebID, detailType string, resources []string) string {
	if resources == nil {
		resources = []string{}
	}
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": ebID, "detail-type": detailType, "source": "com.swn.test",
		"account": "123456789012", "time": "2026-11-27T08:00:00Z", "region": "us-east-1",
		"resources": resources, "detail": map[string]any{"checkoutId": ebID, "total": 1900.80},
	})
	return string(b)
}
