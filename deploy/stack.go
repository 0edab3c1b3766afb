package main

import (
	"fmt"
	"maps"
	"net/mail"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Event sources and detail types the two EventBridge rules match. They are
// also handed to the binary (SHOP_CHECKOUT_SOURCE, …) so the publisher and the
// rules cannot drift apart.
const (
	CheckoutSource     = "com.swn.basket.checkoutbasket"
	CheckoutDetailType = "CheckoutBasket"
	ProductSource      = "com.swn.product"
)

// ProductDetailTypes are the product events the basket module consumes.
var ProductDetailTypes = []string{"ProductCreated", "ProductUpdated", "ProductDeleted"}

// DefaultEventBusName is the bus name the binary uses when SHOP_EVENT_BUS_NAME is unset.
const DefaultEventBusName = "SwnEventBus"

// Compute selects where the server runs.
type Compute string

// The supported compute modes.
const (
	// ComputeLambda runs the image as a Lambda function behind an HTTP API,
	// with SQS delivered by event source mappings.
	ComputeLambda Compute = "lambda"
	// ComputeFargate runs the image as an ECS Fargate service behind an ALB,
	// with the server long-polling SQS itself.
	ComputeFargate Compute = "fargate"
)

// ParseCompute turns a context value or environment variable into a Compute;
// an empty string means the default, ComputeLambda.
func ParseCompute(s string) (Compute, error) {
	switch Compute(s) {
	case "", ComputeLambda:
		return ComputeLambda, nil
	case ComputeFargate:
		return ComputeFargate, nil
	}
	return "", fmt.Errorf("unknown compute mode %q: want %q or %q", s, ComputeLambda, ComputeFargate)
}

// ImageSource says where the server's container image comes from: built from
// Directory (a folder holding the Dockerfile) as a CDK asset, or, when
// RepositoryName is set, an image already pushed to that ECR repository.
type ImageSource struct {
	// Directory holds the Dockerfile; the repository root by default.
	Directory string
	// RepositoryName names an existing ECR repository to take the image from.
	RepositoryName string
	// Tag is the image tag in RepositoryName; "latest" when empty.
	Tag string
}

// Names holds optional physical resource names. An empty table name lets
// CloudFormation generate one, so two stacks can share an account; the
// generated names reach the binary through its environment either way.
type Names struct {
	// ProductTable … OutboxTable are the DynamoDB table names.
	ProductTable       string
	BasketTable        string
	BasketCatalogTable string
	OrderTable         string
	OutboxTable        string
	// EventBus defaults to DefaultEventBusName.
	EventBus string
}

// ShopStackProps configures NewShopStack.
type ShopStackProps struct {
	awscdk.StackProps
	// Compute defaults to ComputeLambda.
	Compute Compute
	// Image defaults to building the repository's Dockerfile.
	Image ImageSource
	// Names overrides physical resource names.
	Names Names
	// DesiredCount is the number of Fargate tasks; 1 when zero.
	DesiredCount int
	// AlarmEmail, when set, is subscribed to AlarmTopic.
	AlarmEmail string
}

// ShopStack is the deployed shop: its data, its event plumbing and the
// compute running the binary. The fields let tests find resources.
type ShopStack struct {
	awscdk.Stack
	// ProductTable … OrderTable are the modules' tables, as config.md lists them.
	ProductTable       awsdynamodb.Table
	BasketTable        awsdynamodb.Table
	BasketCatalogTable awsdynamodb.Table
	OrderTable         awsdynamodb.Table
	// OutboxTable is shared by the modules' transactional outboxes, one
	// partition ("stream") per module.
	OutboxTable awsdynamodb.Table
	Bus         awsevents.EventBus
	// OrderQueue carries checkout events to the ordering module.
	OrderQueue awssqs.Queue
	// BasketQueue carries product events to the basket module.
	BasketQueue awssqs.Queue
	// DeliveryDLQ keeps events the rules could not deliver to their queue.
	DeliveryDLQ awssqs.Queue
	// UserPool holds the shop's users; its access tokens authenticate calls.
	UserPool awscognito.UserPool
	// UserPoolClient is the public app client users sign in through.
	UserPoolClient awscognito.UserPoolClient
	// AdminGroup's members may change the catalog.
	AdminGroup awscognito.UserPoolGroup
	// Issuer is the pool's OIDC issuer URL, the iss claim of its tokens.
	Issuer string
	// Environment is what the server container is started with.
	Environment map[string]string
	// Function runs the server in Lambda mode; nil on Fargate.
	Function awslambda.IFunction
	// AlarmTopic receives every alarm's state changes.
	AlarmTopic awssns.Topic
	// Dashboard graphs traffic, queues, dead letters and compute.
	Dashboard awscloudwatch.Dashboard
}

// Timeouts shared by the compute and the queues: SQS must hide a message for
// longer than a handler can hold it, and AWS asks for six times the Lambda
// timeout on event-source queues so retries of a throttled batch fit.
const (
	handlerTimeoutSeconds = 30
	visibilitySeconds     = 6 * handlerTimeoutSeconds
	maxReceiveCount       = 5
)

// NewShopStack defines the whole deployment in scope.
func NewShopStack(scope constructs.Construct, id string, props *ShopStackProps) (*ShopStack, error) {
	if props == nil {
		props = &ShopStackProps{}
	}
	compute, err := ParseCompute(string(props.Compute))
	if err != nil {
		return nil, err
	}
	if e := props.AlarmEmail; e != "" {
		// SNS takes a bare address; anything else would fail only at deploy time.
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			return nil, fmt.Errorf("alarm e-mail %q is not a bare e-mail address", e)
		}
	}
	// Work on a copy: defaults filled in here must not leak into the caller's props.
	p := *props
	if p.Image.RepositoryName == "" && p.Image.Directory == "" {
		if p.Image.Directory, err = DefaultImageDirectory(); err != nil {
			return nil, err
		}
	}
	props = &p
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	s := &ShopStack{Stack: stack}

	s.ProductTable = newTable(stack, "ProductTable", props.Names.ProductTable, "id", "", "")
	s.ProductTable.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:      jsii.String("category-index"),
		PartitionKey:   stringAttr("category"),
		SortKey:        stringAttr("id"),
		ProjectionType: awsdynamodb.ProjectionType_ALL,
	})
	s.BasketTable = newTable(stack, "BasketTable", props.Names.BasketTable, "userName", "", "expiresAt")
	s.BasketCatalogTable = newTable(stack, "BasketCatalogTable", props.Names.BasketCatalogTable, "productId", "", "")
	s.OrderTable = newTable(stack, "OrderTable", props.Names.OrderTable, "userName", "orderDate", "")
	s.OutboxTable = newTable(stack, "OutboxTable", props.Names.OutboxTable, "stream", "id", "")

	busName := props.Names.EventBus
	if busName == "" {
		busName = DefaultEventBusName
	}
	s.Bus = awsevents.NewEventBus(stack, jsii.String("EventBus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(busName),
	})

	s.OrderQueue = newQueueWithDLQ(stack, "OrderQueue")
	s.BasketQueue = newQueueWithDLQ(stack, "BasketQueue")
	// Events EventBridge could not deliver to a queue (after its own retries)
	// land here instead of being dropped.
	s.DeliveryDLQ = awssqs.NewQueue(stack, jsii.String("EventDeliveryDlq"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
	})
	target := func(q awssqs.IQueue) awsevents.IRuleTarget {
		return awseventstargets.NewSqsQueue(q, &awseventstargets.SqsQueueProps{DeadLetterQueue: s.DeliveryDLQ})
	}
	awsevents.NewRule(stack, jsii.String("CheckoutBasketRule"), &awsevents.RuleProps{
		EventBus:    s.Bus,
		Description: jsii.String("Checkout events from the basket module to the ordering module's queue"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(CheckoutSource),
			DetailType: jsii.Strings(CheckoutDetailType),
		},
		Targets: &[]awsevents.IRuleTarget{target(s.OrderQueue)},
	})
	awsevents.NewRule(stack, jsii.String("ProductEventsRule"), &awsevents.RuleProps{
		EventBus:    s.Bus,
		Description: jsii.String("Product events from the product module to the basket module's queue"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(ProductSource),
			DetailType: jsii.Strings(ProductDetailTypes...),
		},
		Targets: &[]awsevents.IRuleTarget{target(s.BasketQueue)},
	})

	s.addIdentity()

	s.Environment = s.serverEnvironment(busName)
	maps.Copy(s.Environment, s.authEnvironment())
	var door frontDoor
	switch compute {
	case ComputeFargate:
		door = s.addFargate(props)
	default:
		door = s.addLambda(props)
	}
	s.addMonitoring(door, props.AlarmEmail)
	return s, nil
}

