package dynamo

import (
	"context"
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

// keyedPut is the transaction item that records rec if the record under its
// key is still the one it replaces (absent for rec.Replaces == ""); a failed
// condition cancels the checkout, which Wrap reports as errs.ErrLostRace.
// Whether a record has expired is the service's decision: DynamoDB's TTL
// removes records late, and only the service judges expiresAt.
func (st *Store) keyedPut(userName string, rec *basket.KeyedReceipt) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(keyedItem{UserName: keyedPK(userName, rec.Key), Status: statusKeyed,
		CheckoutID: rec.Receipt.CheckoutID, CheckedOutAt: rec.Receipt.CheckedOutAt, ExpiresAt: rec.ExpiresAt.Unix(),
		TotalPrice: attributevalue.Number(rec.Receipt.TotalPrice.String())})
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	put := &types.Put{TableName: &st.baskets, Item: av, ConditionExpression: aws.String("attribute_not_exists(userName)")}
	if rec.Replaces != "" {
		put.ConditionExpression = aws.String("checkoutId = :prev")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": s(rec.Replaces)}
	}
	return types.TransactWriteItem{Put: put}, nil
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
		return nil, dynamo.Wrap(err, "get idempotency record of "+userName)
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
