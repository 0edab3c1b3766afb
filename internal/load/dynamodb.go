package load

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// dynamoTables are the shop's tables, by the variable naming each.
var dynamoTables = map[string]string{
	"SHOP_PRODUCT_TABLE":        "product",
	"SHOP_BASKET_TABLE":         "basket",
	"SHOP_BASKET_CATALOG_TABLE": "basket-catalog",
	"SHOP_ORDER_TABLE":          "order",
	"SHOP_OUTBOX_TABLE":         "outbox",
}

// dynamoRun is a -server-bin run on DynamoDB: tables of its own, created
// by the shop at start (SHOP_CREATE_TABLES) and deleted after the run.
type dynamoRun struct {
	endpoint string
	port     int
	tables   []string
}

// newDynamoRun checks the endpoint, which must be loopback (a DynamoDB
// Local), and names the run's tables.
func newDynamoRun(endpoint, id string) (*dynamoRun, error) {
	if err := CheckLoopback(endpoint); err != nil {
		return nil, fmt.Errorf("-dynamodb: %w", err)
	}
	u, _ := url.Parse(endpoint)
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return nil, fmt.Errorf("-dynamodb %q: needs an explicit port", endpoint)
	}
	d := &dynamoRun{endpoint: endpoint, port: port}
	for _, base := range dynamoTables {
		d.tables = append(d.tables, id+"-"+base)
	}
	return d, nil
}

// env is what the shop is started with: the DynamoDB store on the
// endpoint with the run's tables, the local bus, and dev tokens, which the
// harness signs (on AWS the shop defaults to OIDC). -server-env comes
// after, so it can change any of it.
func (d *dynamoRun) env(id string) []string {
	env := []string{"SHOP_STORE=dynamodb", "SHOP_CREATE_TABLES=true", "SHOP_AUTH=dev",
		"AWS_ENDPOINT_URL_DYNAMODB=" + d.endpoint, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=shopload", "AWS_SECRET_ACCESS_KEY=shopload", "AWS_SESSION_TOKEN=",
		"AWS_PROFILE=", "AWS_EC2_METADATA_DISABLED=true"}
	for name, base := range dynamoTables {
		env = append(env, name+"="+id+"-"+base)
	}
	return env
}

// cleanup deletes the run's tables.
func (d *dynamoRun) cleanup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(d.endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("shopload", "shopload", "")})
	var errs []error
	for _, t := range d.tables {
		_, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(t)})
		if rnf := (*types.ResourceNotFoundException)(nil); err != nil && !errors.As(err, &rnf) {
			errs = append(errs, fmt.Errorf("delete table %s: %w", t, err))
		}
	}
	return errors.Join(errs...)
}
