package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/uuid"

	"github.com/serverless-shop/shop/internal/shoptest"
	"github.com/serverless-shop/shop/platform/bus/awsbus/ebtest"
	"github.com/serverless-shop/shop/platform/events"
	"github.com/serverless-shop/shop/platform/testenv"
)

// awsEnv sets up what the AWS mode needs, on emulators: DynamoDB Local
// tables (created by the binary), SQS queues with dead-letter queues on the
// SQS emulator, and an EventBridge stand-in that applies the stack's two
// rules. It returns the binary's environment and the queues.
func awsEnv(t *testing.T) (env []string, orderQueue, basketQueue ebtest.Queue) {
	t.Helper()
	ddb, sqsURL := testenv.DynamoDBEndpoint(t), testenv.SQSEndpoint(t)
	client := sqs.NewFromConfig(testenv.AWSConfig(t, sqsURL))
	qc := ebtest.QueueConfig{VisibilityTimeout: 2, MaxReceiveCount: 5}
	orderQueue = ebtest.MustCreateQueue(t, client, testenv.UniqueName(t, "order"), qc)
	basketQueue = ebtest.MustCreateQueue(t, client, testenv.UniqueName(t, "basket"), qc)

	// EventBridge is the one AWS service with no emulator here; ebtest
	// speaks its PutEvents protocol and forwards to the real SQS emulator.
	eb := ebtest.New(t, client)
	eb.AddRule(ebtest.Rule{EventBusName: events.EventBusName, Sources: []string{events.CheckoutSource},
		DetailTypes: []string{events.CheckoutBasket}, QueueURL: orderQueue.URL})
	eb.AddRule(ebtest.Rule{EventBusName: events.EventBusName, Sources: []string{events.ProductSource},
		DetailTypes: []string{events.ProductCreated, events.ProductUpdated, events.ProductDeleted}, QueueURL: basketQueue.URL})

	// The binary creates its tables (SHOP_CREATE_TABLES); they go when the
	// test ends, so the shared emulator does not fill up.
	suffix := uuid.NewString()[:8]
	testenv.DeleteTablesAtCleanup(t, dynamodb.NewFromConfig(testenv.AWSConfig(t, ddb)),
		"product-"+suffix, "basket-"+suffix, "catalog-"+suffix, "order-"+suffix, "outbox-"+suffix)
	env = []string{
		"SHOP_STORE=dynamodb", "SHOP_BUS=aws", "SHOP_CREATE_TABLES=true", "SHOP_DATA_DIR=" + t.TempDir(),
		"SHOP_AUTH=dev", // tokens minted by the test, as in production they come from Cognito
		"SHOP_PRODUCT_TABLE=product-" + suffix, "SHOP_BASKET_TABLE=basket-" + suffix,
		"SHOP_BASKET_CATALOG_TABLE=catalog-" + suffix, "SHOP_ORDER_TABLE=order-" + suffix,
		"SHOP_OUTBOX_TABLE=outbox-" + suffix,
		"SHOP_ORDER_QUEUE_URL=" + orderQueue.URL, "SHOP_BASKET_QUEUE_URL=" + basketQueue.URL,
		"AWS_REGION=" + testenv.Region, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_ENDPOINT_URL_DYNAMODB=" + ddb, "AWS_ENDPOINT_URL_SQS=" + sqsURL, "AWS_ENDPOINT_URL_EVENTBRIDGE=" + eb.URL,
		"AWS_EC2_METADATA_DISABLED=true",
	}
	return env, orderQueue, basketQueue
}

// TestAWSModeCheckoutFlow runs the real binary as on ECS: DynamoDB tables,
// events through EventBridge to SQS queues, long-polled by the binary.
func TestAWSModeCheckoutFlow(t *testing.T) {
	env, _, _ := awsEnv(t)
	checkoutFlow(t, shoptest.Start(t, bin, append(env, "SHOP_SQS_POLL=true")...))
}

type sqsRecord struct {
	MessageID      string `json:"messageId"`
	ReceiptHandle  string `json:"receiptHandle"`
	Body           string `json:"body"`
	EventSource    string `json:"eventSource"`
	EventSourceARN string `json:"eventSourceARN"`
}

type batchResponse struct {
	BatchItemFailures []struct {
		ItemIdentifier string `json:"itemIdentifier"`
	} `json:"batchItemFailures"`
}

