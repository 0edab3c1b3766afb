package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"

	"github.com/serverless-shop/shop/basket"
	basketdynamo "github.com/serverless-shop/shop/basket/dynamo"
	"github.com/serverless-shop/shop/basket/storetest"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/platform/testenv"
)

func TestStore(t *testing.T) {
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.DynamoDBEndpoint(t)))
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		store, ob := MustStore(t, db, db)
		return storetest.Backend{Store: store, Outbox: ob}
	})
}

// MustStore creates the basket's tables and an outbox table on DynamoDB
// Local, deleted when t ends (the emulator is shared), and returns the
// store over them, reached through api.
func MustStore(t *testing.T, db *dynamodb.Client, api dynamo.API) (*basketdynamo.Store, *outbox.DynamoStore) {
	t.Helper()
	baskets, catalog, outboxTable := testenv.UniqueName(t, "basket"), testenv.UniqueName(t, "catalog"), testenv.UniqueName(t, "outbox")
	testenv.DeleteTablesAtCleanup(t, db, baskets, catalog, outboxTable)
	for _, in := range append(basketdynamo.TableInputs(baskets, catalog), outbox.TableInput(outboxTable)) {
		if err := dynamo.EnsureTable(context.Background(), db, in); err != nil {
			t.Fatal(err)
		}
	}
	ob := outbox.NewDynamoStore(db, outboxTable, "basket")
	return basketdynamo.New(api, baskets, catalog, ob), ob
}

// tombstone is b checked out now, as the service makes it.
func tombstone(b *basket.Basket) *basket.Basket {
	t := *b
	now := time.Now().UTC()
	t.Status, t.CheckedOutAt, t.ExpiresAt = basket.StatusCheckedOut, now, basket.Expiry(now, basket.TombstoneTTL)
	return &t
}

// event is a checkout event of b.
func event(tb testing.TB, b *basket.Basket) bus.Envelope {
	tb.Helper()
	e, err := bus.New(uuid.NewString(), "test", "CheckoutBasket", basket.CheckoutEvent{CheckoutID: b.CheckoutID, UserName: b.UserName})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}
