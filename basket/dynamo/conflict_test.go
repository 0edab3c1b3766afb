package dynamo_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-shop/shop/basket"
	"github.com/serverless-shop/shop/basket/storetest"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/testenv"
)

// TestCheckOutRaceIsLostRace races checkouts of one basket on DynamoDB
// Local: one transaction commits, every other is cancelled by DynamoDB for
// its failed condition, and the adapter answers each with errs.ErrLostRace.
func TestCheckOutRaceIsLostRace(t *testing.T) {
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.DynamoDBEndpoint(t)))
	store, ob := MustStore(t, db, db)
	b := storetest.MustPut(t, store, "swn", basket.Item{ProductID: "p", Quantity: 1})
	const n = 8
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i] = store.CheckOut(context.Background(), tombstone(b), nil, []bus.Envelope{event(t, b)})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range results {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, errs.ErrLostRace):
			t.Fatalf("CheckOut = %v, want errs.ErrLostRace", err)
		}
	}
	if ok != 1 || len(storetest.MustPending(t, ob)) != 1 {
		t.Fatalf("%d checkouts succeeded, want 1 with one event", ok)
	}
}

// conflictOnce cancels the first TransactWriteItems as DynamoDB does when
// another transaction holds one of its items (a TransactionCanceledException
// whose reasons say TransactionConflict) and passes every other call to
// DynamoDB Local. It is a fake because DynamoDB Local cannot be made to
// conflict: it runs transactions one at a time (sixteen writers racing 800
// transactions on one item there met no conflict, and its engine has no
// path that raises one; only its exception table names the code).
type conflictOnce struct {
	dynamo.API
	fired atomic.Bool
}

func (c *conflictOnce) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if !c.fired.Swap(true) {
		reasons := make([]types.CancellationReason, len(in.TransactItems))
		for i := range reasons {
			reasons[i] = types.CancellationReason{Code: aws.String("None")}
		}
		reasons[0] = types.CancellationReason{Code: aws.String("TransactionConflict"),
			Message: aws.String("Transaction is ongoing for the item")}
		return nil, &types.TransactionCanceledException{Message: aws.String("Transaction cancelled"), CancellationReasons: reasons}
	}
	return c.API.TransactWriteItems(ctx, in, opts...)
}

// TestCheckOutTransactionConflict: a checkout transaction cancelled for a
// TransactionConflict is errs.ErrLostRace, naming the operation and the
// user, and leaves the basket open and the outbox empty.
func TestCheckOutTransactionConflict(t *testing.T) {
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.DynamoDBEndpoint(t)))
	store, ob := MustStore(t, db, &conflictOnce{API: db})
	b := storetest.MustPut(t, store, "swn", basket.Item{ProductID: "p", Quantity: 1})
	err := store.CheckOut(context.Background(), tombstone(b), nil, []bus.Envelope{event(t, b)})
	if !errors.Is(err, errs.ErrLostRace) || err.Error() != "check out basket of swn: "+errs.ErrLostRace.Error() {
		t.Fatalf("CheckOut = %v, want errs.ErrLostRace naming the operation and the user", err)
	}
	if got, err := store.Get(context.Background(), "swn"); err != nil || !got.Open() || len(storetest.MustPending(t, ob)) != 0 {
		t.Fatalf("after the conflict: %+v, %v; want the basket open and no event", got, err)
	}
}

// TestServiceRetriesTransactionConflict: the service re-reads after a
// transaction conflict and checks out once, under the key too.
func TestServiceRetriesTransactionConflict(t *testing.T) {
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.DynamoDBEndpoint(t)))
	store, ob := MustStore(t, db, &conflictOnce{API: db})
	storetest.MustProduct(t, store, "p1", "IPhone X", "950.40", 1)
	svc := basket.NewService(store, basket.DefaultCheckoutSource, basket.DefaultCheckoutDetailType, nil)
	ctx := context.Background()
	if _, _, err := svc.Put(ctx, basket.Basket{UserName: "swn", Items: []basket.Item{{ProductID: "p1", Quantity: 2}}}); err != nil {
		t.Fatal(err)
	}
	r, err := svc.Checkout(ctx, basket.CheckoutRequest{UserName: "swn", IdempotencyKey: "k"})
	if err != nil || r.TotalPrice != 190080 {
		t.Fatalf("Checkout after a conflict = %+v, %v; want total 1900.80", r, err)
	}
	if rec := storetest.MustKeyedReceipt(t, store, "swn", "k"); rec.Receipt.CheckoutID != r.CheckoutID {
		t.Fatalf("key records %+v, want %s", rec, r.CheckoutID)
	}
	if n := len(storetest.MustPending(t, ob)); n != 1 {
		t.Fatalf("outbox holds %d events, want 1", n)
	}
}
