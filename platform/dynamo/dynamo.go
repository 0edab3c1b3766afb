// Package dynamo holds what every module's DynamoDB adapter shares: table
// creation for local use, error mapping and cursor conversion.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/page"
)

// API is the part of the DynamoDB client the adapters use.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// ConditionFailed reports whether err is a failed condition expression, on a
// single write or inside a transaction.
func ConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf) || cancelledFor(err, "ConditionalCheckFailed")
}

// LostRace reports whether err means the write lost to a concurrent one: a
// failed condition, or a transaction cancelled because another transaction
// or write touched one of its items at the same time.
func LostRace(err error) bool {
	var tce *types.TransactionConflictException
	return ConditionFailed(err) || errors.As(err, &tce) || cancelledFor(err, "TransactionConflict")
}

// cancelledFor reports whether err is a cancelled transaction with code among
// its cancellation reasons.
func cancelledFor(err error, code string) bool {
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		return false
	}
	for _, r := range tc.CancellationReasons {
		if r.Code != nil && *r.Code == code {
			return true
		}
	}
	return false
}

// Wrap maps a DynamoDB error onto the shop's error vocabulary, naming the
// operation: a lost race is errs.ErrLostRace (a conflict); a missing table,
// throttling, a 5xx from the service and a DynamoDB that cannot be reached
// (see Unreachable) are unavailable, so a client is answered 503 with
// Retry-After, not 500. The request's own cancellation is left as it is: the
// HTTP layer tells a client that hung up from a failure.
func Wrap(err error, op string) error {
	if err == nil {
		return nil
	}
	var (
		rnf      *types.ResourceNotFoundException
		throttle *types.ProvisionedThroughputExceededException
	)
	switch {
	case LostRace(err):
		return fmt.Errorf("%s: %w", op, errs.ErrLostRace)
	case errors.As(err, &rnf), errors.As(err, &throttle), Unreachable(err):
		return fmt.Errorf("%s: %w", op, &errs.Error{Code: errs.Unavailable, Message: err.Error()})
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
}

// Unreachable reports whether err means DynamoDB could not be asked or did
// not answer, as opposed to refusing the request: the request was not sent
// or its answer never came (dial refused, connection reset, a timeout, the
// SDK's retry quota spent on such failures), or the service answered 5xx or
// throttled. Each may succeed when tried again later.
func Unreachable(err error) bool {
	var (
		send  *smithyhttp.RequestSendError
		op    *net.OpError
		nerr  net.Error
		quota ratelimit.QuotaExceededError
		resp  *awshttp.ResponseError
		api   smithy.APIError
	)
	switch {
	case errors.Is(err, context.Canceled):
		// The caller gave up; DynamoDB may be fine.
		return false
	case errors.As(err, &send), errors.As(err, &op), errors.As(err, &quota):
		return true
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.As(err, &resp) && resp.HTTPStatusCode() >= 500:
		return true
	case errors.As(err, &api):
		switch api.ErrorCode() {
		case "ThrottlingException", "RequestLimitExceeded", "InternalServerError", "ServiceUnavailable":
			return true
		}
	}
	return false
}

// MaxKeyBytes is the longest string the adapters use as a key value: the
// limit of a sort key (a partition key may hold 2048 bytes).
const MaxKeyBytes = 1024

// KeyFits reports whether v can be a key value. DynamoDB rejects an empty or
// over-long key with a ValidationException, which would surface as an
// internal error; an adapter answers "not found" for such a key instead,
// since nothing can be stored under it.
func KeyFits(v string) bool { return v != "" && len(v) <= MaxKeyBytes }

// Cursor turns a LastEvaluatedKey of string attributes into a page cursor.
func Cursor(key map[string]types.AttributeValue) page.Cursor {
	if len(key) == 0 {
		return nil
	}
	c := make(page.Cursor, len(key))
	for k, v := range key {
		if s, ok := v.(*types.AttributeValueMemberS); ok {
			c[k] = s.Value
		}
	}
	return c
}

// StartKey turns a page cursor back into an ExclusiveStartKey, nil for none.
func StartKey(c page.Cursor) map[string]types.AttributeValue {
	if len(c) == 0 {
		return nil
	}
	key := make(map[string]types.AttributeValue, len(c))
	for k, v := range c {
		key[k] = &types.AttributeValueMemberS{Value: v}
	}
	return key
}

// EnsureTable creates the table described by in unless it exists, and waits
// until it is active. It is meant for local use (SHOP_CREATE_TABLES).
func EnsureTable(ctx context.Context, c API, in *dynamodb.CreateTableInput) error {
	_, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName})
	var rnf *types.ResourceNotFoundException
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &rnf):
		return fmt.Errorf("describe table %s: %w", *in.TableName, err)
	}
	if in.BillingMode == "" {
		in.BillingMode = types.BillingModePayPerRequest
	}
	if _, err := c.CreateTable(ctx, in); err != nil {
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) {
			return fmt.Errorf("create table %s: %w", *in.TableName, err)
		}
	}
	for {
		out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName})
		if err == nil && out.Table.TableStatus == types.TableStatusActive {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("table %s not active: %w", *in.TableName, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Ping checks the tables are reachable, for readiness. The tables are
// described at once, so readiness costs one round trip however many tables
// a store keeps (a cold start on Lambda waits for it); the error joins
// those of every table that failed.
func Ping(ctx context.Context, c API, tables ...string) error {
	if len(tables) == 1 {
		return describe(ctx, c, tables[0])
	}
	errsOut := make([]error, len(tables))
	var wg sync.WaitGroup
	for i, table := range tables {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errsOut[i] = describe(ctx, c, table)
		}()
	}
	wg.Wait()
	return errors.Join(errsOut...)
}

func describe(ctx context.Context, c API, table string) error {
	_, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
	return Wrap(err, "describe table "+table)
}
