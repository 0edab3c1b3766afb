// Package dynamo keeps orders in a DynamoDB table with partition key
// "userName" and sort key "orderDate" (both S), so that a user's orders are
// one Query, newest first when read backwards.
package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-shop/shop/ordering"
	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/page"
)

// Store is the orders in DynamoDB.
type Store struct {
	db    dynamo.API
	table string
}

var _ ordering.Store = (*Store)(nil)

// New returns the orders kept in table.
func New(db dynamo.API, table string) *Store { return &Store{db: db, table: table} }

// TableInput describes the table, for dynamo.EnsureTable.
func TableInput(table string) *dynamodb.CreateTableInput {
	s := func(name string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: types.ScalarAttributeTypeS}
	}
	return &dynamodb.CreateTableInput{
		TableName:            &table,
		AttributeDefinitions: []types.AttributeDefinition{s("userName"), s("orderDate")},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("userName"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("orderDate"), KeyType: types.KeyTypeRange},
		},
	}
}

// item is the stored form of an order. Money is a DynamoDB number with two
// decimals, readable in the console and exact.
type item struct {
	UserName      string                `dynamodbav:"userName"`
	OrderDate     string                `dynamodbav:"orderDate"`
	OrderID       string                `dynamodbav:"orderId"`
	Items         []lineItem            `dynamodbav:"items"`
	TotalPrice    attributevalue.Number `dynamodbav:"totalPrice"`
	FirstName     string                `dynamodbav:"firstName"`
	LastName      string                `dynamodbav:"lastName"`
	Email         string                `dynamodbav:"email"`
	Address       string                `dynamodbav:"address"`
	PaymentMethod int                   `dynamodbav:"paymentMethod"`
	CardLast4     string                `dynamodbav:"cardLast4"`
	Status        string                `dynamodbav:"status"`
	CreatedAt     time.Time             `dynamodbav:"createdAt"`
}

type lineItem struct {
	ProductID   string                `dynamodbav:"productId"`
	ProductName string                `dynamodbav:"productName"`
	Color       string                `dynamodbav:"color"`
	Quantity    int64                 `dynamodbav:"quantity"`
	UnitPrice   attributevalue.Number `dynamodbav:"unitPrice"`
	LineTotal   attributevalue.Number `dynamodbav:"lineTotal"`
}

func num(a money.Amount) attributevalue.Number { return attributevalue.Number(a.String()) }

func toItem(o *ordering.Order) (map[string]types.AttributeValue, error) {
	lines := make([]lineItem, len(o.Items))
	for i, it := range o.Items {
		lines[i] = lineItem{it.ProductID, it.ProductName, it.Color, it.Quantity, num(it.UnitPrice), num(it.LineTotal)}
	}
	return attributevalue.MarshalMap(item{o.UserName, o.OrderDate, o.OrderID, lines, num(o.TotalPrice),
		o.FirstName, o.LastName, o.Email, o.Address, o.PaymentMethod, o.CardLast4, o.Status, o.CreatedAt})
}

func fromItem(av map[string]types.AttributeValue) (*ordering.Order, error) {
	var it item
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return nil, err
	}
	total, err := money.Parse(string(it.TotalPrice))
	if err != nil {
		return nil, err
	}
	lines := make([]ordering.Item, len(it.Items))
	for i, l := range it.Items {
		unit, err := money.Parse(string(l.UnitPrice))
		if err != nil {
			return nil, err
		}
		line, err := money.Parse(string(l.LineTotal))
		if err != nil {
			return nil, err
		}
		lines[i] = ordering.Item{ProductID: l.ProductID, ProductName: l.ProductName, Color: l.Color,
			Quantity: l.Quantity, UnitPrice: unit, LineTotal: line}
	}
	return &ordering.Order{UserName: it.UserName, OrderDate: it.OrderDate, OrderID: it.OrderID, Items: lines,
		TotalPrice: total, FirstName: it.FirstName, LastName: it.LastName, Email: it.Email, Address: it.Address,
		PaymentMethod: it.PaymentMethod, CardLast4: it.CardLast4, Status: it.Status, CreatedAt: it.CreatedAt}, nil
}

func (s *Store) key(userName, orderDate string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"userName":  &types.AttributeValueMemberS{Value: userName},
		"orderDate": &types.AttributeValueMemberS{Value: orderDate},
	}
}

// Create implements ordering.Store: a put conditional on the key being free.
func (s *Store) Create(ctx context.Context, o *ordering.Order) (bool, error) {
	av, err := toItem(o)
	if err != nil {
		return false, fmt.Errorf("encode order %s: %w", o.OrderID, err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(userName)"),
	})
	if dynamo.ConditionFailed(err) {
		// The condition is on the key alone: failing it is the answer of
		// put-if-absent, not a lost race.
		return false, nil
	}
	return err == nil, dynamo.Wrap(err, "put order of "+o.UserName+" at "+o.OrderDate)
}

// Get implements ordering.Store.
func (s *Store) Get(ctx context.Context, userName, orderDate string) (*ordering.Order, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: s.key(userName, orderDate), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, dynamo.Wrap(err, "get order of "+userName+" at "+orderDate)
	}
	if out.Item == nil {
		return nil, errs.Errorf(errs.NotFound, "User %s has no order at %s.", userName, orderDate)
	}
	o, err := fromItem(out.Item)
	if err != nil {
		return nil, fmt.Errorf("decode order of %s at %s: %w", userName, orderDate, err)
	}
	return o, nil
}

// ListByUser implements ordering.Store: one Query read backwards.
func (s *Store) ListByUser(ctx context.Context, userName string, r page.Request) (page.Page[*ordering.Order], error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("userName = :u"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": &types.AttributeValueMemberS{Value: userName}},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(r.Limit + 1)),
		ExclusiveStartKey:         dynamo.StartKey(r.Cursor),
	})
	if err != nil {
		return page.Page[*ordering.Order]{}, dynamo.Wrap(err, "query orders of "+userName)
	}
	return toPage(out.Items, out.LastEvaluatedKey, r.Limit)
}

// List implements ordering.Store: a paginated Scan, in the table's order.
func (s *Store) List(ctx context.Context, r page.Request) (page.Page[*ordering.Order], error) {
	out, err := s.db.Scan(ctx, &dynamodb.ScanInput{
		TableName: &s.table, Limit: aws.Int32(int32(r.Limit + 1)), ExclusiveStartKey: dynamo.StartKey(r.Cursor),
	})
	if err != nil {
		return page.Page[*ordering.Order]{}, dynamo.Wrap(err, "scan orders")
	}
	return toPage(out.Items, out.LastEvaluatedKey, r.Limit)
}

// toPage reads limit+1 items so that a full last page carries no cursor:
// the extra item only proves there is more. When DynamoDB stopped early (its
// 1 MB page), its own LastEvaluatedKey is the cursor.
func toPage(items []map[string]types.AttributeValue, lastKey map[string]types.AttributeValue, limit int) (page.Page[*ordering.Order], error) {
	pg := page.Page[*ordering.Order]{Next: dynamo.Cursor(lastKey)}
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		pg.Next = dynamo.Cursor(map[string]types.AttributeValue{"userName": last["userName"], "orderDate": last["orderDate"]})
	}
	pg.Items = make([]*ordering.Order, 0, len(items))
	for _, av := range items {
		o, err := fromItem(av)
		if err != nil {
			return page.Page[*ordering.Order]{}, err
		}
		pg.Items = append(pg.Items, o)
	}
	return pg, nil
}

// Ping implements ordering.Store.
func (s *Store) Ping(ctx context.Context) error { return dynamo.Ping(ctx, s.db, s.table) }