// serverEnvironment is the configuration both compute modes share, named as
// the binary reads it (see cmd/shop and the stack tests).
func (s *ShopStack) serverEnvironment(busName string) map[string]string {
	return map[string]string{
		"PORT":                      "8080",
		"SHOP_STORE":                "dynamodb",
		"SHOP_BUS":                  "aws",
		"SHOP_PRODUCT_TABLE":        *s.ProductTable.TableName(),
		"SHOP_BASKET_TABLE":         *s.BasketTable.TableName(),
		"SHOP_BASKET_CATALOG_TABLE": *s.BasketCatalogTable.TableName(),
		"SHOP_ORDER_TABLE":          *s.OrderTable.TableName(),
		"SHOP_OUTBOX_TABLE":         *s.OutboxTable.TableName(),
		"SHOP_EVENT_BUS_NAME":       busName,
		"SHOP_CHECKOUT_SOURCE":      CheckoutSource,
		"SHOP_CHECKOUT_DETAIL_TYPE": CheckoutDetailType,
		"SHOP_PRODUCT_SOURCE":       ProductSource,
		"SHOP_ORDER_QUEUE_URL":      *s.OrderQueue.QueueUrl(),
		"SHOP_BASKET_QUEUE_URL":     *s.BasketQueue.QueueUrl(),
	}
}

