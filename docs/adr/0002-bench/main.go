//go:build ignore

// Command bench is the measurement behind ADR 0002, kept out of the shop by
// its build tag: `go run docs/adr/0002-bench/main.go ENDPOINT [10s] [lambda]`
// against a DynamoDB Local of its own. On it, the client CPU and drain time of
// product creates whose events go (a) through the shop's outbox (the real
// product service, DynamoDB store, outbox table and relay, publishing to a
// no-op bus), or (b) a PutItem on a table with a stream, read back by a
// stream reader that turns each new image into the same envelope.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/rs/zerolog"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/product"
	productdynamo "github.com/serverless-shop/shop/product/dynamo"
)

var writers = 32

// syncFlush flushes the outbox in each write, as cmd/shop does on Lambda.
var syncFlush bool

// calls counts the AWS calls by operation (X-Amz-Target).
type calls struct {
	mu sync.Mutex
	n  map[string]int
	hc aws.HTTPClient
}

func (c *calls) Do(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[r.Header.Get("X-Amz-Target")]++
	c.mu.Unlock()
	return c.hc.Do(r)
}

func (c *calls) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

type nopBus struct{ n atomic.Int64 }

func (b *nopBus) Publish(_ context.Context, es ...bus.Envelope) error {
	b.n.Add(int64(len(es)))
	return nil
}

func cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func newProduct(i int) product.Product {
	return product.Product{Name: fmt.Sprintf("proto %d", i), Description: "A product made by streamproto.",
		ImageFile: "p.png", Price: 12345, Category: fmt.Sprintf("c-%d", i%10)}
}

// writeAll runs n writes on 32 writers for at most d and returns how many.
func writeAll(d time.Duration, write func(i int) error) int64 {
	var next, done atomic.Int64
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for time.Now().Before(end) {
				if err := write(int(next.Add(1))); err != nil {
					panic(err)
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return done.Load()
}

func report(name string, n int64, c0 time.Duration, writeEnd time.Time, cWrite time.Duration, drained time.Time, cAll time.Duration) {
	fmt.Printf("%s, %d writers: %d writes, %.0f/s; client CPU %.0f µs per write to the writers' end, %.0f µs with the events; events drained %.2f s after\n",
		name, writers, n, float64(n)/dur.Seconds(), float64((cWrite-c0).Microseconds())/float64(n),
		float64((cAll-c0).Microseconds())/float64(n), drained.Sub(writeEnd).Seconds())
}

var dur = 10 * time.Second

func main() {
	ctx := context.Background()
	endpoint := os.Args[1]
	if len(os.Args) > 2 {
		dur, _ = time.ParseDuration(os.Args[2])
	}
	if len(os.Args) > 3 && os.Args[3] == "lambda" {
		writers, syncFlush = 1, true
	}
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) { t.MaxIdleConnsPerHost, t.MaxIdleConns = 256, 256 })
	cc := &calls{n: map[string]int{}, hc: hc}
	creds := credentials.NewStaticCredentialsProvider("x", "x", "")
	db := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds, HTTPClient: cc})
	st := dynamodbstreams.New(dynamodbstreams.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds, HTTPClient: cc})
	sfx := fmt.Sprint(time.Now().Unix())
	prodA, obA, prodB := "proto-a-product-"+sfx, "proto-a-outbox-"+sfx, "proto-b-product-"+sfx
	inB := productdynamo.TableInput(prodB)
	inB.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage}
	for _, in := range []*dynamodb.CreateTableInput{productdynamo.TableInput(prodA), outbox.TableInput(obA), inB} {
		if err := dynamo.EnsureTable(ctx, db, in); err != nil {
			panic(err)
		}
		defer db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: in.TableName})
	}

	// (a) the outbox, as cmd/shop wires it.
	{
		pub := &nopBus{}
		dob := outbox.NewDynamoStore(db, obA, "product")
		relay := outbox.NewRelay(dob, pub, 2*time.Second, zerolog.Nop())
		svc := product.NewService(productdynamo.New(db, prodA, dob), "proto", relay.Notify)
		rctx, stop := context.WithCancel(ctx)
		if !syncFlush {
			go relay.Run(rctx)
		}
		cc.take()
		c0 := cpu()
		n := writeAll(dur, func(i int) error {
			if _, err := svc.Create(ctx, newProduct(i)); err != nil {
				return err
			}
			if syncFlush {
				return relay.FlushNotified(ctx)
			}
			return nil
		})
		wEnd, cW := time.Now(), cpu()
		for pub.n.Load() < n {
			time.Sleep(5 * time.Millisecond)
		}
		drained, cA := time.Now(), cpu()
		stop()
		report("outbox (transaction, query, publish, delete)", n, c0, wEnd, cW, drained, cA)
		fmt.Println("  calls:", perWrite(cc.take(), n))
	}

	// (b) a stream: one conditional PutItem, a reader polling GetRecords.
	{
		pub := &nopBus{}
		d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(prodB)})
		if err != nil {
			panic(err)
		}
		arn := d.Table.LatestStreamArn
		rctx, stop := context.WithCancel(ctx)
		var rwg sync.WaitGroup
		rwg.Go(func() { readStream(rctx, st, arn, pub) })
		cc.take()
		c0 := cpu()
		n := writeAll(dur, func(i int) error {
			p := newProduct(i)
			p.ID, p.Version, p.CreatedAt, p.UpdatedAt = fmt.Sprintf("b-%d", i), 1, time.Now(), time.Now()
			item, err := attributevalue.MarshalMapWithOptions(p, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" })
			if err != nil {
				return err
			}
			_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(prodB), Item: item,
				ConditionExpression: aws.String("attribute_not_exists(id)")})
			return err
		})
		wEnd, cW := time.Now(), cpu()
		for pub.n.Load() < n {
			time.Sleep(5 * time.Millisecond)
		}
		drained, cA := time.Now(), cpu()
		stop()
		rwg.Wait()
		report("stream (PutItem, GetRecords, publish)", n, c0, wEnd, cW, drained, cA)
		fmt.Println("  calls:", perWrite(cc.take(), n))
	}
}

