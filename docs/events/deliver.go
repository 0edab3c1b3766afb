package events

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/bus/awsbus"
	"github.com/serverless-shop/shop/platform/bus/awsbus/ebtest"
	"github.com/serverless-shop/shop/platform/events"
	"github.com/serverless-shop/shop/platform/testenv"
)

// Deliver publishes envs through the real AWS bus (platform/bus/awsbus) to
// the EventBridge stand-in (ebtest), which forwards each to a fresh queue
// of the SQS emulator, and returns the message bodies received there, in
// the order of envs: the events exactly as a consumer on AWS reads them.
// It needs the SQS emulator (skipped without it, failed in CI).
func Deliver(tb testing.TB, envs ...bus.Envelope) [][]byte {
	tb.Helper()
	cfg := testenv.AWSConfig(tb, testenv.SQSEndpoint(tb))
	client := sqs.NewFromConfig(cfg)
	eb := ebtest.New(tb, client)
	q := ebtest.MustCreateQueue(tb, client, testenv.UniqueName(tb, "catalog"), ebtest.QueueConfig{VisibilityTimeout: 30, MaxReceiveCount: 5})
	eb.AddRule(ebtest.Rule{EventBusName: events.EventBusName, QueueURL: q.URL})
	b, err := awsbus.New(cfg, awsbus.Options{EventBridgeOptions: []func(*eventbridge.Options){eb.ClientOptions}})
	if err != nil {
		tb.Fatalf("awsbus.New: %v", err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Publish(ctx, envs...); err != nil {
		tb.Fatalf("Publish: %v", err)
	}
	bodies := make([][]byte, len(envs))
	for got := 0; got < len(envs); {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.URL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			tb.Fatalf("ReceiveMessage (%d of %d received): %v", got, len(envs), err)
		}
		for _, m := range out.Messages {
			body := aws.ToString(m.Body)
			i := slices.IndexFunc(envs, func(e bus.Envelope) bool {
				return strings.Contains(body, `"`+awsbus.IDResourcePrefix+e.ID+`"`)
			})
			if i < 0 || bodies[i] != nil {
				tb.Fatalf("received an event not published here, or twice: %s", body)
			}
			bodies[i] = []byte(body)
			got++
		}
	}
	return bodies
}
