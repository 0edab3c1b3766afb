package dynamo_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/platform/testenv"
	productdynamo "github.com/serverless-shop/shop/product/dynamo"
	"github.com/serverless-shop/shop/product/storetest"
)

func TestStore(t *testing.T) {
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.DynamoDBEndpoint(t)))
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		table, obTable := testenv.UniqueName(t, "product"), testenv.UniqueName(t, "outbox")
		for _, in := range []*dynamodb.CreateTableInput{productdynamo.TableInput(table), outbox.TableInput(obTable)} {
			if err := dynamo.EnsureTable(t.Context(), db, in); err != nil {
				t.Fatal(err)
			}
		}
		ob := outbox.NewDynamoStore(db, obTable, "product")
		return storetest.Backend{Store: productdynamo.New(db, table, ob), Outbox: ob}
	})
}