// newTable defines an on-demand table with point-in-time recovery. sortKey
// and ttlAttr are optional.
func newTable(scope constructs.Construct, id, name, partitionKey, sortKey, ttlAttr string) awsdynamodb.Table {
	props := &awsdynamodb.TableProps{
		PartitionKey: stringAttr(partitionKey),
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// Tables hold customer data: a stack deletion must not drop them.
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	}
	if name != "" {
		props.TableName = jsii.String(name)
	}
	if sortKey != "" {
		props.SortKey = stringAttr(sortKey)
	}
	if ttlAttr != "" {
		props.TimeToLiveAttribute = jsii.String(ttlAttr)
	}
	return awsdynamodb.NewTable(scope, jsii.String(id), props)
}

func stringAttr(name string) *awsdynamodb.Attribute {
	return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
}

// newQueueWithDLQ defines a consumer queue whose poison messages move to
// their own dead-letter queue after maxReceiveCount tries.
func newQueueWithDLQ(scope constructs.Construct, id string) awssqs.Queue {
	dlq := awssqs.NewQueue(scope, jsii.String(id+"Dlq"), &awssqs.QueueProps{
		// The longest SQS allows, to leave time to inspect and redrive.
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
	})
	return awssqs.NewQueue(scope, jsii.String(id), &awssqs.QueueProps{
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(visibilitySeconds)),
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           dlq,
			MaxReceiveCount: jsii.Number(maxReceiveCount),
		},
	})
}
