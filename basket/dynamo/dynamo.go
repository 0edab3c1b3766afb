// Package dynamo keeps baskets in one DynamoDB table (pk "userName") and
// the basket's catalog read model in another (pk "productId"); checkout
// events go to the shared outbox table in the same transaction.
package dynamo

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-shop/shop/basket"
	"github.com/serverless-shop/shop/platform/bus"
	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
	"github.com/serverless-shop/shop/platform/outbox"
	"github.com/serverless-shop/shop/platform/page"
)

// ExpiresAtAttribute is the epoch-seconds attribute of a tombstone, meant
// as the basket table's TTL attribute.
const ExpiresAtAttribute = "expiresAt"

// Store is the basket module's DynamoDB tables.
type Store struct {
	db      dynamo.API
	baskets string
	catalog string
	outbox  *outbox.DynamoStore
}

var _ basket.Store = (*Store)(nil)

// New returns the store over basketTable and catalogTable, whose checkout
// events go to ob in the same transaction.
func New(db dynamo.API, basketTable, catalogTable string, ob *outbox.DynamoStore) *Store {
	return &Store{db: db, baskets: basketTable, catalog: catalogTable, outbox: ob}
}

// TableInputs describes both tables, for dynamo.EnsureTable. DynamoDB TTL
// on ExpiresAtAttribute is enabled separately (by the deployment).
func TableInputs(basketTable, catalogTable string) []*dynamodb.CreateTableInput {
	table := func(name, pk string) *dynamodb.CreateTableInput {
		return &dynamodb.CreateTableInput{
			TableName: aws.String(name),
			AttributeDefinitions: []types.AttributeDefinition{
				{AttributeName: aws.String(pk), AttributeType: types.ScalarAttributeTypeS},
			},
			KeySchema: []types.KeySchemaElement{{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash}},
		}
	}
	return []*dynamodb.CreateTableInput{table(basketTable, "userName"), table(catalogTable, "productId")}
}

// item is the stored form of a basket. A tombstone adds checkedOutAt,
// expiresAt (epoch seconds, for TTL) and totalPrice.
type item struct {
	UserName     string                `dynamodbav:"userName"`
	Items        []line                `dynamodbav:"items"`
	Status       string                `dynamodbav:"status"`
	CheckoutID   string                `dynamodbav:"checkoutId"`
	UpdatedAt    time.Time             `dynamodbav:"updatedAt"`
	CheckedOutAt *time.Time            `dynamodbav:"checkedOutAt,omitempty"`
	ExpiresAt    int64                 `dynamodbav:"expiresAt,omitempty"`
	TotalPrice   attributevalue.Number `dynamodbav:"totalPrice,omitempty"`
}

type line struct {
	ProductID string `dynamodbav:"productId"`
	Quantity  int    `dynamodbav:"quantity"`
	Color     string `dynamodbav:"color,omitempty"`
}

func toItem(b *basket.Basket) (map[string]types.AttributeValue, error) {
	it := item{UserName: b.UserName, Items: make([]line, len(b.Items)), Status: string(b.Status),
		CheckoutID: b.CheckoutID, UpdatedAt: b.UpdatedAt}
	for i, l := range b.Items {
		it.Items[i] = line{l.ProductID, l.Quantity, l.Color}
	}
	if !b.Open() {
		at := b.CheckedOutAt
		it.CheckedOutAt, it.ExpiresAt, it.TotalPrice = &at, b.ExpiresAt.Unix(), attributevalue.Number(b.TotalPrice.String())
	}
	return attributevalue.MarshalMap(it)
}

