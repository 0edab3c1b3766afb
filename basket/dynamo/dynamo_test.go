package dynamo_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	basketdynamo "github.com/serverless-shop/shop/basket/dynamo"
	"github.com/serverless-shop/shop/basket/storetest"
	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/platform/testenv"
)

func TestStore(t *testing.T) {
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.DynamoDBEndpoint(t)))
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		baskets, catalog, outboxTable := testenv.UniqueName(t, "basket"), testenv.UniqueName(t, "catalog"), testenv.UniqueName(t, "outbox")
		inputs := append(basketdynamo.TableInputs(baskets, catalog), outbox.TableInput(outboxTable))
		for _, in := range inputs {
			if err := dynamo.EnsureTable(context.Background(), db, in); err != nil {
				t.Fatal(err)
			}
		}
		ob := outbox.NewDynamoStore(db, outboxTable, "basket")
		return storetest.Backend{Store: basketdynamo.New(db, baskets, catalog, ob), Outbox: ob}
	})
}
