package dynamo_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/testenv"
)

// barrier passes DescribeTable calls on to the real client only once n of
// them are waiting at the same time: a Ping that described its tables one
// after the other would never get past the first.
type barrier struct {
	dynamo.API
	mu      sync.Mutex
	waiting int
	n       int
	all     chan struct{}
}

func (b *barrier) DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	b.mu.Lock()
	if b.waiting++; b.waiting == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return b.API.DescribeTable(ctx, in, opts...)
}

// mustTable creates a table on DynamoDB Local, deleted when the test ends.
func mustTable(tb testing.TB, c *dynamodb.Client, name string) {
	tb.Helper()
	testenv.DeleteTablesAtCleanup(tb, c, name)
	err := dynamo.EnsureTable(context.Background(), c, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// TestPingDescribesTablesAtOnce: readiness on DynamoDB costs one round trip
// whatever the number of tables, and names every table that is missing.
func TestPingDescribesTablesAtOnce(t *testing.T) {
	c := client(testenv.DynamoDBEndpoint(t))
	prefix := "ping-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + time.Now().Format("150405.000000") + "-"
	a, b := prefix+"a", prefix+"b"
	mustTable(t, c, a)
	mustTable(t, c, b)

	t.Run("OK", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := dynamo.Ping(ctx, &barrier{API: c, n: 2, all: make(chan struct{})}, a, b); err != nil {
			t.Fatalf("Ping(%s, %s) = %v, want nil (a sequential Ping never passes the barrier)", a, b, err)
		}
	})
	t.Run("ErrMissingTable", func(t *testing.T) {
		missing := prefix + "missing"
		err := dynamo.Ping(context.Background(), c, a, missing, b)
		if got, want := errs.Code(err), errs.Unavailable; got != want {
			t.Fatalf("code %q, want %q (err %v)", got, want, err)
		}
		if !strings.Contains(err.Error(), missing) || strings.Contains(err.Error(), "table "+a) {
			t.Fatalf("error %q should name %s and only it", err, missing)
		}
	})
}

// BenchmarkPingFreshClient is readiness on a cold process: each iteration a
// new client (new connections) describes five tables, one after the other
// as /readyz did, or at once as Ping does.
func BenchmarkPingFreshClient(b *testing.B) {
	ep := testenv.DynamoDBEndpoint(b)
	prefix := "bench-ping-" + time.Now().Format("150405.000000") + "-"
	var tables []string
	for _, n := range []string{"product", "basket", "catalog", "order", "outbox"} {
		tables = append(tables, prefix+n)
		mustTable(b, client(ep), prefix+n)
	}
	b.Run("Sequential", func(b *testing.B) {
		for b.Loop() {
			c := client(ep)
			for _, t := range tables {
				if err := dynamo.Ping(context.Background(), c, t); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("AtOnce", func(b *testing.B) {
		for b.Loop() {
			if err := dynamo.Ping(context.Background(), client(ep), tables...); err != nil {
				b.Fatal(err)
			}
		}
	})
}