// readStream reads every shard of the stream from its start, as one
// reader per table would, and publishes each new image as an event.
func readStream(ctx context.Context, st *dynamodbstreams.Client, arn *string, pub bus.Publisher) {
	its := map[string]*string{}
	for ctx.Err() == nil {
		ds, err := st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
		if err != nil {
			panic(err)
		}
		for _, sh := range ds.StreamDescription.Shards {
			if _, ok := its[*sh.ShardId]; ok {
				continue
			}
			it, err := st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: sh.ShardId,
				ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
			if err != nil {
				panic(err)
			}
			its[*sh.ShardId] = it.ShardIterator
		}
		got := 0
		for id, it := range its {
			if it == nil {
				continue
			}
			out, err := st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(1000)})
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				// DynamoDB Local sometimes answers a fresh TRIM_HORIZON
				// iterator so: take a new one on the next round.
				var trimmed *stypes.TrimmedDataAccessException
				if errors.As(err, &trimmed) {
					delete(its, id)
					fmt.Fprintln(os.Stderr, "retrying shard after:", err)
					continue
				}
				panic(err)
			}
			its[id] = out.NextShardIterator
			got += len(out.Records)
			var es []bus.Envelope
			for _, r := range out.Records {
				var p product.Product
				img, err := attributevalue.FromDynamoDBStreamsMap(r.Dynamodb.NewImage)
				if err == nil {
					err = attributevalue.UnmarshalMapWithOptions(img, &p, func(o *attributevalue.DecoderOptions) { o.TagKey = "json" })
				}
				if err != nil {
					panic(err)
				}
				detail, _ := json.Marshal(p)
				es = append(es, bus.Envelope{ID: *r.EventID, Source: "proto", DetailType: "ProductCreated", Time: time.Now(), Detail: detail})
			}
			if len(es) > 0 {
				_ = pub.Publish(ctx, es...)
			}
		}
		if got == 0 {
			// An idle stream is polled four times a second, as Lambda's
			// event source mapping does.
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
}

func perWrite(m map[string]int, n int64) string {
	out := ""
	for k, v := range m {
		out += fmt.Sprintf("%s %.3f/write (%d); ", k, float64(v)/float64(n), v)
	}
	return out
}
