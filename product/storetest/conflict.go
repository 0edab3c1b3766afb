package storetest

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-shop/shop/platform/dynamo"
)

// ConflictingDB is a real DynamoDB client (DynamoDB Local in tests) with one
// fault injected: the next Conflicts calls of TransactWriteItems answer what
// DynamoDB answers when another transaction or write touched one of the
// transaction's items at the same moment — TransactionCanceledException with
// the reason TransactionConflict — without reaching the database; every
// other call goes through.
//
// It is a fake because the emulator cannot produce the fault: DynamoDB Local
// 1.25.1 runs every transaction under table locks (its MultiTableLock) and
// cancels transactions only for ValidationError or ConditionalCheckFailed.
// Two transactions on one item in parallel both succeed, one after the
// other (TestDynamoDBLocalSerialisesTransactions in product/dynamo shows it).
type ConflictingDB struct {
	dynamo.API
	// Conflicts is how many of the next TransactWriteItems calls fail.
	Conflicts atomic.Int64
	// Calls counts every TransactWriteItems call, failed or not.
	Calls atomic.Int64
}

// TransactWriteItems implements dynamo.API.
func (d *ConflictingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	d.Calls.Add(1)
	if d.Conflicts.Add(-1) < 0 {
		d.Conflicts.Add(1)
		return d.API.TransactWriteItems(ctx, in, opts...)
	}
	// One reason per item, in order; the first item (the product) met the
	// other writer, the rest were not evaluated.
	reasons := make([]types.CancellationReason, len(in.TransactItems))
	for i := range reasons {
		reasons[i] = types.CancellationReason{Code: aws.String("None")}
	}
	reasons[0] = types.CancellationReason{Code: aws.String("TransactionConflict"),
		Message: aws.String("Transaction is ongoing for the item")}
	return nil, fmt.Errorf("operation error DynamoDB: TransactWriteItems, %w", &types.TransactionCanceledException{
		Message:             aws.String("Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]"),
		CancellationReasons: reasons,
	})
}
