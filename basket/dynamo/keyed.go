package dynamo

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-shop/shop/basket"
	"github.com/serverless-shop/shop/platform/dynamo"
	"github.com/serverless-shop/shop/platform/errs"
	"github.com/serverless-shop/shop/platform/money"
)

// keyedPrefix starts the partition key of an idempotency record,
// "#idem#" + userName + "#" + key. No user name holds '#'
// (basket.ValidateUserName), so no basket can share it, and the first '#'
// after the prefix ends the user name.
const keyedPrefix = "#idem#"

// statusKeyed is the status of an idempotency record: never "open", so List
// (which filters on it) and Delete (conditional on it) pass it by.
const statusKeyed = "idempotencyKey"

// keyedItem is the stored form of a basket.KeyedReceipt, in the basket table
// with the tombstone's TTL attribute, so DynamoDB removes it once expired.
type keyedItem struct {
	UserName     string                `dynamodbav:"userName"`
	Status       string                `dynamodbav:"status"`
	CheckoutID   string                `dynamodbav:"checkoutId"`
	CheckedOutAt time.Time             `dynamodbav:"checkedOutAt"`
	ExpiresAt    int64                 `dynamodbav:"expiresAt"`
	TotalPrice   attributevalue.Number `dynamodbav:"totalPrice"`
}

func keyedPK(userName, key string) string { return keyedPrefix + userName + "#" + key }

// keyedPut is the transaction item that records rec unless a record under
// its key is live. TTL deletion lags expiry by up to days, so an expired
// record still present is judged by its expiresAt, in whole seconds, as
// DynamoDB's TTL does.
func (st *Store) keyedPut(userName string, rec *basket.KeyedReceipt) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(keyedItem{UserName: keyedPK(userName, rec.Key), Status: statusKeyed,
		CheckoutID: rec.Receipt.CheckoutID, CheckedOutAt: rec.Receipt.CheckedOutAt, ExpiresAt: rec.ExpiresAt.Unix(),
		TotalPrice: attributevalue.Number(rec.Receipt.TotalPrice.String())})
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	now := strconv.FormatInt(rec.Receipt.CheckedOutAt.Unix(), 10)
	return types.TransactWriteItem{Put: &types.Put{
		TableName: &st.baskets, Item: av,
		ConditionExpression:       aws.String("attribute_not_exists(userName) OR expiresAt <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: now}},
	}}, nil
}

// KeyedReceipt implements basket.Store.
func (st *Store) KeyedReceipt(ctx context.Context, userName, key string) (*basket.KeyedReceipt, error) {
	notFound := errs.Errorf(errs.NotFound, "No checkout of %s under this idempotency key.", userName)
	pk := keyedPK(userName, key)
	if !dynamo.KeyFits(pk) {
		return nil, notFound
	}
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &st.baskets,
		Key: map[string]types.AttributeValue{"userName": s(pk)}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, dynamo.Wrap(err, "get idempotency record")
	}
	if out.Item == nil {
		return nil, notFound
	}
	var it keyedItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return nil, err
	}
	total, err := money.Parse(string(it.TotalPrice))
	if err != nil {
		return nil, err
	}
	return &basket.KeyedReceipt{Key: key, ExpiresAt: time.Unix(it.ExpiresAt, 0).UTC(), Receipt: basket.Receipt{
		CheckoutID: it.CheckoutID, UserName: userName, CheckedOutAt: it.CheckedOutAt, TotalPrice: total}}, nil
}
