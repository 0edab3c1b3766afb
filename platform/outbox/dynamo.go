package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/dynamo"
)

// DynamoStore is one module's stream in the shared DynamoDB outbox table
// (pk "stream" S, sk "id" S). A waiting event is an item of the stream with
// its envelope in "event" and, once refused, "attempts" N, "last_error" S
// and "next_at" N (Unix nanoseconds); its dead letters are the stream
// "<stream>#dead", so that neither the relay nor the metrics read them.
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

func (s *DynamoStore) deadStream() string { return s.stream + "#dead" }

func (s *DynamoStore) key(stream, id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"stream": &types.AttributeValueMemberS{Value: stream},
		"id":     &types.AttributeValueMemberS{Value: id},
	}
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
		item := s.key(s.stream, e.ID)
		item["event"] = &types.AttributeValueMemberS{Value: string(v)}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: item}})
	}
	return items, nil
}

// query returns a consistent query of one stream.
func (s *DynamoStore) query(stream string) *dynamodb.QueryInput {
	return &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("#s = :s"),
		ExpressionAttributeNames:  map[string]string{"#s": "stream"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: stream}},
		ConsistentRead:            aws.Bool(true),
	}
}

// items reads up to limit items of a query (all when limit <= 0), page by
// page: a page can stop short of Limit at 1 MB.
func (s *DynamoStore) items(ctx context.Context, in *dynamodb.QueryInput, limit int) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	for {
		if limit > 0 {
			in.Limit = aws.Int32(int32(limit - len(out)))
		}
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, dynamo.Wrap(err, "query outbox "+s.stream)
		}
		out = append(out, page.Items...)
		if len(page.LastEvaluatedKey) == 0 || (limit > 0 && len(out) >= limit) {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// Pending implements Store.
func (s *DynamoStore) Pending(ctx context.Context, limit int) ([]bus.Envelope, error) {
	recs, err := s.Scan(ctx, "", limit)
	if err != nil {
		return nil, err
	}
	out := make([]bus.Envelope, len(recs))
	for i, r := range recs {
		out[i] = r.Envelope
	}
	return out, nil
}

// Scan implements Store.
func (s *DynamoStore) Scan(ctx context.Context, after string, limit int) ([]Record, error) {
	in := s.query(s.stream)
	if after != "" {
		in.ExclusiveStartKey = s.key(s.stream, after)
	}
	items, err := s.items(ctx, in, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(items))
	for i, it := range items {
		if out[i], err = record(it); err != nil {
			return nil, fmt.Errorf("outbox %s: %w", s.stream, err)
		}
	}
	return out, nil
}

// record decodes an item of either stream.
func record(it map[string]types.AttributeValue) (Record, error) {
	var r Record
	v, ok := it["event"].(*types.AttributeValueMemberS)
	if !ok {
		return r, fmt.Errorf("item without event attribute")
	}
	if err := json.Unmarshal([]byte(v.Value), &r.Envelope); err != nil {
		return r, fmt.Errorf("event %s: %w", v.Value, err)
	}
	r.Attempts = int(number(it["attempts"]))
	if e, ok := it["last_error"].(*types.AttributeValueMemberS); ok {
		r.LastError = e.Value
	}
	if n := number(it["next_at"]); n != 0 {
		r.NextAt = time.Unix(0, n)
	}
	return r, nil
}

func number(v types.AttributeValue) int64 {
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	i, _ := strconv.ParseInt(n.Value, 10, 64)
	return i
}

func numberAttr(i int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(i, 10)}
}

// Stats counts this stream's waiting events and its dead letters (one
// consistent COUNT query each, page by page) and reads the oldest waiting
// event's time: the first id, since ids sort by time. It reads only keys
// and one event, so a scrape costs a few read units however full the
// outbox is.
func (s *DynamoStore) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	var err error
	if st.Depth, err = s.count(ctx, s.stream); err != nil {
		return Stats{}, err
	}
	if st.DeadLetters, err = s.count(ctx, s.deadStream()); err != nil {
		return Stats{}, err
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

func (s *DynamoStore) count(ctx context.Context, stream string) (int, error) {
	in := s.query(stream)
	in.Select = types.SelectCount
	n := 0
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return 0, dynamo.Wrap(err, "count outbox "+stream)
		}
		n += int(out.Count)
		if len(out.LastEvaluatedKey) == 0 {
			return n, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
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
