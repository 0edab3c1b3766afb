package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/cenkalti/backoff/v5"

	"github.com/serverless-shop/shop/platform/dynamo"
)

// batchWriteMax is how many requests one BatchWriteItem call takes.
const batchWriteMax = 25

// unprocessedTries bounds the calls that resend a batch's unprocessed
// items; those still left are published again later, which is harmless.
const unprocessedTries = 8

// Remove implements Store: BatchWriteItem, 25 deletes a call, resending
// unprocessed items (throttling) with backoff.
func (s *DynamoStore) Remove(ctx context.Context, ids ...string) error {
	// A BatchWriteItem takes 25 deletes; the batches go at once, so that a
	// sweep of 100 waits for one round trip rather than four.
	var (
		wg     sync.WaitGroup
		failed = make([]error, (len(ids)+batchWriteMax-1)/batchWriteMax)
	)
	for i := 0; len(ids) > 0; i++ {
		n := min(len(ids), batchWriteMax)
		reqs := make([]types.WriteRequest, n)
		for j, id := range ids[:n] {
			reqs[j] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: s.key(s.stream, id)}}
		}
		wg.Go(func() { failed[i] = s.batchWrite(ctx, reqs) })
		ids = ids[n:]
	}
	wg.Wait()
	return errors.Join(failed...)
}

// errUnprocessed is why a batch is sent again.
var errUnprocessed = errors.New("unprocessed items")

func (s *DynamoStore) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{s.table: reqs},
		})
		if err != nil {
			// The SDK has retried the call itself already.
			return struct{}{}, backoff.Permanent(dynamo.Wrap(err, "delete outbox items of "+s.stream))
		}
		if reqs = out.UnprocessedItems[s.table]; len(reqs) > 0 {
			return struct{}{}, fmt.Errorf("delete outbox items of %s: %d %w", s.stream, len(reqs), errUnprocessed)
		}
		return struct{}{}, nil
	}, backoff.WithBackOff(&backoff.ExponentialBackOff{InitialInterval: 50 * time.Millisecond,
		RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: 2 * time.Second}),
		backoff.WithMaxTries(unprocessedTries), backoff.WithMaxElapsedTime(0))
	return err
}

// Fail implements Store: an update of a waiting item, or a transaction
// that moves it to the dead stream; both are conditional on the item still
// waiting, and a failed condition means another relay published it.
func (s *DynamoStore) Fail(ctx context.Context, failures ...Failure) error {
	for _, f := range failures {
		exists := aws.String("attribute_exists(id)")
		var err error
		if f.Dead {
			err = s.bury(ctx, f, exists)
		} else {
			_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName:           &s.table,
				Key:                 s.key(s.stream, f.ID),
				UpdateExpression:    aws.String("SET attempts = :a, last_error = :e, next_at = :n"),
				ConditionExpression: exists,
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":a": numberAttr(int64(f.Attempts)),
					":e": &types.AttributeValueMemberS{Value: f.LastError},
					":n": numberAttr(f.NextAt.UnixNano()),
				},
			})
		}
		if err != nil && !dynamo.LostRace(err) {
			return dynamo.Wrap(err, fmt.Sprintf("record refusal of outbox event %s/%s", s.stream, f.ID))
		}
	}
	return nil
}

// bury moves a waiting item to the dead stream in one transaction.
func (s *DynamoStore) bury(ctx context.Context, f Failure, exists *string) error {
	got, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: s.key(s.stream, f.ID), ConsistentRead: aws.Bool(true)})
	if err != nil || got.Item == nil {
		return err
	}
	dead := s.key(s.deadStream(), f.ID)
	dead["event"] = got.Item["event"]
	dead["attempts"] = numberAttr(int64(f.Attempts))
	dead["last_error"] = &types.AttributeValueMemberS{Value: f.LastError}
	dead["failed_at"] = numberAttr(f.At.UnixNano())
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.table, Key: s.key(s.stream, f.ID), ConditionExpression: exists}},
		{Put: &types.Put{TableName: &s.table, Item: dead}},
	}})
	return err
}

// DeadLetters implements Store.
func (s *DynamoStore) DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error) {
	items, err := s.items(ctx, s.query(s.deadStream()), limit)
	if err != nil {
		return nil, err
	}
	out := make([]DeadLetter, len(items))
	for i, it := range items {
		r, err := record(it)
		if err != nil {
			return nil, fmt.Errorf("outbox dead letter of %s: %w", s.stream, err)
		}
		out[i] = DeadLetter{Envelope: r.Envelope, Attempts: r.Attempts, LastError: r.LastError,
			FailedAt: time.Unix(0, number(it["failed_at"])).UTC()}
	}
	return out, nil
}

// Revive implements Store: one transaction per dead letter moves it back,
// conditional on it still being dead, so two operators replaying at once
// revive it once.
func (s *DynamoStore) Revive(ctx context.Context, id *string) (int, error) {
	var items []map[string]types.AttributeValue
	if id != nil {
		got, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: s.key(s.deadStream(), *id), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return 0, dynamo.Wrap(err, "read outbox dead letter "+s.stream+"/"+*id)
		}
		if got.Item != nil {
			items = append(items, got.Item)
		}
	} else {
		var err error
		if items, err = s.items(ctx, s.query(s.deadStream()), 0); err != nil {
			return 0, err
		}
	}
	n := 0
	for _, it := range items {
		r, err := record(it)
		if err != nil {
			return n, fmt.Errorf("outbox dead letter of %s: %w", s.stream, err)
		}
		v, err := json.Marshal(r.Envelope)
		if err != nil {
			return n, err
		}
		back := s.key(s.stream, r.ID)
		back["event"] = &types.AttributeValueMemberS{Value: string(v)}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Delete: &types.Delete{TableName: &s.table, Key: s.key(s.deadStream(), r.ID), ConditionExpression: aws.String("attribute_exists(id)")}},
			{Put: &types.Put{TableName: &s.table, Item: back}},
		}})
		if dynamo.LostRace(err) {
			continue
		}
		if err != nil {
			return n, dynamo.Wrap(err, "replay outbox dead letter "+s.stream+"/"+r.ID)
		}
		n++
	}
	return n, nil
}