func fromItem(av map[string]types.AttributeValue) (*basket.Basket, error) {
	var it item
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return nil, err
	}
	b := &basket.Basket{UserName: it.UserName, Items: make([]basket.Item, len(it.Items)), Status: basket.Status(it.Status),
		CheckoutID: it.CheckoutID, UpdatedAt: it.UpdatedAt}
	for i, l := range it.Items {
		b.Items[i] = basket.Item{ProductID: l.ProductID, Quantity: l.Quantity, Color: l.Color}
	}
	if it.CheckedOutAt != nil {
		b.CheckedOutAt = *it.CheckedOutAt
	}
	if it.ExpiresAt != 0 {
		b.ExpiresAt = time.Unix(it.ExpiresAt, 0).UTC()
	}
	if it.TotalPrice != "" {
		total, err := money.Parse(string(it.TotalPrice))
		if err != nil {
			return nil, err
		}
		b.TotalPrice = total
	}
	return b, nil
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

var open = s(string(basket.StatusOpen))

// Put implements basket.Store. One unconditional put that returns the old
// item tells created from replaced without a race.
func (st *Store) Put(ctx context.Context, b *basket.Basket) (bool, error) {
	av, err := toItem(b)
	if err != nil {
		return false, err
	}
	out, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &st.baskets, Item: av, ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		return false, dynamo.Wrap(err, "put basket of "+b.UserName)
	}
	old, _ := out.Attributes["status"].(*types.AttributeValueMemberS)
	return old == nil || old.Value != string(basket.StatusOpen), nil
}

// Get implements basket.Store.
func (st *Store) Get(ctx context.Context, userName string) (*basket.Basket, error) {
	if !dynamo.KeyFits(userName) || strings.HasPrefix(userName, keyedPrefix) {
		return nil, errs.Errorf(errs.NotFound, "No basket for user %s.", userName)
	}
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &st.baskets,
		Key: map[string]types.AttributeValue{"userName": s(userName)}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, dynamo.Wrap(err, "get basket of "+userName)
	}
	if out.Item == nil {
		return nil, errs.Errorf(errs.NotFound, "No basket for user %s.", userName)
	}
	return fromItem(out.Item)
}

// List implements basket.Store. Tombstones are filtered out, so it scans on
// until the page is full; the cursor is the last basket returned.
func (st *Store) List(ctx context.Context, r page.Request) (page.Page[*basket.Basket], error) {
	var pg page.Page[*basket.Basket]
	start := dynamo.StartKey(r.Cursor)
	for {
		out, err := st.db.Scan(ctx, &dynamodb.ScanInput{
			TableName: &st.baskets, Limit: aws.Int32(int32(r.Limit - len(pg.Items))), ExclusiveStartKey: start,
			FilterExpression:          aws.String("#s = :open"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":open": open},
		})
		if err != nil {
			return page.Page[*basket.Basket]{}, dynamo.Wrap(err, "scan baskets")
		}
		for _, av := range out.Items {
			b, err := fromItem(av)
			if err != nil {
				return page.Page[*basket.Basket]{}, err
			}
			pg.Items = append(pg.Items, b)
		}
		start = out.LastEvaluatedKey
		if len(start) == 0 {
			return pg, nil
		}
		if len(pg.Items) >= r.Limit {
			pg.Next = page.Cursor{"userName": pg.Items[len(pg.Items)-1].UserName}
			return pg, nil
		}
	}
}

// Delete implements basket.Store.
func (st *Store) Delete(ctx context.Context, userName string) error {
	if !dynamo.KeyFits(userName) || strings.HasPrefix(userName, keyedPrefix) {
		return errs.Errorf(errs.NotFound, "No open basket for user %s.", userName)
	}
	_, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &st.baskets, Key: map[string]types.AttributeValue{"userName": s(userName)},
		ConditionExpression:       aws.String("#s = :open"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":open": open},
	})
	if dynamo.ConditionFailed(err) {
		return errs.Errorf(errs.NotFound, "No open basket for user %s.", userName)
	}
	return dynamo.Wrap(err, "delete basket of "+userName)
}

