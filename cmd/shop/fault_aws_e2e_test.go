package main_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/uuid"

	"github.com/serverless-shop/shop/internal/shoptest"
	"github.com/serverless-shop/shop/platform/bus/awsbus/ebtest"
	"github.com/serverless-shop/shop/platform/testenv"
)

// faultQueueConfig gives a delivery that fails while a store is down room
// to be retried through the outage: 2 s visibility, 30 receives.
var faultQueueConfig = ebtest.QueueConfig{VisibilityTimeout: 2, MaxReceiveCount: 30}

// faultAWSEnv is the environment of the binary in AWS mode (DynamoDB
// tables, EventBridge stand-in, SQS queues polled by the binary) on the
// given DynamoDB and SQS endpoints. The tables the binary creates are
// deleted when the test ends, and so are the queues.
func faultAWSEnv(t *testing.T, ddb, sqsURL string, sqsClient *sqs.Client) (env []string, recreate func()) {
	t.Helper()
	suffix := uuid.NewString()[:8]
	orderName, basketName := "order-"+suffix, "basket-"+suffix
	orderQueue := ebtest.MustCreateQueue(t, sqsClient, orderName, faultQueueConfig)
	basketQueue := ebtest.MustCreateQueue(t, sqsClient, basketName, faultQueueConfig)
	recreate = func() {
		// The first queues' cleanup deletes these: same names, same URLs.
		for _, name := range []string{orderName, basketName} {
			recreateQueue(t, sqsClient, name)
		}
	}
	eb := ebtest.New(t, sqsClient)
	eb.AddRule(ebtest.Rule{EventBusName: "SwnEventBus", Sources: []string{"com.swn.basket.checkoutbasket"},
		DetailTypes: []string{"CheckoutBasket"}, QueueURL: orderQueue.URL})
	eb.AddRule(ebtest.Rule{EventBusName: "SwnEventBus", Sources: []string{"com.swn.product"},
		DetailTypes: []string{"ProductCreated", "ProductUpdated", "ProductDeleted"}, QueueURL: basketQueue.URL})
	tables := []string{"product-" + suffix, "basket-" + suffix, "catalog-" + suffix, "order-" + suffix, "outbox-" + suffix}
	testenv.DeleteTablesAtCleanup(t, dynamodb.NewFromConfig(testenv.AWSConfig(t, ddb)), tables...)
	env = []string{
		"SHOP_STORE=dynamodb", "SHOP_BUS=aws", "SHOP_CREATE_TABLES=true", "SHOP_AUTH=dev", "SHOP_SQS_POLL=true",
		"SHOP_ADMIN_ADDR=127.0.0.1:0",
		"SHOP_PRODUCT_TABLE=" + tables[0], "SHOP_BASKET_TABLE=" + tables[1], "SHOP_BASKET_CATALOG_TABLE=" + tables[2],
		"SHOP_ORDER_TABLE=" + tables[3], "SHOP_OUTBOX_TABLE=" + tables[4],
		"SHOP_ORDER_QUEUE_URL=" + orderQueue.URL, "SHOP_BASKET_QUEUE_URL=" + basketQueue.URL,
		"AWS_REGION=" + testenv.Region, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_ENDPOINT_URL_DYNAMODB=" + ddb, "AWS_ENDPOINT_URL_SQS=" + sqsURL,
		"AWS_ENDPOINT_URL_EVENTBRIDGE=" + eb.URL, "AWS_EC2_METADATA_DISABLED=true",
	}
	return env, recreate
}

// recreateQueue creates name and name-dlq again, as ebtest.MustCreateQueue
// made them, on an SQS emulator that restarted without them.
func recreateQueue(t *testing.T, client *sqs.Client, name string) {
	t.Helper()
	ctx := context.Background()
	dlq, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
	if err != nil {
		t.Fatalf("recreate %s-dlq: %v", name, err)
	}
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("recreate %s-dlq: %v", name, err)
	}
	policy, _ := json.Marshal(map[string]any{"deadLetterTargetArn": attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)],
		"maxReceiveCount": faultQueueConfig.MaxReceiveCount})
	if _, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		string(sqstypes.QueueAttributeNameVisibilityTimeout): strconv.Itoa(faultQueueConfig.VisibilityTimeout),
		string(sqstypes.QueueAttributeNameRedrivePolicy):     string(policy),
	}}); err != nil {
		t.Fatalf("recreate %s: %v", name, err)
	}
}

// primedShop starts the binary and returns it with a product its basket
// price list has already priced (so that checkouts do not wait for it).
func primedShop(t *testing.T, env []string) (*shoptest.Shop, string) {
	t.Helper()
	shop := shoptest.Start(t, bin, env...)
	product := mustProduct(t, shop, "IPhone X", "950.40")
	shop.As(t, "primer").Must(t, http.StatusCreated, "POST", "/basket",
		`{"userName":"primer","items":[{"productId":"`+product+`","quantity":1}]}`)
	awaitTotal(t, shop, "primer", "950.4")
	return shop, product
}

