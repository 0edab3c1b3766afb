package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/testenv"
	"github.com/serverless-shop/shop/product"
	"github.com/serverless-shop/shop/product/storetest"
)

func TestStore(t *testing.T) {
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.DynamoDBEndpoint(t)))
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		b, _ := storetest.MustDynamo(t, db)
		return b
	})
}

func noop(p *product.Product) ([]bus.Envelope, error) {
	p.Version++
	return []bus.Envelope{mustEvent(p)}, nil
}

func mustEvent(p *product.Product) bus.Envelope {
	e, err := bus.New("e-"+p.ID+"-"+fmt.Sprint(p.Version), "test", product.EventUpdated,
		product.Event{ProductID: p.ID, Price: p.Price.String(), Version: p.Version})
	if err != nil {
		panic(err)
	}
	return e
}

// TestTransactionConflictIsLostRace: a product write whose transaction
// DynamoDB cancels for a TransactionConflict returns errs.ErrLostRace, and
// nothing of it is stored: not the change, not its events. The conflict is
// injected (storetest.ConflictingDB says why); the writes that follow reach
// DynamoDB Local.
func TestTransactionConflictIsLostRace(t *testing.T) {
	b, db := storetest.MustConflicting(t)
	ctx := context.Background()

	db.Conflicts.Store(1)
	lost := storetest.NewProduct("A", "Phone", 100)
	if err := b.Store.Create(ctx, lost, []bus.Envelope{mustEvent(lost)}); !errors.Is(err, errs.ErrLostRace) {
		t.Fatalf("Create: got %v, want errs.ErrLostRace", err)
	}
	if _, err := b.Store.Get(ctx, lost.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Get after the cancelled Create: got %v, want not_found", err)
	}

	p := storetest.MustCreate(t, b.Store, "B", "Phone", 100)
	db.Conflicts.Store(1)
	if _, err := b.Store.Update(ctx, p.ID, noop); !errors.Is(err, errs.ErrLostRace) {
		t.Fatalf("Update: got %v, want errs.ErrLostRace", err)
	}
	db.Conflicts.Store(1)
	if err := b.Store.Delete(ctx, p.ID, noop); !errors.Is(err, errs.ErrLostRace) {
		t.Fatalf("Delete: got %v, want errs.ErrLostRace", err)
	}
	if got, err := b.Store.Get(ctx, p.ID); err != nil || got.Version != 1 {
		t.Fatalf("Get after the cancelled Update and Delete: got %+v, %v; want version 1", got, err)
	}
	if pending, err := b.Outbox.Pending(ctx, 100); err != nil || len(pending) != 1 {
		t.Fatalf("outbox holds %d events (%v), want only the one of the stored product", len(pending), err)
	}
	if _, err := b.Store.Update(ctx, p.ID, noop); err != nil {
		t.Fatalf("Update once the conflict is over: %v", err)
	}
}

// TestDynamoDBLocalSerialisesTransactions is the evidence behind
// storetest.ConflictingDB: transactions on one item in parallel, which
// DynamoDB may cancel for a TransactionConflict, all succeed on DynamoDB
// Local. Should a later emulator cancel one, this fails, and the suites can
// use the real conflict instead of the injected one.
func TestDynamoDBLocalSerialisesTransactions(t *testing.T) {
	db := dynamodb.NewFromConfig(testenv.AWSConfig(t, testenv.DynamoDBEndpoint(t)))
	b, table := storetest.MustDynamo(t, db)
	p := storetest.MustCreate(t, b.Store, "A", "Phone", 100)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			_, err := db.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Update: &types.Update{TableName: &table, Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: p.ID}},
					UpdateExpression:          aws.String("SET touchedBy = :i"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":i": &types.AttributeValueMemberN{Value: fmt.Sprint(i)}}}},
				{Put: &types.Put{TableName: &table, Item: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: fmt.Sprint("other-", i)}}}},
			}})
			if err != nil {
				t.Errorf("transaction %d: %v (DynamoDB Local now cancels parallel transactions: use the real conflict)", i, err)
			}
		})
	}
	wg.Wait()
}
