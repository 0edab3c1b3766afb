package storetest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/platform/testenv"
	"github.com/serverless-shop/shop/product/bolt"
	productdynamo "github.com/serverless-shop/shop/product/dynamo"
)

// MustBolt returns a store in a fresh bbolt file, closed when tb ends.
func MustBolt(tb testing.TB) Backend {
	tb.Helper()
	s, err := bolt.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return Backend{Store: s, Outbox: outbox.NewBoltStore(s.DB()), SerialWrites: true}
}

// MustDynamo returns a store over db (DynamoDB Local, or a wrapper of it)
// in a fresh product table and outbox table, both deleted when tb ends:
// the emulator is shared, and a listing of its tables holds 100 names a
// page. It also returns the product table's name.
func MustDynamo(tb testing.TB, db dynamo.API) (Backend, string) {
	tb.Helper()
	raw := dynamodb.NewFromConfig(testenv.AWSConfig(tb, testenv.DynamoDBEndpoint(tb)))
	table, obTable := testenv.UniqueName(tb, "product"), testenv.UniqueName(tb, "outbox")
	for _, in := range []*dynamodb.CreateTableInput{productdynamo.TableInput(table), outbox.TableInput(obTable)} {
		if err := dynamo.EnsureTable(context.Background(), raw, in); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() {
			if _, err := raw.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: in.TableName}); err != nil {
				tb.Errorf("delete table %s: %v", *in.TableName, err)
			}
		})
	}
	ob := outbox.NewDynamoStore(db, obTable, "product")
	return Backend{Store: productdynamo.New(db, table, ob), Outbox: ob}, table
}

// MustConflicting returns a DynamoDB Local store whose transactions can be
// made to conflict (ConflictingDB), and that client.
func MustConflicting(tb testing.TB) (Backend, *ConflictingDB) {
	tb.Helper()
	db := &ConflictingDB{API: dynamodb.NewFromConfig(testenv.AWSConfig(tb, testenv.DynamoDBEndpoint(tb)))}
	b, _ := MustDynamo(tb, db)
	return b, db
}
