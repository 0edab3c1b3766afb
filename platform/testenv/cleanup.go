package testenv

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableDeleter is the part of the DynamoDB client DeleteTablesAtCleanup uses.
type TableDeleter interface {
	DeleteTable(ctx context.Context, in *dynamodb.DeleteTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error)
}

// DeleteTablesAtCleanup deletes the named tables when the test ends, so a
// shared DynamoDB Local does not fill up with every run's tables (a listing
// then spans pages, and the emulator slows). A table that was never created
// is not an error; any other failure to delete one fails the test.
func DeleteTablesAtCleanup(tb testing.TB, client TableDeleter, names ...string) {
	tb.Helper()
	tb.Cleanup(func() {
		for _, name := range names {
			_, err := client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
			var rnf *types.ResourceNotFoundException
			if err != nil && !errors.As(err, &rnf) {
				tb.Errorf("testenv: delete table %s: %v", name, err)
			}
		}
	})
}