// CheckOut implements basket.Store: the conditional tombstone put, the
// conditional put of the idempotency record (if any) and the outbox items
// commit in one transaction.
func (st *Store) CheckOut(ctx context.Context, b *basket.Basket, rec *basket.KeyedReceipt, events []bus.Envelope) error {
	av, err := toItem(b)
	if err != nil {
		return err
	}
	items, err := st.outbox.Put(events...)
	if err != nil {
		return err
	}
	change := types.TransactWriteItem{Put: &types.Put{
		TableName: &st.baskets, Item: av,
		ConditionExpression:       aws.String("#s = :open AND checkoutId = :cid"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":open": open, ":cid": s(b.CheckoutID)},
	}}
	writes := []types.TransactWriteItem{change}
	if rec != nil {
		w, err := st.keyedPut(b.UserName, rec)
		if err != nil {
			return err
		}
		writes = append(writes, w)
	}
	_, err = st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: append(writes, items...),
	})
	// A failed condition or a transaction conflict is errs.ErrLostRace.
	return dynamo.Wrap(err, "check out basket of "+b.UserName)
}

// product is the stored form of a catalog entry.
type product struct {
	ProductID string                `dynamodbav:"productId"`
	Name      string                `dynamodbav:"name"`
	Price     attributevalue.Number `dynamodbav:"price"`
	Version   int64                 `dynamodbav:"version"`
	Deleted   bool                  `dynamodbav:"deleted"`
}

// PutProduct implements basket.Catalog with a write conditional on the
// version, so the highest version wins whatever the delivery order.
func (st *Store) PutProduct(ctx context.Context, p *basket.Product) (bool, error) {
	av, err := attributevalue.MarshalMap(product{p.ProductID, p.Name, attributevalue.Number(p.Price.String()), p.Version, p.Deleted})
	if err != nil {
		return false, err
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &st.catalog, Item: av,
		ConditionExpression:       aws.String("attribute_not_exists(productId) OR version < :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(p.Version, 10)}},
	})
	if dynamo.ConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, dynamo.Wrap(err, "put catalog entry "+p.ProductID)
	}
	return true, nil
}

// Products implements basket.Catalog with BatchGetItem, 100 keys a call
// (a basket holds at most 100 lines), retrying what DynamoDB leaves
// unprocessed.
func (st *Store) Products(ctx context.Context, ids []string) (map[string]*basket.Product, error) {
	out := make(map[string]*basket.Product, len(ids))
	var keys []map[string]types.AttributeValue
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		// BatchGetItem refuses a request naming a key twice.
		if dynamo.KeyFits(id) && !seen[id] {
			seen[id] = true
			keys = append(keys, map[string]types.AttributeValue{"productId": s(id)})
		}
	}
	for len(keys) > 0 {
		n := min(len(keys), batchGetMax)
		pending := map[string]types.KeysAndAttributes{st.catalog: {Keys: keys[:n], ConsistentRead: aws.Bool(true)}}
		keys = keys[n:]
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > 0 {
				if err := sleep(ctx, time.Duration(attempt)*20*time.Millisecond); err != nil {
					return nil, err
				}
			}
			res, err := st.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return nil, dynamo.Wrap(err, "get catalog entries")
			}
			for _, item := range res.Responses[st.catalog] {
				p, err := fromCatalogItem(item)
				if err != nil {
					return nil, err
				}
				out[p.ProductID] = p
			}
			pending = res.UnprocessedKeys
		}
	}
	return out, nil
}

// batchGetMax is BatchGetItem's limit on keys per call.
const batchGetMax = 100

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func fromCatalogItem(item map[string]types.AttributeValue) (*basket.Product, error) {
	var p product
	if err := attributevalue.UnmarshalMap(item, &p); err != nil {
		return nil, err
	}
	price, err := money.Parse(string(p.Price))
	if err != nil {
		return nil, err
	}
	return &basket.Product{ProductID: p.ProductID, Name: p.Name, Price: price, Version: p.Version, Deleted: p.Deleted}, nil
}

// Ping implements basket.Store.
func (st *Store) Ping(ctx context.Context) error {
	return dynamo.Ping(ctx, st.db, st.baskets, st.catalog)
}
