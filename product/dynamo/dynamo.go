// Package dynamo keeps the catalog in a DynamoDB table (pk "id") with a
// category index (GSI "category-index": pk "category", sk "id").
package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/platform/page"
	"github.com/serverless-shop/shop/product"
)

// CategoryIndex is the name of the GSI listing one category.
const CategoryIndex = "category-index"

// Store is the catalog in DynamoDB.
type Store struct {
	db     dynamo.API
	table  string
	outbox *outbox.DynamoStore
}

var _ product.Store = (*Store)(nil)

// New returns the catalog kept in table, whose events go to ob in the same
// transaction.
func New(db dynamo.API, table string, ob *outbox.DynamoStore) *Store {
	return &Store{db: db, table: table, outbox: ob}
}

// TableInput describes the table, for dynamo.EnsureTable.
func TableInput(table string) *dynamodb.CreateTableInput {
	s := func(name string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS}
	}
	return &dynamodb.CreateTableInput{
		TableName:            &table,
		AttributeDefinitions: []types.AttributeDefinition{s("id"), s("category")},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(CategoryIndex),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("category"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("id"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	}
}

// item is the stored form of a product. An empty category is left out, so
// the product stays out of the (sparse) category index.
type item struct {
	ID          string                `dynamodbav:"id"`
	Name        string                `dynamodbav:"name"`
	Description string                `dynamodbav:"description"`
	ImageFile   string                `dynamodbav:"imageFile"`
	Price       attributevalue.Number `dynamodbav:"price"`
	Category    string                `dynamodbav:"category,omitempty"`
	Version     int64                 `dynamodbav:"version"`
	CreatedAt   time.Time             `dynamodbav:"createdAt"`
	UpdatedAt   time.Time             `dynamodbav:"updatedAt"`
}

func toItem(p *product.Product) (map[string]types.AttributeValue, error) {
	return attributevalue.MarshalMap(item{p.ID, p.Name, p.Description, p.ImageFile,
		attributevalue.Number(p.Price.String()), p.Category, p.Version, p.CreatedAt, p.UpdatedAt})
}

func fromItem(av map[string]types.AttributeValue) (*product.Product, error) {
	var it item
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return nil, err
	}
	price, err := money.Parse(string(it.Price))
	if err != nil {
		return nil, err
	}
	return &product.Product{ID: it.ID, Name: it.Name, Description: it.Description, ImageFile: it.ImageFile,
		Price: price, Category: it.Category, Version: it.Version, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}, nil
}

func (s *Store) key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}}
}

// write commits one change of the product item together with its events,
// in one transaction. A failed condition or a transaction conflict is
// errs.ErrLostRace (dynamo.Wrap): the service decides what losing means.
func (s *Store) write(ctx context.Context, op, id string, change types.TransactWriteItem, events []bus.Envelope) error {
	items, err := s.outbox.Put(events...)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, id, err)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: append([]types.TransactWriteItem{change}, items...),
	})
	return dynamo.Wrap(err, op+" "+id)
}

// Create implements product.Store: a put conditional on the id being free.
func (s *Store) Create(ctx context.Context, p *product.Product, events []bus.Envelope) error {
	av, err := toItem(p)
	if err != nil {
		return fmt.Errorf("encode product %s: %w", p.ID, err)
	}
	return s.write(ctx, "create product", p.ID, types.TransactWriteItem{Put: &types.Put{
		TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(id)"),
	}}, events)
}

// Get implements product.Store.
func (s *Store) Get(ctx context.Context, id string) (*product.Product, error) {
	if !dynamo.KeyFits(id) {
		return nil, errs.Errorf(errs.NotFound, "Product %s not found.", id)
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: s.key(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, dynamo.Wrap(err, "get product "+id)
	}
	if out.Item == nil {
		return nil, errs.Errorf(errs.NotFound, "Product %s not found.", id)
	}
	p, err := fromItem(out.Item)
	if err != nil {
		return nil, fmt.Errorf("decode product %s: %w", id, err)
	}
	return p, nil
}

// List implements product.Store. The whole catalog is a paginated Scan; a
// category is a Query on the category index, never a filtered Scan.
func (s *Store) List(ctx context.Context, f product.Filter, r page.Request) (page.Page[*product.Product], error) {
	var (
		items   []map[string]types.AttributeValue
		lastKey map[string]types.AttributeValue
	)
	if f.Category != "" && !dynamo.KeyFits(f.Category) {
		// No product can be in a category DynamoDB cannot index.
		return page.Page[*product.Product]{Items: []*product.Product{}}, nil
	}
	if f.Category == "" {
		out, err := s.db.Scan(ctx, &dynamodb.ScanInput{
			TableName: &s.table, Limit: aws.Int32(int32(r.Limit)), ExclusiveStartKey: dynamo.StartKey(r.Cursor),
		})
		if err != nil {
			return page.Page[*product.Product]{}, dynamo.Wrap(err, "scan products")
		}
		items, lastKey = out.Items, out.LastEvaluatedKey
	} else {
		out, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName: &s.table, IndexName: aws.String(CategoryIndex),
			KeyConditionExpression:    aws.String("category = :c"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: f.Category}},
			Limit:                     aws.Int32(int32(r.Limit)), ExclusiveStartKey: dynamo.StartKey(r.Cursor),
		})
		if err != nil {
			return page.Page[*product.Product]{}, dynamo.Wrap(err, "query products of category "+f.Category)
		}
		items, lastKey = out.Items, out.LastEvaluatedKey
	}
	pg := page.Page[*product.Product]{Items: make([]*product.Product, 0, len(items)), Next: dynamo.Cursor(lastKey)}
	for _, av := range items {
		p, err := fromItem(av)
		if err != nil {
			return page.Page[*product.Product]{}, err
		}
		pg.Items = append(pg.Items, p)
	}
	return pg, nil
}

// Update implements product.Store: read, apply fn, then write only if the
// version is still the one read.
func (s *Store) Update(ctx context.Context, id string, fn func(*product.Product) ([]bus.Envelope, error)) (*product.Product, error) {
	old, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	p := *old
	events, err := fn(&p)
	if err != nil {
		return nil, err
	}
	av, err := toItem(&p)
	if err != nil {
		return nil, fmt.Errorf("encode product %s: %w", id, err)
	}
	err = s.write(ctx, "update product", id, types.TransactWriteItem{Put: &types.Put{
		TableName: &s.table, Item: av, ConditionExpression: aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: itoa(old.Version)}},
	}}, events)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// Delete implements product.Store: read, apply fn, then delete only if the
// version is still the one read.
func (s *Store) Delete(ctx context.Context, id string, fn func(*product.Product) ([]bus.Envelope, error)) error {
	p, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	v := itoa(p.Version)
	events, err := fn(p)
	if err != nil {
		return err
	}
	return s.write(ctx, "delete product", id, types.TransactWriteItem{Delete: &types.Delete{
		TableName: &s.table, Key: s.key(id), ConditionExpression: aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: v}},
	}}, events)
}

// Ping implements product.Store.
func (s *Store) Ping(ctx context.Context) error { return dynamo.Ping(ctx, s.db, s.table) }
func itoa(n int64) string                       { return strconv.FormatInt(n, 10) }
