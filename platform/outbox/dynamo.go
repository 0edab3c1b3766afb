package outbox

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/dynamo"
)

// DynamoStore is one module's stream in the shared DynamoDB outbox table
// (pk "stream" S, sk "id" S).
type DynamoStore struct {
	db     dynamo.API
	table  string
	stream string
}

var _ Store = (*DynamoStore)(nil)

// NewDynamoStore returns the outbox stream of one module.
func NewDynamoStore(db dynamo.API, table, stream string) *DynamoStore {
	return &DynamoStore{db: db, table: table, stream: stream}
}

// Put returns the transaction items that write events into this outbox,
// to be committed together with the module's own state change.
func (s *DynamoStore) Put(events ...bus.Envelope) ([]types.TransactWriteItem, error) {
	items := make([]types.TransactWriteItem, 0, len(events))
	for _, e := range events {
		v, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table,
			Item: map[string]types.AttributeValue{
				"stream": &types.AttributeValueMemberS{Value: s.stream},
				"id":     &types.AttributeValueMemberS{Value: e.ID},
				"event":  &types.AttributeValueMemberS{Value: string(v)},
			},
		}})
	}
	return items, nil
}

// Pending implements Store.
func (s *DynamoStore) Pending(ctx context.Context, limit int) ([]bus.Envelope, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("#s = :s"),
		ExpressionAttributeNames:  map[string]string{"#s": "stream"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: s.stream}},
		ConsistentRead:            aws.Bool(true),
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, dynamo.Wrap(err, "query outbox")
	}
	events := make([]bus.Envelope, 0, len(out.Items))
	for _, it := range out.Items {
		v, ok := it["event"].(*types.AttributeValueMemberS)
		if !ok {
			return nil, fmt.Errorf("outbox item without event attribute")
		}
		var e bus.Envelope
		if err := json.Unmarshal([]byte(v.Value), &e); err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, nil
}

// Stats counts this stream's waiting events (one consistent COUNT query,
// page by page) and reads the oldest one's time: the first id, since ids
// sort by time. It reads only keys and one event, so a scrape costs a few
// read units however full the outbox is.
func (s *DynamoStore) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	key := func() *dynamodb.QueryInput {
		return &dynamodb.QueryInput{
			TableName:                 &s.table,
			KeyConditionExpression:    aws.String("#s = :s"),
			ExpressionAttributeNames:  map[string]string{"#s": "stream"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: s.stream}},
			ConsistentRead:            aws.Bool(true),
		}
	}
	count := key()
	count.Select = types.SelectCount
	for {
		out, err := s.db.Query(ctx, count)
		if err != nil {
			return Stats{}, dynamo.Wrap(err, "count outbox")
		}
		st.Depth += int(out.Count)
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		count.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if st.Depth == 0 {
		return st, nil
	}
	events, err := s.Pending(ctx, 1)
	if err != nil {
		return Stats{}, err
	}
	if len(events) > 0 {
		st.Oldest = events[0].Time
	}
	return st, nil
}

// Remove implements Store.
func (s *DynamoStore) Remove(ctx context.Context, ids ...string) error {
	for _, id := range ids {
		_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: &s.table,
			Key: map[string]types.AttributeValue{
				"stream": &types.AttributeValueMemberS{Value: s.stream},
				"id":     &types.AttributeValueMemberS{Value: id},
			},
		})
		if err != nil {
			return dynamo.Wrap(err, "delete outbox item")
		}
	}
	return nil
}

// TableInput describes the outbox table, for EnsureTable.
func TableInput(table string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName: &table,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("stream"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("stream"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("id"), KeyType: types.KeyTypeRange},
		},
	}
}