// TestLambdaEventsReportOnlyTheBadRecord feeds the pass-through path a batch
// as the Lambda Web Adapter would, with one record that is not an event.
func TestLambdaEventsReportOnlyTheBadRecord(t *testing.T) {
	env, _, basketQueue := awsEnv(t)
	shop := shoptest.Start(t, bin, append(env, "SHOP_SQS_POLL=false")...)

	good, _ := json.Marshal(map[string]any{
		"version": "0", "id": uuid.NewString(), "detail-type": "ProductCreated", "source": "com.swn.product",
		"account": ebtest.Account, "time": "2026-11-27T08:00:00Z", "region": ebtest.Region, "resources": []string{},
		"detail": map[string]any{"productId": "p-1", "name": "IPhone X", "category": "Phone", "price": "950.40", "version": 1},
	})
	batch := map[string]any{"Records": []sqsRecord{
		{MessageID: "good-1", ReceiptHandle: "r1", Body: string(good), EventSource: "aws:sqs", EventSourceARN: basketQueue.ARN},
		{MessageID: "bad-2", ReceiptHandle: "r2", Body: "not an event", EventSource: "aws:sqs", EventSourceARN: basketQueue.ARN},
	}}
	r := shop.Must(t, http.StatusOK, "POST", "/events", batch)
	if ct, ce := r.Header.Get("Content-Type"), r.Header.Get("Content-Encoding"); ct != "application/json" || ce != "" {
		t.Errorf("Content-Type %q, Content-Encoding %q: the adapter needs plain application/json", ct, ce)
	}
	var res batchResponse
	r.Decode(t, &res)
	if len(res.BatchItemFailures) != 1 || res.BatchItemFailures[0].ItemIdentifier != "bad-2" {
		t.Fatalf("got %s, want exactly bad-2 reported", r.Body)
	}

	// The good record reached the basket's price list: a basket prices it.
	shop.As(t, "lambda").Must(t, http.StatusCreated, "POST", "/basket", `{"userName":"lambda","items":[{"productId":"p-1","quantity":2}]}`)
	awaitTotal(t, shop, "lambda", "1900.8")

	// A body that is not an SQS event fails the invoke rather than losing messages.
	for _, body := range []string{`{"hello":"world"}`, `not json`, `{"Records":[{"body":"x"}]}`} {
		r := shop.Do(t, "POST", "/events", body)
		if r.Status != http.StatusInternalServerError || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: got %d %s, want a 500 problem", body, r.Status, r.Header.Get("Content-Type"))
		}
	}
}

// TestDuplicateSQSDeliveryMakesOneOrder delivers the same checkout event
// twice, as SQS may, in one batch and again in a later one.
func TestDuplicateSQSDeliveryMakesOneOrder(t *testing.T) {
	env, orderQueue, _ := awsEnv(t)
	shop := shoptest.Start(t, bin, append(env, "SHOP_SQS_POLL=false")...)
	checkout, _ := json.Marshal(map[string]any{
		"version": "0", "id": uuid.NewString(), "detail-type": "CheckoutBasket", "source": "com.swn.basket.checkoutbasket",
		"account": ebtest.Account, "time": "2026-11-27T08:00:00Z", "region": ebtest.Region, "resources": []string{},
		"detail": map[string]any{
			"checkoutId": "0190d2a4-0000-7000-8000-000000000001", "userName": "dup", "checkedOutAt": "2026-11-27T08:00:00.5Z",
			"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "address": "London",
			"paymentMethod": 1, "cardLast4": "3322", "totalPrice": 1900.80,
			"items": []map[string]any{{"productId": "p-1", "productName": "IPhone X", "color": "Black",
				"quantity": 2, "unitPrice": 950.40, "lineTotal": 1900.80}},
		},
	})
	record := func(id string) sqsRecord {
		return sqsRecord{MessageID: id, ReceiptHandle: id, Body: string(checkout), EventSource: "aws:sqs", EventSourceARN: orderQueue.ARN}
	}
	for _, batch := range [][]sqsRecord{{record("m1"), record("m2")}, {record("m3")}} {
		var res batchResponse
		shop.Must(t, http.StatusOK, "POST", "/events", map[string]any{"Records": batch}).Decode(t, &res)
		if len(res.BatchItemFailures) != 0 {
			t.Fatalf("failures %+v, want none", res.BatchItemFailures)
		}
	}
	orders := userOrders(t, shop, "dup")
	if len(orders) != 1 || orders[0].OrderID != "0190d2a4-0000-7000-8000-000000000001" || fmt.Sprint(orders[0].TotalPrice) != "1900.8" {
		t.Fatalf("got %+v, want exactly one order of 1900.80", orders)
	}
}

// TestLambdaModeCheckoutFlow runs the whole journey as on Lambda: no poller
// in the binary; this test plays Lambda's SQS event source, posting each
// batch to the pass-through path and deleting only what the answer does not
// list as failed.
func TestLambdaModeCheckoutFlow(t *testing.T) {
	env, orderQueue, basketQueue := awsEnv(t)
	shop := shoptest.Start(t, bin, append(env, "AWS_LAMBDA_FUNCTION_NAME=shop")...)
	client := sqs.NewFromConfig(testenv.AWSConfig(t, testenv.SQSEndpoint(t)))
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, q := range []ebtest.Queue{orderQueue, basketQueue} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			eventSource(ctx, t, client, q, shop)
		}()
	}
	t.Cleanup(func() { stop(); wg.Wait() })
	checkoutFlow(t, shop)
}

