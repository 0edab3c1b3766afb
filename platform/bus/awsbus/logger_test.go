package awsbus_test

import (
	"context"
	"testing"

	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/awsbus"
	"github.com/serverless-shop/shop/platform/bus/bustest"
	"github.com/serverless-shop/shop/platform/testenv"
)

// TestHandlerLoggerFromContext: a handler logs through zerolog.Ctx, and the
// line carries the bus's logger and the subscription, message and event.
// The Lambda path is used; the poller calls the same deliver.
func TestHandlerLoggerFromContext(t *testing.T) {
	var logs testenv.LogBuffer
	b := MustNew(t, testenv.AWSConfig(t, "http://127.0.0.1:1"), awsbus.Options{
		Queues: map[string]string{"ordering": orderQueueURL},
		Log:    zerolog.New(&logs).With().Str("bus", "aws").Logger(),
	})
	bustest.MustSubscribe(t, b, "ordering", []string{"CheckoutBasket"}, func(ctx context.Context, _ bus.Envelope) error {
		zerolog.Ctx(ctx).Info().Msg("handled")
		return nil
	})
	bustest.MustStart(t, b)
	if _, failed := MustPost(t, b.SQSEventHandler(), sqsEvent(record{"m1", checkout("c1"), ""})); len(failed) != 0 {
		t.Fatalf("batch item failures %v, want none", failed)
	}
	logs.MustHaveFields(t, "handled", map[string]string{"bus": "aws", "subscription": "ordering", "message_id": "m1", "event_id": "c1", "detail_type": "CheckoutBasket"})
}