// TestDynamoDBOutage takes DynamoDB away from the binary in AWS mode under
// a steady write-and-checkout load, and gives it back on the same data
// (DynamoDB Local of the test's own, with -dbPath). While it is down, writes
// are refused with 503 + Retry-After and /readyz is 503; afterwards every
// acknowledged write is there, the outbox drains, and every accepted
// checkout is exactly one order.
func TestDynamoDBOutage(t *testing.T) {
	ddb := testenv.StartDynamoDBLocal(t, t.TempDir())
	sqsURL := testenv.SQSEndpoint(t)
	env, _ := faultAWSEnv(t, ddb.Endpoint, sqsURL, sqs.NewFromConfig(testenv.AWSConfig(t, sqsURL)))
	shop, product := primedShop(t, env)

	load := startFaultLoad(t, shop, product, "d", 4)
	shoptest.Eventually(t, 60*time.Second, func() bool { return load.accepted.Load() >= 10 }, "no checkouts accepted before the outage")

	ddb.Stop(t)
	down := time.Now()
	refusedBefore, acceptedBefore := load.refused.Load(), load.accepted.Load()
	shoptest.Eventually(t, 60*time.Second, func() bool { return readyStatus(shop) == http.StatusServiceUnavailable },
		"/readyz never answered 503 while DynamoDB was down")
	shoptest.Eventually(t, 60*time.Second, func() bool { return load.refused.Load()-refusedBefore >= 12 },
		"writes were not refused while DynamoDB was down")
	ddb.Start(t)
	back := time.Now()
	refusedDown := load.refused.Load() - refusedBefore
	acceptedDown := load.accepted.Load() - acceptedBefore

	written := load.okWrites.Load()
	shoptest.Eventually(t, 60*time.Second, func() bool { return load.okWrites.Load() > written+5 },
		"writes never succeeded again after DynamoDB came back")
	firstWrite := time.Since(back)
	shoptest.Eventually(t, 60*time.Second, func() bool { return readyStatus(shop) == http.StatusOK }, "/readyz never 200 again")
	acceptedAfter := load.accepted.Load()
	shoptest.Eventually(t, 60*time.Second, func() bool { return load.accepted.Load() >= acceptedAfter+10 },
		"checkouts were not accepted again")
	load.Stop()

	shoptest.Eventually(t, 60*time.Second, func() bool { return outboxPending(shop) == 0 }, "the outbox never drained")
	drained := time.Since(back)
	orders := load.verify(t, shop)
	t.Logf("FIGURES DynamoDB down %.1fs: %d writes answered 503 (and %d checkouts accepted) while down; "+
		"first write %.1fs after it was back; outbox drained %.1fs after; %d accepted checkouts → %d orders (all %d checked-out baskets)",
		back.Sub(down).Seconds(), refusedDown, acceptedDown, firstWrite.Seconds(), drained.Seconds(),
		load.accepted.Load(), orders, len(load.baskets))
	if got := load.accepted.Load(); int64(orders) < got {
		t.Errorf("%d orders for %d accepted checkouts", orders, got)
	}
}

// TestSQSOutage takes the SQS emulator away from the binary in AWS mode
// while checkouts go on, and gives it back: the relay keeps each checkout
// in the outbox while EventBridge cannot deliver it to the queue, the
// consumer resumes polling, and every accepted checkout becomes exactly one
// order. fauxqs keeps its queues in memory only, so they are recreated on
// restart as a real SQS would still have them (empty: the test lets the
// queues drain before the outage, so no message is lost to the emulator).
func TestSQSOutage(t *testing.T) {
	emu := testenv.StartSQS(t)
	sqsClient := sqs.NewFromConfig(testenv.AWSConfig(t, emu.Endpoint))
	env, recreate := faultAWSEnv(t, testenv.DynamoDBEndpoint(t), emu.Endpoint, sqsClient)
	shop, product := primedShop(t, env)

	load := startFaultLoad(t, shop, product, "s", 3)
	shoptest.Eventually(t, 60*time.Second, func() bool { return load.accepted.Load() >= 10 }, "no checkouts accepted before the outage")
	// Let what is queued now reach the orders, as the emulator forgets it.
	load.Stop()
	shoptest.Eventually(t, 60*time.Second, func() bool { return outboxPending(shop) == 0 }, "the outbox never drained before the outage")
	load.verify(t, shop)

	load = startFaultLoad(t, shop, product, "t", 3)
	emu.Stop(t)
	down := time.Now()
	acceptedBefore := load.accepted.Load()
	shoptest.Eventually(t, 60*time.Second, func() bool { return load.accepted.Load()-acceptedBefore >= 10 && outboxPending(shop) > 0 },
		"checkouts were not accepted, or not held in the outbox, while SQS was down")
	emu.Start(t)
	recreate()
	back := time.Now()
	acceptedDown := load.accepted.Load() - acceptedBefore
	pendingAtRestart := outboxPending(shop)
	load.Stop()

	shoptest.Eventually(t, 90*time.Second, func() bool { return outboxPending(shop) == 0 }, "the outbox never drained after SQS came back")
	drained := time.Since(back)
	orders := load.verify(t, shop)
	t.Logf("FIGURES SQS down %.1fs: %d checkouts accepted (202) while down, %d events held in the outbox at restart; "+
		"outbox drained %.1fs after SQS was back; %d accepted checkouts → %d orders; %d writes refused",
		back.Sub(down).Seconds(), acceptedDown, pendingAtRestart, drained.Seconds(), load.accepted.Load(), orders, load.refused.Load())
	if load.refused.Load() != 0 {
		t.Errorf("%d writes refused while only SQS was down; the store was up", load.refused.Load())
	}
}