// eventSource forwards q's messages to the shop's /events until ctx ends.
func eventSource(ctx context.Context, t *testing.T, client *sqs.Client, q ebtest.Queue, shop *shoptest.Shop) {
	for ctx.Err() == nil {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: &q.URL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		if err != nil || len(out.Messages) == 0 {
			continue
		}
		records := make([]sqsRecord, len(out.Messages))
		for i, m := range out.Messages {
			records[i] = sqsRecord{MessageID: *m.MessageId, ReceiptHandle: *m.ReceiptHandle, Body: *m.Body,
				EventSource: "aws:sqs", EventSourceARN: q.ARN}
		}
		body, _ := json.Marshal(map[string]any{"Records": records})
		r, err := shop.TryDo("POST", "/events", string(body))
		if err != nil || r.Status != http.StatusOK {
			continue // the whole batch comes back after the visibility timeout
		}
		var res batchResponse
		if json.Unmarshal(r.Body, &res) != nil {
			continue
		}
		failed := map[string]bool{}
		for _, f := range res.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		for _, m := range out.Messages {
			if !failed[*m.MessageId] {
				_, _ = client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &q.URL, ReceiptHandle: m.ReceiptHandle})
			}
		}
	}
}

// TestDynamoDBStoreLocalBus runs the journey on DynamoDB tables with the
// in-process bus: the binary as a developer points it at DynamoDB Local.
func TestDynamoDBStoreLocalBus(t *testing.T) {
	ddb := testenv.DynamoDBEndpoint(t)
	suffix := uuid.NewString()[:8]
	testenv.DeleteTablesAtCleanup(t, dynamodb.NewFromConfig(testenv.AWSConfig(t, ddb)),
		"product-"+suffix, "basket-"+suffix, "catalog-"+suffix, "order-"+suffix, "outbox-"+suffix)
	checkoutFlow(t, shoptest.Start(t, bin,
		"SHOP_STORE=dynamodb", "SHOP_BUS=local", "SHOP_CREATE_TABLES=true", "SHOP_DATA_DIR="+t.TempDir(), "SHOP_AUTH=dev",
		"SHOP_PRODUCT_TABLE=product-"+suffix, "SHOP_BASKET_TABLE=basket-"+suffix,
		"SHOP_BASKET_CATALOG_TABLE=catalog-"+suffix, "SHOP_ORDER_TABLE=order-"+suffix, "SHOP_OUTBOX_TABLE=outbox-"+suffix,
		"AWS_REGION="+testenv.Region, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_ENDPOINT_URL="+ddb, "AWS_EC2_METADATA_DISABLED=true"))
}

// passThroughVariants are paths a router that cleans paths would send to
// /events; none of them may reach the pass-through handler.
var passThroughVariants = []string{"//events", "/./events", "/x/../events", "/events/", "/%65vents", "/events%2F", "/EVENTS", "/events;x"}

// TestPassThroughPathIsExact: /events takes batches only where the Lambda
// Web Adapter delivers them (polling off), and only at exactly that path.
// With polling on, and on the embedded store, it does not exist at all.
func TestPassThroughPathIsExact(t *testing.T) {
	env, _, basketQueue := awsEnv(t)
	forged, _ := json.Marshal(map[string]any{
		"version": "0", "id": uuid.NewString(), "detail-type": "ProductUpdated", "source": "com.swn.product",
		"account": ebtest.Account, "time": "2026-11-27T08:00:00Z", "region": ebtest.Region, "resources": []string{},
		"detail": map[string]any{"productId": "p-1", "name": "IPhone X", "category": "Phone", "price": "0.02", "version": 99},
	})
	batch := map[string]any{"Records": []sqsRecord{{MessageID: "m1", ReceiptHandle: "r1", Body: string(forged),
		EventSource: "aws:sqs", EventSourceARN: basketQueue.ARN}}}

	for _, mode := range []struct {
		name    string
		env     []string
		exactOK bool
	}{
		{"Lambda", append(env, "SHOP_SQS_POLL=false"), true},
		{"Polling", append(env, "SHOP_SQS_POLL=true"), false},
		{"Embedded", nil, false},
	} {
		t.Run(mode.name, func(t *testing.T) {
			shop := shoptest.Start(t, bin, mode.env...)
			want := http.StatusNotFound
			if mode.exactOK {
				want = http.StatusOK
			}
			if r := shop.Do(t, "POST", "/events", batch); r.Status != want {
				t.Errorf("POST /events: got %d %s, want %d", r.Status, r.Body, want)
			}
			for _, p := range passThroughVariants {
				r := shop.Do(t, "POST", p, batch)
				if r.Status != http.StatusNotFound && r.Status != http.StatusMethodNotAllowed {
					t.Errorf("POST %s: got %d %s, want 404", p, r.Status, r.Body)
				}
			}
		})
	}
}
