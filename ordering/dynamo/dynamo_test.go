package dynamo_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/serverless-shop/shop/ordering"
	orderingdynamo "github.com/serverless-shop/shop/ordering/dynamo"
	"github.com/serverless-shop/shop/ordering/storetest"
	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/testenv"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ordering.Store { return MustNew(t) })
}

// MustNew returns a store over a fresh, uniquely named table in DynamoDB
// Local, deleted when tb ends.
func MustNew(tb testing.TB) *orderingdynamo.Store {
	tb.Helper()
	client := dynamodb.NewFromConfig(testenv.AWSConfig(tb, testenv.DynamoDBEndpoint(tb)))
	table := testenv.UniqueName(tb, "order")
	if err := dynamo.EnsureTable(context.Background(), client, orderingdynamo.TableInput(table)); err != nil {
		tb.Fatalf("EnsureTable: %v", err)
	}
	testenv.DeleteTablesAtCleanup(tb, client, table)
	return orderingdynamo.New(client, table)
}
